/* Test fixture, not a real model: output[i] = input[i] ^ 0x5a, through a "kernel" library. */
#include <stddef.h>
#include <string.h>

#include "fake_kernel.h"
#include "fake_model.h"
#include "mcugen_model_api.h"

static int8_t arena[FAKE_INPUT_SIZE + FAKE_OUTPUT_SIZE];

int fake_invoke(const int8_t *input, int8_t *output)
{
    if ((const void *)input != (const void *)arena) {   /* zero-copy when called with the arena */
        memcpy(arena, input, FAKE_INPUT_SIZE);
    }
    fake_kernel_xor(arena, arena + FAKE_INPUT_SIZE, FAKE_INPUT_SIZE, 0x5a);
    if ((void *)output != (void *)(arena + FAKE_INPUT_SIZE)) {
        memcpy(output, arena + FAKE_INPUT_SIZE, FAKE_OUTPUT_SIZE);
    }
    return MCUGEN_OK;
}

const mcugen_model_info_t mcugen_model_info = {
    .name = "fake", .hash = "0000000000000000000000000000000000000000000000000000000000000000",
    .kernels = "portable", .arena_bytes = sizeof arena, .num_inputs = 1, .num_outputs = 1,
    .input_bytes = {FAKE_INPUT_SIZE}, .output_bytes = {FAKE_OUTPUT_SIZE},
    .input_dtype = {MCUGEN_DTYPE_INT8}, .output_dtype = {MCUGEN_DTYPE_INT8},
    .num_tensors = 2, .num_layers = 1,
};

int mcugen_model_invoke(const void *const *inputs, void *const *outputs)
{
    return fake_invoke((const int8_t *)inputs[0], (int8_t *)outputs[0]);
}

void *mcugen_model_input(uint32_t index)
{
    return index == 0 ? (void *)arena : NULL;
}

void *mcugen_model_output(uint32_t index)
{
    return index == 0 ? (void *)(arena + FAKE_INPUT_SIZE) : NULL;
}

const void *mcugen_model_tensor(uint32_t index, uint32_t *nbytes)
{
    if (index > 1) {
        return NULL;
    }
    *nbytes = index == 0 ? FAKE_INPUT_SIZE : FAKE_OUTPUT_SIZE;
    return arena + (index == 0 ? 0 : FAKE_INPUT_SIZE);
}
