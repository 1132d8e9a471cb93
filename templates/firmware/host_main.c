/*
 * host_main.c - the `host` board: the protocol server as a native program speaking over a
 * pseudo-terminal, so the host runs exactly the same protocol code path as a serial board.
 * Prints the terminal's path on the first line of stdout, then serves until EXIT (main() is
 * protocol.c's, as on every board).
 */
#define _DEFAULT_SOURCE
#define _XOPEN_SOURCE 600
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <termios.h>
#include <unistd.h>

#include "harness.h"

static int pty = -1;

void uart_init(void)
{
    pty = posix_openpt(O_RDWR | O_NOCTTY);
    if (pty < 0 || grantpt(pty) != 0 || unlockpt(pty) != 0) {
        perror("pty");
        exit(3);
    }
    struct termios t;
    tcgetattr(pty, &t);
    cfmakeraw(&t);
    tcsetattr(pty, TCSANOW, &t);
    printf("%s\n", ptsname(pty));
    fflush(stdout);
}

void uart_putc(uint8_t byte)
{
    while (write(pty, &byte, 1) != 1) {
    }
}

uint8_t uart_getc(void)
{
    uint8_t byte;
    for (;;) {
        const ssize_t n = read(pty, &byte, 1);
        if (n == 1) {
            return byte;
        }
        usleep(1000);     /* the other side is not open yet, or closed for a moment */
    }
}

void counter_init(void)
{
}

uint64_t counter_read(void)
{
    return 0;
}

void counter_restart(void)
{
}

uint32_t stack_used_bytes(void)
{
    return 0;
}

void board_exit(int code)
{
    tcdrain(pty);
    exit(code);
}
