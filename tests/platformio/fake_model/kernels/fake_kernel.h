/* Test fixture: a stand-in for mcugen's portable kernel library. */
#ifndef FAKE_KERNEL_H
#define FAKE_KERNEL_H
#include <stdint.h>
void fake_kernel_xor(const int8_t *in, int8_t *out, int32_t n, int8_t key);
#endif
