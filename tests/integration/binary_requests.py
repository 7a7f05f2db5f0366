"""Binary request packets for the logging tests (test_lifecycle's -vv, test_verbose3's -vvv),
and the batch both send: quiet misses, errors and an unknown opcode in one read."""

import struct


def packet(opcode, key=b"", extras=b"", value=b"", opaque=0):
    body = extras + key + value
    return struct.pack(">BBHBBHIIQ", 0x80, opcode, len(key), len(extras), 0, 0, len(body),
                       opaque, 0) + body


STORE = struct.pack(">II", 0, 0)
NOOP = packet(0x0A)

LOG_BATCH = (packet(0x01, b"k", STORE, b"value", 1) + packet(0x00, b"k", opaque=2) +
             packet(0x09, b"nokey") + packet(0x0C, b"nokey", opaque=3) +
             packet(0x00, b"nokey", opaque=4) + packet(0x02, b"k", STORE, b"x") +
             packet(0x0E, b"k", value=b"!") + packet(0x0F, b"nokey", value=b"!") +
             packet(0x05, b"n", struct.pack(">QQI", 5, 7, 0)) +
             packet(0x06, b"k", struct.pack(">QQI", 1, 0, 0xFFFFFFFF)) +
             packet(0x04, b"k") + packet(0x04, b"k") +
             packet(0x1C, b"n", struct.pack(">I", 0)) + packet(0x30) + NOOP)
