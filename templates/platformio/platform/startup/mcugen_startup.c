/*
 * Minimal startup for Cortex-M (mcugen's local PlatformIO platform, and the example program of
 * generated projects for real boards). Vector table, .data/.bss initialisation, FPU enable, then
 * main(). In QEMU main's return value becomes the exit code through semihosting, so
 * `pio run -t upload` reports what the program said. Semihosting halts real silicon without a
 * debugger: built with MCUGEN_SILICON defined, exit sleeps forever and printf output is dropped.
 * Every symbol is weak: a project that brings its own startup overrides it (or sets
 * board_build.mcugen_startup = no).
 */
#include <stdint.h>

extern uint32_t _sidata, _sdata, _edata, _sbss, _ebss, _estack;
int main(void);

void Reset_Handler(void);
void Default_Handler(void);
void mcugen_platform_exit(int code);
int _write(int fd, const char *buf, int len);

#if defined(MCUGEN_SILICON)
__attribute__((weak, noreturn)) void mcugen_platform_exit(int code)
{
    (void)code;
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
#else
/* SYS_EXIT_EXTENDED (0x20) with ADP_Stopped_ApplicationExit: QEMU exits with `code`. */
__attribute__((weak, noreturn)) void mcugen_platform_exit(int code)
{
    volatile uint32_t block[2] = {0x20026u, (uint32_t)code};
    register uint32_t r0 __asm__("r0") = 0x20u;
    register volatile uint32_t *r1 __asm__("r1") = block;
    __asm__ volatile(".syntax unified\n\tbkpt 0xab" : "+r"(r0) : "r"(r1) : "memory");
    for (;;) {
    }
}

/* newlib's printf ends here: each byte goes out through semihosting SYS_WRITEC (0x03). */
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
#endif

__attribute__((weak)) void Default_Handler(void)
{
    mcugen_platform_exit(128); /* an unexpected exception: fail loudly instead of hanging */
}

void NMI_Handler(void) __attribute__((weak, alias("Default_Handler")));
void HardFault_Handler(void) __attribute__((weak, alias("Default_Handler")));
void MemManage_Handler(void) __attribute__((weak, alias("Default_Handler")));
void BusFault_Handler(void) __attribute__((weak, alias("Default_Handler")));
void UsageFault_Handler(void) __attribute__((weak, alias("Default_Handler")));
void SVC_Handler(void) __attribute__((weak, alias("Default_Handler")));
void PendSV_Handler(void) __attribute__((weak, alias("Default_Handler")));
void SysTick_Handler(void) __attribute__((weak, alias("Default_Handler")));

__attribute__((section(".vectors"), used)) static void (*const vector_table[16])(void) = {
    (void (*)(void))(&_estack), Reset_Handler, NMI_Handler, HardFault_Handler,
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
    /* CPACR: full access to CP10/CP11, or the first float instruction faults. */
    *(volatile uint32_t *)0xE000ED88u |= 0xFu << 20;
    __asm__ volatile("dsb\n\tisb" ::: "memory");
#endif
    mcugen_platform_exit(main());
}
