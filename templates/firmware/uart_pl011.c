/* uart_pl011.c - Arm PL011 UART (LM3S6965, RP2040): DR +0x00, FR +0x18 (bit4 RX empty,
 * bit5 TX full), CR +0x30 (UARTEN bit0, TXE bit8, RXE bit9). */
#include "harness.h"

#define UART_DR (*(volatile uint32_t *)(MCUGEN_UART_BASE + 0x00u))
#define UART_FR (*(volatile uint32_t *)(MCUGEN_UART_BASE + 0x18u))
#define UART_CR (*(volatile uint32_t *)(MCUGEN_UART_BASE + 0x30u))

void uart_init(void)
{
    UART_CR = (1u << 0) | (1u << 8) | (1u << 9);
}

void uart_putc(uint8_t byte)
{
    while (UART_FR & (1u << 5)) {
    }
    UART_DR = byte;
}

uint8_t uart_getc(void)
{
    while (UART_FR & (1u << 4)) {
    }
    return (uint8_t)UART_DR;
}
