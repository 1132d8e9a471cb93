/*
 * mcugen_model_api.h - the ABI between a generated model and anything that runs it.
 *
 * The code generator emits, beside <name>_model.{h,c}, one descriptor `const mcugen_model_t
 * <name>_model` whose entries implement this ABI for its model; the firmware harness, the host
 * runner and user code that wants to stay model-agnostic call a model only through such a
 * descriptor. Every symbol a model exports carries its name, so any number of models link into
 * one application (they share mcugen's kernel files, which are the same for every model).
 * Written by mcugen; this file is part of mcugen, not of a model.
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

/* Return codes of a descriptor's invoke() and of <name>_invoke(). */
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
    uint32_t state_bytes;          /* variable tensors (recurrent state) kept across invokes */
} mcugen_model_info_t;

typedef struct {
    const mcugen_model_info_t *info;

    /* Run one inference: inputs[i] holds input_bytes[i] bytes, outputs[i] receives
     * output_bytes[i]. A model with state (state_bytes > 0) carries it from one invoke to the
     * next; the first invoke after start-up resets it first. */
    int (*invoke)(const void *const *inputs, void *const *outputs);

    /* Where input / output `index` lives inside the model's arena. Writing an input there and
     * passing these same pointers to invoke() skips every copy (zero-copy I/O); the input's bytes
     * are consumed by the inference, since the arena reuses them. */
    void *(*input)(uint32_t index);
    void *(*output)(uint32_t index);

    /* Where tensor `index` (graph tensor index) lives in the arena after the last invoke, and its
     * size; NULL for constant or unknown tensors. In a normal build dead tensors are overwritten;
     * a debug build (plan keeping every tensor) makes every intermediate readable. */
    const void *(*tensor)(uint32_t index, uint32_t *nbytes);

    /* Every variable tensor back to its initial value, as TFLM's ResetVariableTensors: int8 state
     * to its zero point, everything else to 0 (the same as <name>_reset()). Nothing to do for a
     * model without state. */
    void (*reset)(void);

    /* The counter before each layer and after the last one of the last invoke (num_layers + 1
     * entries), in builds with MCUGEN_PROFILE; NULL otherwise. */
    uint64_t *profile_stamps;
} mcugen_model_t;

/* Per-layer profile, in builds with MCUGEN_PROFILE defined: a model calls
 * mcugen_profile_stamp(its profile_stamps, i) before layer i and with num_layers after the last
 * one. Whoever runs the model provides the function (the firmware harness stores its board
 * counter in stamps[i]); two calls in a row measure the cost of one stamp, to subtract from each
 * layer. */
#ifdef MCUGEN_PROFILE
void mcugen_profile_stamp(uint64_t *stamps, uint32_t boundary);
#endif

#ifdef __cplusplus
}
#endif

#endif /* MCUGEN_MODEL_API_H */
