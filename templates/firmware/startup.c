/*
 * startup.c - vector table, reset handler, HardFault report, stack painting, exit.
 * Freestanding: no C library start-up code is used.
 */
#include "harness.h"

extern uint32_t __data_load, __data_start, __data_end, __bss_start, __bss_end;
extern uint32_t __stack_limit, __stack_top;

#define STACK_PAINT 0xC5C5C5C5u

void Reset_Handler(void);
void HardFault_Handler(void);
void Default_Handler(void);
void SysTick_Handler(void) __attribute__((weak, alias("Default_Handler")));
int main(void);

typedef void (*vector_t)(void);

__attribute__((section(".isr_vector"), used)) const vector_t vector_table[16] = {
    (vector_t)&__stack_top, Reset_Handler, Default_Handler, HardFault_Handler,
    Default_Handler, Default_Handler, Default_Handler, 0, 0, 0, 0,
    Default_Handler, Default_Handler, 0, Default_Handler, SysTick_Handler,
};

void Reset_Handler(void)
{
    uint32_t *src = &__data_load, *dst = &__data_start;
    while (dst < &__data_end) {
        *dst++ = *src++;
    }
    for (dst = &__bss_start; dst < &__bss_end; ++dst) {
        *dst = 0;
    }
#if MCUGEN_HAS_FPU || defined(__ARM_FEATURE_MVE)
    /* CP10/CP11 full access: the FPU (and Helium) are off after reset */
    *(volatile uint32_t *)0xE000ED88u |= (0xFu << 20);
    __asm volatile("dsb\n isb" ::: "memory");
#endif
    /* paint the stack below the current frame so stack_used_bytes() can measure the peak */
    uint32_t *sp;
    __asm volatile("mov %0, sp" : "=r"(sp));
    for (uint32_t *p = &__stack_limit; p < sp - 16; ++p) {
        *p = STACK_PAINT;
    }
    main();
    board_exit(0);
}

uint32_t stack_used_bytes(void)
{
    const uint32_t *p = &__stack_limit;
    while (p < &__stack_top && *p == STACK_PAINT) {
        ++p;
    }
    return (uint32_t)((const uint8_t *)&__stack_top - (const uint8_t *)p);
}

void hardfault_report(const uint32_t *frame)
{
    uint32_t cfsr = 0, hfsr = 0;
#if defined(__ARM_ARCH_7M__) || defined(__ARM_ARCH_7EM__) || defined(__ARM_ARCH_8M_MAIN__) || \
    defined(__ARM_ARCH_8_1M_MAIN__)
    cfsr = *(volatile uint32_t *)0xE000ED28u;   /* not present on ARMv6-M */
    hfsr = *(volatile uint32_t *)0xE000ED2Cu;
#endif
    protocol_report_fault(frame[6], frame[5], cfsr, hfsr);
    board_exit(3);
}

__attribute__((naked)) void HardFault_Handler(void)
{
    /* pass the stacked exception frame (MSP or PSP) to hardfault_report; ARMv6-M compatible */
    __asm volatile(
        ".syntax unified\n"
        "movs r0, #4\n"
        "mov r1, lr\n"
        "tst r0, r1\n"
        "beq 1f\n"
        "mrs r0, psp\n"
        "b hardfault_report\n"
        "1: mrs r0, msp\n"
        "b hardfault_report\n");
}

void Default_Handler(void)
{
    for (;;) {
    }
}

void board_exit(int code)
{
#if MCUGEN_SEMIHOSTING
    /* semihosting SYS_EXIT_EXTENDED: QEMU exits with `code` (QEMU builds only: on silicon
     * without a debugger the BKPT would fault) */
    volatile uint32_t block[2] = {0x20026u, (uint32_t)code};
    register uint32_t r0 __asm("r0") = 0x20u;
    register volatile uint32_t *r1 __asm("r1") = block;
    __asm volatile("bkpt 0xab" : "+r"(r0) : "r"(r1) : "memory");
#else
    (void)code;
    *(volatile uint32_t *)0xE000ED0Cu = 0x05FA0004u;   /* AIRCR.SYSRESETREQ */
#endif
    for (;;) {
    }
}

int main(void)
{
    uart_init();
    counter_init();
    protocol_serve();
    return 0;
}
