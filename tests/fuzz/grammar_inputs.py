#!/usr/bin/python3
"""Writes fuzz inputs (tests/fuzz/fuzz_input.h) built from the protocols' grammar.

libFuzzer's mutations rarely assemble a whole valid request sequence around a rare command (a
delayed flush_all, then a cancel, then a metadump); these inputs do, over three keys so that
requests meet each other's items: text storage, retrieval, touch, arithmetic, flush_all with
every kind of delay, meta commands with random flags, stats groups, cachedump and metadump, and
binary requests of every opcode the server knows, with clock marks between them. scripts/fuzz.sh
gives them to every target as a seed corpus.

Usage: grammar_inputs.py DIR COUNT [SEED]   (the same SEED writes the same inputs)
"""
import os
import random
import struct
import sys

KEYS = [b"a", b"b", b"c"]
TEXT_TTLS = [b"0", b"1", b"2", b"3", b"5", b"100", b"-1", b"2592000", b"2592001",
             b"1700000005", b"1700000100"]
VALUES = [b"", b"1", b"x", b"12", b"abc", b"99999999999999999999"]
FLUSH_DELAYS = [b"", b" 0", b" 1", b" 2", b" 3", b" 10", b" -1", b" 2592001", b" 1699999000",
                b" 1700000001", b" 1700000002", b" 1700000050"]
ADMIN = [b"stats\r\n", b"stats items\r\n", b"stats slabs\r\n", b"stats settings\r\n",
         b"stats cachedump 1 0\r\n", b"stats cachedump 1 100\r\n", b"stats detail dump\r\n",
         b"lru_crawler metadump all\r\n", b"lru_crawler crawl all\r\n", b"mn\r\n",
         b"verbosity 1\r\n"]
# A clock mark's byte (fuzz_input.h): seconds, or from 0xF0 on powers of two from 2^8 s.
CLOCK_STEPS = [0, 1, 1, 2, 3, 5, 60, 0xF0, 0xF5, 0xFB]


def text_request(rnd):
    key = rnd.choice(KEYS)
    ttl = rnd.choice(TEXT_TTLS)
    kind = rnd.randrange(14)
    if kind < 2:
        value = rnd.choice(VALUES)
        verb = rnd.choice([b"set", b"add", b"replace", b"append", b"prepend"])
        noreply = b" noreply" if rnd.random() < 0.1 else b""
        return b"%s %s 0 %s %d%s\r\n%s\r\n" % (verb, key, ttl, len(value), noreply, value)
    if kind == 2:
        value = rnd.choice(VALUES)
        return b"cas %s 0 %s %d %d\r\n%s\r\n" % (key, ttl, len(value), rnd.randrange(1, 6), value)
    if kind == 3:
        keys = b" ".join(rnd.choice(KEYS) for _ in range(rnd.randrange(1, 4)))
        return rnd.choice([b"get ", b"gets "]) + keys + b"\r\n"
    if kind == 4:
        if rnd.random() < 0.5:
            return b"touch %s %s\r\n" % (key, ttl)
        return b"%s %s %s\r\n" % (rnd.choice([b"gat", b"gats"]), ttl, key)
    if kind == 5:
        return b"delete %s\r\n" % key
    if kind == 6:
        verb = rnd.choice([b"incr", b"decr"])
        return b"%s %s %s\r\n" % (verb, key, rnd.choice([b"1", b"5", b"18446744073709551615"]))
    if kind == 7:
        noreply = b" noreply" if rnd.random() < 0.1 else b""
        return b"flush_all%s%s\r\n" % (rnd.choice(FLUSH_DELAYS), noreply)
    if kind == 8:
        flags = [b"v", b"k", b"c", b"t", b"s", b"f", b"h", b"l", b"q", b"O1", b"E5",
                 b"T" + ttl, b"N" + ttl, b"R30"]
        return b"mg %s%s\r\n" % (key, meta_flags(rnd, flags, 5))
    if kind == 9:
        value = rnd.choice(VALUES)
        flags = [b"c", b"I", b"q", b"k", b"MA", b"MP", b"ME", b"MS", b"MR", b"C1", b"C2",
                 b"F5", b"T" + ttl]
        return b"ms %s %d%s\r\n%s\r\n" % (key, len(value), meta_flags(rnd, flags, 4), value)
    if kind == 10:
        flags = [b"I", b"q", b"k", b"x", b"C1", b"T" + ttl]
        return b"md %s%s\r\n" % (key, meta_flags(rnd, flags, 3))
    if kind == 11:
        flags = [b"v", b"t", b"c", b"q", b"MI", b"MD", b"J5", b"D3", b"N" + ttl, b"T" + ttl]
        return b"ma %s%s\r\n" % (key, meta_flags(rnd, flags, 4))
    if kind == 12:
        return b"me %s\r\n" % key
    return rnd.choice(ADMIN)


