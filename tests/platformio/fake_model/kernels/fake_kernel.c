/* Test fixture: a stand-in for mcugen's portable kernel library. */
#include "fake_kernel.h"

void fake_kernel_xor(const int8_t *in, int8_t *out, int32_t n, int8_t key)
{
    for (int32_t i = 0; i < n; i++) {
        out[i] = (int8_t)(in[i] ^ key);
    }
}
