/* uart_stm32_sr.c - STM32 F1/F2/F4 USART: SR +0x00 (bit7 TXE, bit5 RXNE), DR +0x04,
 * CR1 +0x0C (bit13 UE, bit3 TE, bit2 RE). The clock and pins are the board's reset state. */
#include "harness.h"

#define REG(off) (*(volatile uint32_t *)(MCUGEN_UART_BASE + (off)))

void uart_init(void)
{
    REG(0x0C) = (1u << 13) | (1u << 3) | (1u << 2);
}

void uart_putc(uint8_t byte)
{
    while (!(REG(0x00) & (1u << 7))) {
    }
    REG(0x04) = byte;
}

uint8_t uart_getc(void)
{
    while (!(REG(0x00) & (1u << 5))) {
    }
    return (uint8_t)REG(0x04);
}
