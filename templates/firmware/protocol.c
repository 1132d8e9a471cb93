/*
 * protocol.c - mcugen's serial protocol, device side.
 *
 * Frame (both directions): SYNC0 SYNC1 | command u8 | sequence u8 | length u32 LE | payload |
 * CRC-32 u32 LE (zlib's CRC-32 over command, sequence, length and payload). A response echoes the
 * command with bit 7 set and the request's sequence number (so the host can tell a stale reply
 * from the one it waits for), and starts its payload with a status byte. Every length the device receives is checked
 * against what it can hold; a bad CRC or length is answered with an error and the device goes
 * back to hunting for the sync bytes, so garbage on the line never wedges it.
 */
#include <stddef.h>

#include "harness.h"
#include "mcugen_model_api.h"
#include "mcugen_protocol.h"   /* command and status codes, shared with the host */

/* The model this firmware serves: its descriptor, named in board_config.h (MCUGEN_MODEL). */
extern const mcugen_model_t MCUGEN_MODEL;
#define MODEL (&MCUGEN_MODEL)

/* Inputs are uploaded straight into the model's arena and outputs sent from it (zero-copy I/O:
 * no second copy of the I/O in RAM, no copying inside the timed invoke). */
static uint8_t rx[MCUGEN_MAX_PAYLOAD];

#ifdef MCUGEN_PROFILE
#define MCUGEN_PROFILING 1
static uint64_t stamp_cost;      /* one stamp's own ticks, measured before each invoke */

/* out of line, so that every stamp (the model's and the calibrating pair) costs the same */
__attribute__((noinline)) void mcugen_profile_stamp(uint64_t *stamps, uint32_t boundary)
{
    stamps[boundary] = counter_read();
}
#else
#define MCUGEN_PROFILING 0
#endif

/* The byte at flat offset `at` of the inputs laid back to back, inside the arena. */
static uint8_t *input_byte(uint32_t at)
{
    for (uint32_t i = 0; i < MODEL->info->num_inputs; ++i) {
        if (at < MODEL->info->input_bytes[i]) {
            return (uint8_t *)MODEL->input(i) + at;
        }
        at -= MODEL->info->input_bytes[i];
    }
    return NULL;
}

static uint32_t crc32_update(uint32_t crc, const uint8_t *data, uint32_t n)
{
    crc = ~crc;
    for (uint32_t i = 0; i < n; ++i) {
        crc ^= data[i];
        for (int k = 0; k < 8; ++k) {
            crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
        }
    }
    return ~crc;
}

/* A response is sent in pieces (status, header fields, bulk data) with one running CRC. */
static uint32_t tx_crc;
static uint8_t rx_seq;        /* sequence number of the request being answered */

static void send_bytes(const uint8_t *data, uint32_t n)
{
    tx_crc = crc32_update(tx_crc, data, n);
    for (uint32_t i = 0; i < n; ++i) {
        uart_putc(data[i]);
    }
}

static void begin_response(uint8_t command, uint32_t length, uint8_t status)
{
    const uint8_t head[6] = {(uint8_t)(command | MCUGEN_RESPONSE), rx_seq, (uint8_t)length,
                             (uint8_t)(length >> 8), (uint8_t)(length >> 16),
                             (uint8_t)(length >> 24)};
    uart_putc(MCUGEN_SYNC0);
    uart_putc(MCUGEN_SYNC1);
    tx_crc = 0;
    send_bytes(head, 6);
    send_bytes(&status, 1);
}

static void end_response(void)
{
    const uint32_t crc = tx_crc;
    for (int i = 0; i < 4; ++i) {
        uart_putc((uint8_t)(crc >> (8 * i)));
    }
}

static void send_u32(uint32_t v)
{
    const uint8_t b[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
    send_bytes(b, 4);
}

static void respond_status(uint8_t command, uint8_t status)
{
    begin_response(command, 1, status);
    end_response();
}

static uint32_t get_u32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) |
           ((uint32_t)p[3] << 24);
}

static uint32_t text_length(const char *s)
{
    uint32_t n = 0;
    while (s[n]) {
        ++n;
    }
    return n;
}

