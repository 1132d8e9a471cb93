/*
 * mcugen_model_api.h - the ABI between a generated model and anything that runs it.
 *
 * The code generator emits, beside <name>_model.{h,c}, an implementation of these three entry
 * points for its model; the firmware harness, the host runner and user code that wants to stay
 * model-agnostic call only these. Written by mcugen; this file is part of mcugen, not of a model.
 */
#ifndef MCUGEN_MODEL_API_H
#define MCUGEN_MODEL_API_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define MCUGEN_MAX_IO 8

/* Element types of model inputs and outputs, as carried in mcugen_model_info_t and in the
 * protocol's HELLO (mcugen/device/protocol.py reads these lines). */
#define MCUGEN_DTYPE_INT8 0
#define MCUGEN_DTYPE_UINT8 1
#define MCUGEN_DTYPE_INT16 2
#define MCUGEN_DTYPE_INT32 3
#define MCUGEN_DTYPE_FLOAT32 4

/* Return codes of mcugen_model_invoke() and <name>_invoke(). */
enum { MCUGEN_OK = 0, MCUGEN_ERROR = 1 };

typedef struct {
    const char *name;              /* model name, C identifier */
    const char *hash;              /* SHA-256 of the graph, hex, 64 chars */
    const char *kernels;           /* "portable" or "cmsis-nn <version>" */
    uint32_t arena_bytes;          /* static tensor arena size */
    uint32_t num_inputs;
    uint32_t num_outputs;
    uint32_t input_bytes[MCUGEN_MAX_IO];
    uint32_t output_bytes[MCUGEN_MAX_IO];
    uint8_t input_dtype[MCUGEN_MAX_IO];
    uint8_t output_dtype[MCUGEN_MAX_IO];
    uint32_t num_tensors;          /* tensors in the graph, for mcugen_model_tensor() */
    uint32_t num_layers;           /* operators in the schedule */
} mcugen_model_info_t;

extern const mcugen_model_info_t mcugen_model_info;

/* Run one inference: inputs[i] holds input_bytes[i] bytes, outputs[i] receives output_bytes[i]. */
int mcugen_model_invoke(const void *const *inputs, void *const *outputs);

/* Where input / output `index` lives inside the model's arena. Writing an input there and passing
 * these same pointers to mcugen_model_invoke() skips every copy (zero-copy I/O); the input's bytes
 * are consumed by the inference, since the arena reuses them. */
void *mcugen_model_input(uint32_t index);
void *mcugen_model_output(uint32_t index);

/* Where tensor `index` (graph tensor index) lives in the arena after the last invoke, and its size;
 * NULL for constant or unknown tensors. In a normal build dead tensors are overwritten; a debug
 * build (plan keeping every tensor) makes every intermediate readable. */
const void *mcugen_model_tensor(uint32_t index, uint32_t *nbytes);

/* Per-layer profile, in builds with MCUGEN_PROFILE defined: the model calls
 * mcugen_profile_stamp(i) before layer i and mcugen_profile_stamp(num_layers) after the last one.
 * Whoever runs the model provides the function (the firmware harness stores its board counter in
 * mcugen_profile_stamps[i], an array the model defines with num_layers + 1 entries); two calls in
 * a row measure the cost of one stamp, to subtract from each layer. */
#ifdef MCUGEN_PROFILE
void mcugen_profile_stamp(uint32_t boundary);
extern uint64_t mcugen_profile_stamps[];
#endif

#ifdef __cplusplus
}
#endif

#endif /* MCUGEN_MODEL_API_H */
