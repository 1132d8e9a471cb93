/* uart_stm32_isr.c - STM32 L4/F7/H7 USART: CR1 +0x00 (bit0 UE, bit3 TE, bit2 RE), ISR +0x1C
 * (bit7 TXE, bit5 RXNE), RDR +0x24, TDR +0x28. Baud rate and pins: set by the board's start-up
 * (PlatformIO's framework) before main; experimental until run on hardware. */
#include "harness.h"

#define REG(off) (*(volatile uint32_t *)(MCUGEN_UART_BASE + (off)))

void uart_init(void)
{
    REG(0x00) |= (1u << 0) | (1u << 3) | (1u << 2);
}

void uart_putc(uint8_t byte)
{
    while (!(REG(0x1C) & (1u << 7))) {
    }
    REG(0x28) = byte;
}

uint8_t uart_getc(void)
{
    while (!(REG(0x1C) & (1u << 5))) {
    }
    return (uint8_t)REG(0x24);
}