static void hello(void)
{
    /* key=value lines: what the host needs to check it talks to the firmware it built */
    const mcugen_model_info_t *m = MODEL->info;
    static const char *const keys[] = {"board=", "\nname=", "\nhash=", "\nkernels=",
                                       "\ncounter=", "\nflags="};
    const char *values[] = {MCUGEN_BOARD_NAME, m->name, m->hash, m->kernels,
                            MCUGEN_COUNTER_UNIT, MCUGEN_BUILD_FLAGS};
    const uint32_t n_in = m->num_inputs, n_out = m->num_outputs;
    uint32_t length = 1 + 1 + 6 * 4 + 3 + n_in + n_out;
    for (int i = 0; i < 6; ++i) {
        length += text_length(keys[i]) + text_length(values[i]);
    }
    begin_response(MCUGEN_CMD_HELLO, length, MCUGEN_ST_OK);
    const uint8_t version = MCUGEN_PROTOCOL_VERSION;
    send_bytes(&version, 1);
    send_u32(m->arena_bytes);
    send_u32(MCUGEN_INPUT_BYTES);
    send_u32(MCUGEN_OUTPUT_BYTES);
    send_u32(MCUGEN_TICKS_PER_INSTRUCTION_X1000);
    send_u32(m->num_layers);
    send_u32(m->state_bytes);
    const uint8_t io[3] = {MCUGEN_PROFILING, (uint8_t)n_in, (uint8_t)n_out};
    send_bytes(io, 3);
    send_bytes(m->input_dtype, n_in);
    send_bytes(m->output_dtype, n_out);
    for (int i = 0; i < 6; ++i) {
        send_bytes((const uint8_t *)keys[i], text_length(keys[i]));
        send_bytes((const uint8_t *)values[i], text_length(values[i]));
    }
    end_response();
}

static void set_input(const uint8_t *p, uint32_t n)
{
    /* offset u32 | data: the inputs, back to back, uploaded in acknowledged chunks */
    if (n < 4) {
        respond_status(MCUGEN_CMD_SET_INPUT, MCUGEN_ST_BAD_LENGTH);
        return;
    }
    const uint32_t offset = get_u32(p), count = n - 4;
    if (offset > MCUGEN_INPUT_BYTES || count > MCUGEN_INPUT_BYTES - offset) {
        respond_status(MCUGEN_CMD_SET_INPUT, MCUGEN_ST_BAD_ARGUMENT);
        return;
    }
    for (uint32_t i = 0; i < count; ++i) {
        *input_byte(offset + i) = p[4 + i];
    }
    respond_status(MCUGEN_CMD_SET_INPUT, MCUGEN_ST_OK);
}

static void invoke(void)
{
    const void *in_ptrs[MCUGEN_MAX_IO];
    void *out_ptrs[MCUGEN_MAX_IO];
    for (uint32_t i = 0; i < MODEL->info->num_inputs; ++i) {
        in_ptrs[i] = MODEL->input(i);
    }
    for (uint32_t i = 0; i < MODEL->info->num_outputs; ++i) {
        out_ptrs[i] = MODEL->output(i);
    }
    /* the counter's own cost, measured the same way, is reported so the host can remove it */
    counter_restart();
#ifdef MCUGEN_PROFILE
    mcugen_profile_stamp(MODEL->profile_stamps, 0);
    const uint64_t first = MODEL->profile_stamps[0];
    mcugen_profile_stamp(MODEL->profile_stamps, 0);
    stamp_cost = MODEL->profile_stamps[0] - first;
#endif
    const uint64_t e0 = counter_read();
    const uint64_t e1 = counter_read();
    const uint64_t t0 = counter_read();
    const int rc = MODEL->invoke(in_ptrs, out_ptrs);
    const uint64_t t1 = counter_read();
    if (rc != MCUGEN_OK) {
        respond_status(MCUGEN_CMD_INVOKE, MCUGEN_ST_MODEL_ERROR);
        return;
    }
    begin_response(MCUGEN_CMD_INVOKE, 1 + 5 * 4 + MCUGEN_OUTPUT_BYTES, MCUGEN_ST_OK);
    const uint64_t ticks = t1 - t0, overhead = e1 - e0;
    send_u32((uint32_t)ticks);
    send_u32((uint32_t)(ticks >> 32));
    send_u32((uint32_t)overhead);
    send_u32((uint32_t)(overhead >> 32));
    send_u32(stack_used_bytes());
    for (uint32_t i = 0; i < MODEL->info->num_outputs; ++i) {
        send_bytes((const uint8_t *)out_ptrs[i], MODEL->info->output_bytes[i]);
    }
    end_response();
}

static void profile(void)
{
    /* num_layers u32 | cost of one stamp u64 | (num_layers + 1) stamps u64 of the last invoke */
#ifdef MCUGEN_PROFILE
    const uint32_t n = MODEL->info->num_layers;
    begin_response(MCUGEN_CMD_PROFILE, 1 + 4 + 8 + 8 * (n + 1), MCUGEN_ST_OK);
    send_u32(n);
    send_u32((uint32_t)stamp_cost);
    send_u32((uint32_t)(stamp_cost >> 32));
    for (uint32_t i = 0; i <= n; ++i) {
        send_u32((uint32_t)MODEL->profile_stamps[i]);
        send_u32((uint32_t)(MODEL->profile_stamps[i] >> 32));
    }
    end_response();
#else
    respond_status(MCUGEN_CMD_PROFILE, MCUGEN_ST_UNKNOWN_COMMAND);   /* built without */
#endif
}

