/*
 * host_check.c - runs a generated model on the build machine through the model-agnostic ABI.
 *
 *   host_check INPUTS.bin OUTPUTS.bin [--sequence]
 *
 * INPUTS.bin holds N inferences back to back (each: every input's bytes in order); the outputs of
 * each inference are written to OUTPUTS.bin in the same way. Each inference runs after a reset of
 * the model's state, or with --sequence all N run in order on one state from one reset (a
 * recurrent model's time steps). The model is the descriptor MCUGEN_MODEL names (-D). Exit 0 on
 * success.
 */
#include <stdio.h>
#include <stdlib.h>

#include <string.h>

#include "mcugen_model_api.h"

extern const mcugen_model_t MCUGEN_MODEL;

int main(int argc, char **argv)
{
    const int sequence = argc == 4 && strcmp(argv[3], "--sequence") == 0;
    if (argc != 3 && !sequence) {
        fprintf(stderr, "usage: %s INPUTS.bin OUTPUTS.bin [--sequence]\n", argv[0]);
        return 2;
    }
    const mcugen_model_t *model = &MCUGEN_MODEL;
    const mcugen_model_info_t *info = model->info;
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
    model->reset();
    while (fread(in, 1, in_total, fin) == in_total) {
        if (!sequence) {
            model->reset();
        }
        if (model->invoke(inputs, outputs) != MCUGEN_OK) {
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
