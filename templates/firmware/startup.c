/*
 * startup.c - mcugen's one Cortex-M startup: vector table, .data/.bss initialisation, FPU enable,
 * stack painting, then main(); main's return value goes to board_exit(). Freestanding: no C
 * library start-up code (link with -nostartfiles). It pairs with linker.ld.j2, whose symbols it
 * uses: _sidata/_sdata/_edata (.data), _sbss/_ebss (.bss), _sstack/_estack (the stack).
 *
 * Two users, selected by defines:
 *
 * - mcugen's firmware harness (MCUGEN_HARNESS defined by the build recipe): board_config.h says
 *   whether the board runs in QEMU (MCUGEN_SEMIHOSTING); a HardFault is reported to the host
 *   over the serial protocol; on silicon, exit requests a reset.
 * - mcugen's local PlatformIO platform and the example program of generated projects (no
 *   MCUGEN_HARNESS): in QEMU (MCUGEN_SEMIHOSTING=1, the default) main's return value becomes
 *   QEMU's exit code and printf goes out through semihosting, so `pio run -t upload` reports what
 *   the program said. Semihosting halts real silicon without a debugger: built with
 *   MCUGEN_SEMIHOSTING=0, exit sleeps forever and printf output is dropped. An unexpected
 *   exception exits with 128. Every symbol is weak: a project that brings its own startup
 *   overrides it (or sets board_build.mcugen_startup = no).
 */
#include <stdint.h>

#if defined(MCUGEN_HARNESS)
#include "harness.h"
#endif
#if !defined(MCUGEN_SEMIHOSTING)
#define MCUGEN_SEMIHOSTING 1
#endif

extern uint32_t _sidata, _sdata, _edata, _sbss, _ebss, _estack;
/* the stack's lowest address: weak, so a project's own linker script need not define it (then
 * the stack is not painted and stack_used_bytes() reports 0) */
extern uint32_t _sstack __attribute__((weak));

#define STACK_PAINT 0xC5C5C5C5u

int main(void);
void Reset_Handler(void);
void Default_Handler(void);
void HardFault_Handler(void);
void board_exit(int code);
uint32_t stack_used_bytes(void);
int _write(int fd, const char *buf, int len);

#if MCUGEN_SEMIHOSTING
/* semihosting SYS_EXIT_EXTENDED (0x20) with ADP_Stopped_ApplicationExit: QEMU exits with `code` */
__attribute__((weak, noreturn)) void board_exit(int code)
{
    volatile uint32_t block[2] = {0x20026u, (uint32_t)code};
    register uint32_t r0 __asm__("r0") = 0x20u;
    register volatile uint32_t *r1 __asm__("r1") = block;
    __asm__ volatile(".syntax unified\n\tbkpt 0xab" : "+r"(r0) : "r"(r1) : "memory");
    for (;;) {
    }
}

/* newlib's printf ends here: each byte goes out through semihosting SYS_WRITEC (0x03) */
__attribute__((weak)) int _write(int fd, const char *buf, int len)
{
    (void)fd;
    for (int i = 0; i < len; i++) {
        register uint32_t r0 __asm__("r0") = 0x03u;
        register const char *r1 __asm__("r1") = &buf[i];
        __asm__ volatile(".syntax unified\n\tbkpt 0xab" : "+r"(r0) : "r"(r1) : "memory");
    }
    return len;
}
#else
__attribute__((weak, noreturn)) void board_exit(int code)
{
    (void)code;
#if defined(MCUGEN_HARNESS)
    /* AIRCR.SYSRESETREQ: the board restarts and serves the protocol again */
    *(volatile uint32_t *)0xE000ED0Cu = 0x05FA0004u;
#endif
    for (;;) {
        __asm__ volatile("wfi");
    }
}

__attribute__((weak)) int _write(int fd, const char *buf, int len)
{
    (void)fd;
    (void)buf;
    return len; /* no console on a bare board: retarget this to a UART */
}
#endif

