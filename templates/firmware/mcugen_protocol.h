/*
 * mcugen_protocol.h - the serial protocol's numbers, defined once for both sides: the firmware's
 * protocol server (protocol.c) includes this file and the host side (mcugen/device/protocol.py)
 * reads it. Keep each constant a plain `#define MCUGEN_<NAME> <integer>` line: that is what the
 * Python side parses, and tests/device/test_protocol_constants.py checks both sides agree.
 *
 * Frame (both directions): SYNC0 SYNC1 | command u8 | sequence u8 | length u32 LE | payload |
 * CRC-32 u32 LE. A response echoes the command with MCUGEN_RESPONSE set and the request's
 * sequence number, and starts with a status byte.
 */
#ifndef MCUGEN_PROTOCOL_H
#define MCUGEN_PROTOCOL_H

#define MCUGEN_PROTOCOL_VERSION 2      /* 2: sequence numbers, u32 lengths, I/O dtypes and
                                         * layers in HELLO, PROFILE */
#define MCUGEN_SYNC0 0xA5
#define MCUGEN_SYNC1 0x5A
#define MCUGEN_RESPONSE 0x80
#define MCUGEN_MAX_PAYLOAD 512          /* a request larger than this is refused */

/* commands */
#define MCUGEN_CMD_HELLO 0x01
#define MCUGEN_CMD_SET_INPUT 0x02
#define MCUGEN_CMD_INVOKE 0x03
#define MCUGEN_CMD_READ_TENSOR 0x04
#define MCUGEN_CMD_RESET 0x05
#define MCUGEN_CMD_PROFILE 0x06         /* the per-layer counter stamps of the last invoke */
#define MCUGEN_CMD_EXIT 0x07
#define MCUGEN_CMD_FAULT 0x7F           /* unsolicited: the HardFault report */

/* the status byte of a response */
#define MCUGEN_ST_OK 0
#define MCUGEN_ST_BAD_CRC 1
#define MCUGEN_ST_BAD_LENGTH 2
#define MCUGEN_ST_UNKNOWN_COMMAND 3
#define MCUGEN_ST_BAD_ARGUMENT 4
#define MCUGEN_ST_MODEL_ERROR 5

#endif /* MCUGEN_PROTOCOL_H */
