/* Test fixture, not a real model: stands in for the code generator's output (same ABI). */
#ifndef FAKE_MODEL_H
#define FAKE_MODEL_H
#include <stdint.h>
#define FAKE_INPUT_SIZE 16
#define FAKE_OUTPUT_SIZE 16
int fake_invoke(const int8_t *input, int8_t *output);
#endif