__attribute__((weak)) void Default_Handler(void)
{
    board_exit(128); /* an unexpected exception: fail loudly instead of hanging */
}

void NMI_Handler(void) __attribute__((weak, alias("Default_Handler")));
void MemManage_Handler(void) __attribute__((weak, alias("Default_Handler")));
void BusFault_Handler(void) __attribute__((weak, alias("Default_Handler")));
void UsageFault_Handler(void) __attribute__((weak, alias("Default_Handler")));
void SVC_Handler(void) __attribute__((weak, alias("Default_Handler")));
void PendSV_Handler(void) __attribute__((weak, alias("Default_Handler")));
void SysTick_Handler(void) __attribute__((weak, alias("Default_Handler")));

#if defined(MCUGEN_HARNESS)
/* A crash in the model reaches the host as a FAULT frame with the stacked PC and LR. */
void hardfault_report(const uint32_t *frame);

void hardfault_report(const uint32_t *frame)
{
    uint32_t cfsr = 0, hfsr = 0;
#if defined(__ARM_ARCH_7M__) || defined(__ARM_ARCH_7EM__) || defined(__ARM_ARCH_8M_MAIN__) || \
    defined(__ARM_ARCH_8_1M_MAIN__)
    cfsr = *(volatile uint32_t *)0xE000ED28u; /* not present on ARMv6-M */
    hfsr = *(volatile uint32_t *)0xE000ED2Cu;
#endif
    protocol_report_fault(frame[6], frame[5], cfsr, hfsr);
    board_exit(3);
}

__attribute__((naked)) void HardFault_Handler(void)
{
    /* pass the stacked exception frame (MSP or PSP) to hardfault_report; ARMv6-M compatible */
    __asm__ volatile(".syntax unified\n"
                     "movs r0, #4\n"
                     "mov r1, lr\n"
                     "tst r0, r1\n"
                     "beq 1f\n"
                     "mrs r0, psp\n"
                     "b hardfault_report\n"
                     "1: mrs r0, msp\n"
                     "b hardfault_report\n");
}
#else
void HardFault_Handler(void) __attribute__((weak, alias("Default_Handler")));
#endif

typedef void (*vector_t)(void);

__attribute__((section(".isr_vector"), used)) const vector_t vector_table[16] = {
    (vector_t)(&_estack), Reset_Handler, NMI_Handler, HardFault_Handler,
    MemManage_Handler, BusFault_Handler, UsageFault_Handler, 0, 0, 0, 0,
    SVC_Handler, 0, 0, PendSV_Handler, SysTick_Handler,
};

__attribute__((weak, noreturn)) void Reset_Handler(void)
{
    uint32_t *src = &_sidata;
    for (uint32_t *dst = &_sdata; dst < &_edata;) {
        *dst++ = *src++;
    }
    for (uint32_t *dst = &_sbss; dst < &_ebss;) {
        *dst++ = 0;
    }
#if defined(__ARM_FP) || defined(__ARM_FEATURE_MVE)
    /* CPACR: full access to CP10/CP11 (the FPU, and Helium), or the first such instruction
     * faults */
    *(volatile uint32_t *)0xE000ED88u |= 0xFu << 20;
    __asm__ volatile("dsb\n\tisb" ::: "memory");
#endif
    /* paint the stack below the current frame so stack_used_bytes() can measure the peak */
    if (&_sstack != 0) {
        uint32_t *sp;
        __asm__ volatile("mov %0, sp" : "=r"(sp));
        for (uint32_t *p = &_sstack; p < sp - 16; ++p) {
            *p = STACK_PAINT;
        }
    }
    board_exit(main());
}

__attribute__((weak)) uint32_t stack_used_bytes(void)
{
    if (&_sstack == 0) {
        return 0;
    }
    const uint32_t *p = &_sstack;
    while (p < &_estack && *p == STACK_PAINT) {
        ++p;
    }
    return (uint32_t)((const uint8_t *)&_estack - (const uint8_t *)p);
}
