/* uart_cmsdk.c - Arm CMSDK APB UART (MPS2/MPS3 boards): DATA +0x00, STATE +0x04 (bit0 TX full,
 * bit1 RX full), CTRL +0x08 (bit0 TX enable, bit1 RX enable), BAUDDIV +0x10 (>= 16). */
#include "harness.h"

#define UART ((volatile uint32_t *)MCUGEN_UART_BASE)

void uart_init(void)
{
    UART[4] = 16;     /* BAUDDIV */
    UART[2] = 3;      /* TX and RX enable */
}

void uart_putc(uint8_t byte)
{
    while (UART[1] & 1u) {
    }
    UART[0] = byte;
}

uint8_t uart_getc(void)
{
    while (!(UART[1] & 2u)) {
    }
    return (uint8_t)UART[0];
}
