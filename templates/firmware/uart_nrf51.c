/* uart_nrf51.c - Nordic nRF51/nRF52 legacy UART: STARTRX +0x000, STARTTX +0x008,
 * EVENTS_RXDRDY +0x108, EVENTS_TXDRDY +0x11C, ENABLE +0x500 (= 4), RXD +0x518, TXD +0x51C. */
#include "harness.h"

#define REG(off) (*(volatile uint32_t *)(MCUGEN_UART_BASE + (off)))

void uart_init(void)
{
    REG(0x500) = 4;        /* ENABLE */
    REG(0x000) = 1;        /* STARTRX */
    REG(0x008) = 1;        /* STARTTX */
}

void uart_putc(uint8_t byte)
{
    REG(0x11C) = 0;
    REG(0x51C) = byte;
    while (!REG(0x11C)) {
    }
}

uint8_t uart_getc(void)
{
    while (!REG(0x108)) {
    }
    REG(0x108) = 0;
    return (uint8_t)REG(0x518);
}