static void read_tensor(const uint8_t *p, uint32_t n)
{
    /* index u32 | offset u32 | count u32 -> the bytes of a tensor in the arena */
    if (n != 12) {
        respond_status(MCUGEN_CMD_READ_TENSOR, MCUGEN_ST_BAD_LENGTH);
        return;
    }
    uint32_t size = 0;
    const uint8_t *data = (const uint8_t *)MODEL->tensor(get_u32(p), &size);
    const uint32_t offset = get_u32(p + 4), count = get_u32(p + 8);
    if (data == NULL || offset > size || count > size - offset || count > 0xFFF0u) {
        respond_status(MCUGEN_CMD_READ_TENSOR, MCUGEN_ST_BAD_ARGUMENT);
        return;
    }
    begin_response(MCUGEN_CMD_READ_TENSOR, 1 + count, MCUGEN_ST_OK);
    send_bytes(data + offset, count);
    end_response();
}

void protocol_report_fault(uint32_t pc, uint32_t lr, uint32_t cfsr, uint32_t hfsr)
{
    begin_response(MCUGEN_CMD_FAULT, 1 + 16, MCUGEN_ST_MODEL_ERROR);
    send_u32(pc);
    send_u32(lr);
    send_u32(cfsr);
    send_u32(hfsr);
    end_response();
}

int main(void)
{
    uart_init();
    counter_init();
    MODEL->reset();          /* the state starts at its reset value, not at .bss's zeros */
    protocol_serve();
    return 0;
}

void protocol_serve(void)
{
    /* The last request carried out, by sequence number and CRC: a copy of it (the line duplicated
     * the frame) is dropped unanswered, since the host already has its answer and an invoke
     * carried out twice would advance a model's state twice. The host numbers requests 1..255 and
     * a retry gets a new number; 0 (hand-made frames) is never taken for a copy. */
    uint8_t last_seq = 0;
    uint32_t last_crc = 0;
    for (;;) {
        if (uart_getc() != MCUGEN_SYNC0) {
            continue;
        }
        uint8_t b = uart_getc();
        while (b == MCUGEN_SYNC0) {          /* a repeated first sync byte */
            b = uart_getc();
        }
        if (b != MCUGEN_SYNC1) {
            continue;
        }
        uint8_t head[6];
        for (int i = 0; i < 6; ++i) {
            head[i] = uart_getc();
        }
        rx_seq = head[1];
        const uint32_t length = get_u32(head + 2);
        if (length > MCUGEN_MAX_PAYLOAD) {
            respond_status(head[0], MCUGEN_ST_BAD_LENGTH);
            continue;                /* back to hunting: the rest is treated as garbage */
        }
        for (uint32_t i = 0; i < length; ++i) {
            rx[i] = uart_getc();
        }
        uint32_t crc = 0;
        for (int i = 0; i < 4; ++i) {
            crc |= (uint32_t)uart_getc() << (8 * i);
        }
        if (crc != crc32_update(crc32_update(0, head, 6), rx, length)) {
            respond_status(head[0], MCUGEN_ST_BAD_CRC);
            continue;
        }
        if (rx_seq != 0 && rx_seq == last_seq && crc == last_crc) {
            continue;
        }
        last_seq = rx_seq;
        last_crc = crc;
        switch (head[0]) {
        case MCUGEN_CMD_HELLO:
            hello();
            break;
        case MCUGEN_CMD_SET_INPUT:
            set_input(rx, length);
            break;
        case MCUGEN_CMD_INVOKE:
            invoke();
            break;
        case MCUGEN_CMD_PROFILE:
            profile();
            break;
        case MCUGEN_CMD_READ_TENSOR:
            read_tensor(rx, length);
            break;
        case MCUGEN_CMD_RESET:
            /* the state back to its initial values (a new sequence starts), the inputs zeroed */
            MODEL->reset();
            for (uint32_t i = 0; i < MCUGEN_INPUT_BYTES; ++i) {
                *input_byte(i) = 0;
            }
            respond_status(MCUGEN_CMD_RESET, MCUGEN_ST_OK);
            break;
        case MCUGEN_CMD_EXIT:
            respond_status(MCUGEN_CMD_EXIT, MCUGEN_ST_OK);
            board_exit(0);
            break;
        default:
            respond_status(head[0], MCUGEN_ST_UNKNOWN_COMMAND);
            break;
        }
    }
}