def meta_flags(rnd, flags, most):
    return b"".join(b" " + f for f in rnd.sample(flags, rnd.randrange(0, most)))


BINARY_OPCODES = [0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x08, 0x09, 0x0A, 0x0C, 0x0D, 0x0E,
                  0x0F, 0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x18, 0x19, 0x1A, 0x1C, 0x1D,
                  0x1E]
BINARY_TTLS = [0, 1, 2, 3, 100, 2592001, 1700000005, 1700000100, 0xFFFFFFFF]


def binary_request(rnd):
    op = rnd.choice(BINARY_OPCODES)
    key = rnd.choice(KEYS)
    extras = b""
    value = b""
    if op in (0x01, 0x02, 0x03, 0x11, 0x12, 0x13):  # set, add, replace (quiet too)
        extras = struct.pack(">II", rnd.randrange(3), rnd.choice(BINARY_TTLS))
        value = rnd.choice(VALUES)
    elif op in (0x05, 0x06, 0x15, 0x16):  # incr, decr: delta, initial, exptime
        extras = struct.pack(">QQI", rnd.choice([1, 5]), rnd.choice([0, 7]),
                             rnd.choice([0, 1, 0xFFFFFFFF]))
    elif op in (0x08, 0x18):  # flush: an optional delay
        key = b""
        if rnd.random() < 0.7:
            extras = struct.pack(">I", rnd.choice([0, 1, 2, 10, 1700000001, 1700000050]))
    elif op in (0x0E, 0x0F, 0x19, 0x1A):  # append, prepend
        value = rnd.choice(VALUES)
    elif op in (0x1C, 0x1D, 0x1E):  # touch, gat, gatq
        extras = struct.pack(">I", rnd.choice(BINARY_TTLS))
    elif op == 0x0A:  # noop
        key = b""
    elif op == 0x10:  # stat
        key = rnd.choice([b"", b"items", b"slabs", b"settings"])
    body = extras + key + value
    cas = rnd.choice([0, 0, 0, 1, 2, 3])
    return struct.pack(">BBHBBHIIQ", 0x80, op, len(key), len(extras), 0, 0, len(body),
                       rnd.randrange(100), cas) + body


def fuzz_input(rnd):
    binary = rnd.random() < 0.3
    parts = [bytes([rnd.choice([0, 1, 5, 64, 255])])]  # the read size of chunked feeds
    for i in range(rnd.randrange(3, 40)):
        if i > 0 and rnd.random() < 0.3:
            parts.append(b"\xfe\xfd" + bytes([rnd.choice(CLOCK_STEPS)]))
        parts.append(binary_request(rnd) if binary else text_request(rnd))
    return b"".join(parts)[:4096]


def main():
    if len(sys.argv) not in (3, 4):
        sys.exit(__doc__)
    directory, count = sys.argv[1], int(sys.argv[2])
    rnd = random.Random(int(sys.argv[3]) if len(sys.argv) == 4 else 1)
    os.makedirs(directory, exist_ok=True)
    for n in range(count):
        with open(os.path.join(directory, "grammar-%06d" % n), "wb") as f:
            f.write(fuzz_input(rnd))


if __name__ == "__main__":
    main()
