/* counter.c - the tick source behind instruction (QEMU -icount) or cycle (DWT) counts. */
#include "harness.h"

#if defined(MCUGEN_COUNTER_CMSDK_TIMER)
/* CMSDK APB timer: 32-bit down counter. Under -icount its ticks are exact. */
#define TIMER ((volatile uint32_t *)MCUGEN_COUNTER_BASE)
static uint32_t last;
static uint64_t total;

void counter_init(void)
{
    TIMER[0] = 0;               /* CTRL: stop */
    TIMER[2] = 0xFFFFFFFFu;     /* RELOAD */
    TIMER[1] = 0xFFFFFFFFu;     /* VALUE */
    TIMER[0] = 1;               /* enable */
    last = TIMER[1];
}

void counter_restart(void)
{
    /* 32-bit: a wrap needs 2^32 ticks, more than any inference here */
}

uint64_t counter_read(void)
{
    const uint32_t now = TIMER[1];
    total += (uint32_t)(last - now);    /* down counter; wraps once per 2^32 ticks at most */
    last = now;
    return total;
}

#elif defined(MCUGEN_COUNTER_SYSTICK)
/* SysTick: 24-bit down counter; an interrupt per wrap extends it (the ISR's own instructions
 * add a few counts per 2^24 ticks). */
#define SYST ((volatile uint32_t *)0xE000E010u)
static volatile uint32_t wraps;

void SysTick_Handler(void)
{
    ++wraps;
}

void counter_init(void)
{
    SYST[0] = 0;
    SYST[1] = 0x00FFFFFFu;      /* LOAD */
    SYST[2] = 0;                /* VAL */
    SYST[0] = 7;                /* enable, interrupt, processor clock */
}

void counter_restart(void)
{
    SYST[2] = 0;                /* any write clears VAL: the next tick reloads a full period */
}

uint64_t counter_read(void)
{
    uint32_t w, v;
    do {
        w = wraps;
        v = SYST[2];
    } while (w != wraps);
    return (uint64_t)w * 0x01000000u + (0x00FFFFFFu - v);
}

#elif defined(MCUGEN_COUNTER_DWT)
/* DWT->CYCCNT: cycles on silicon (not modelled by QEMU). */
void counter_init(void)
{
    *(volatile uint32_t *)0xE000EDFCu |= (1u << 24);   /* DEMCR.TRCENA */
    *(volatile uint32_t *)0xE0001004u = 0;              /* CYCCNT */
    *(volatile uint32_t *)0xE0001000u |= 1u;            /* DWT_CTRL.CYCCNTENA */
}

void counter_restart(void)
{
}

uint64_t counter_read(void)
{
    return *(volatile uint32_t *)0xE0001004u;
}

#else
void counter_init(void)
{
}

void counter_restart(void)
{
}

uint64_t counter_read(void)
{
    return 0;
}
#endif
