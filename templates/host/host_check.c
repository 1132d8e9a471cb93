/*
 * host_check.c - runs a generated model on the build machine through the model-agnostic ABI.
 *
 *   host_check INPUTS.bin OUTPUTS.bin
 *
 * INPUTS.bin holds N inferences back to back (each: every input's bytes in order); the outputs of
 * each inference are written to OUTPUTS.bin in the same way. Exit 0 on success.
 */
#include <stdio.h>
#include <stdlib.h>

#include "mcugen_model_api.h"

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: %s INPUTS.bin OUTPUTS.bin\n", argv[0]);
        return 2;
    }
    const mcugen_model_info_t *info = &mcugen_model_info;
    size_t in_total = 0, out_total = 0;
    for (uint32_t i = 0; i < info->num_inputs; ++i) {
        in_total += info->input_bytes[i];
    }
    for (uint32_t i = 0; i < info->num_outputs; ++i) {
        out_total += info->output_bytes[i];
    }
    FILE *fin = fopen(argv[1], "rb");
    FILE *fout = fopen(argv[2], "wb");
    if (!fin || !fout) {
        fprintf(stderr, "cannot open %s or %s\n", argv[1], argv[2]);
        return 2;
    }
    unsigned char *in = malloc(in_total), *out = malloc(out_total);
    const void *inputs[MCUGEN_MAX_IO];
    void *outputs[MCUGEN_MAX_IO];
    size_t offset = 0;
    for (uint32_t i = 0; i < info->num_inputs; ++i) {
        inputs[i] = in + offset;
        offset += info->input_bytes[i];
    }
    offset = 0;
    for (uint32_t i = 0; i < info->num_outputs; ++i) {
        outputs[i] = out + offset;
        offset += info->output_bytes[i];
    }
    int status = 0;
    while (fread(in, 1, in_total, fin) == in_total) {
        if (mcugen_model_invoke(inputs, outputs) != MCUGEN_OK) {
            status = 1;
            break;
        }
        fwrite(out, 1, out_total, fout);
    }
    free(in);
    free(out);
    fclose(fin);
    fclose(fout);
    return status;
}
