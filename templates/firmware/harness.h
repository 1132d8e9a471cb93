/*
 * harness.h - the pieces of mcugen's firmware harness and how they meet.
 *
 * board_config.h (generated from boards/<board>.toml) selects the UART driver, the counter and
 * the memory layout; the protocol server (protocol.c) talks to the model only through
 * mcugen_model_api.h.
 */
#ifndef MCUGEN_HARNESS_H
#define MCUGEN_HARNESS_H

#include <stdint.h>

#include "board_config.h"

/* UART driver (uart_<kind>.c): blocking byte I/O. */
void uart_init(void);
void uart_putc(uint8_t byte);
uint8_t uart_getc(void);

/* Counter (counter.c): a free-running 64-bit tick count; ticks / ticks-per-instruction =
 * instructions under QEMU -icount, cycles on silicon (DWT). */
void counter_init(void);
uint64_t counter_read(void);
/* Start a measurement from a fresh period, so that a wrap (SysTick's interrupt) cannot fall
 * inside any measurement shorter than one period. */
void counter_restart(void);

/* Stack high-water mark in bytes since boot (startup.c paints the stack). */
uint32_t stack_used_bytes(void);

/* Leave the program: semihosting exit in QEMU builds, a reset request on silicon (startup.c,
 * built with MCUGEN_HARNESS); exit() on the host board (host_main.c). */
void board_exit(int code);

/* The protocol server (protocol.c, whose main() starts the UART, the counter and then this):
 * never returns. */
void protocol_serve(void);

/* Sends a FAULT frame; called by the HardFault handler. */
void protocol_report_fault(uint32_t pc, uint32_t lr, uint32_t cfsr, uint32_t hfsr);

#endif /* MCUGEN_HARNESS_H */
