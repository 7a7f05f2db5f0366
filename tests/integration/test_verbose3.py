"""-vvv as memcached 1.6.18 -vvv: its connection state machine's transitions ("N: going from
conn_a to conn_b") and its lookups ("> FOUND KEY k", "> NOT FOUND k") around the -vv request
and reply lines, for the text, meta and binary protocols. Each script runs on one connection
to a fresh cuckood -vvv and a fresh memcached -vvv, one request per read (the client waits
for each reply), and the two logs are compared line for line.

-vv's own known differences are written as memcached's before comparing: a get hit's reply
line (cuckood logs its VALUE line, memcached "sending key <key>"), meta replies (cuckood logs
them, memcached does not) and the cas in binary response dumps (each server's own counter).
memcached runs without its LRU crawler and maintainer threads, whose lines at -vvv would
interleave; its dump lines are written a byte at a time and another thread's write can land
between them, so its side is tried up to three times, as test_lifecycle's -vv comparison does.

ctest runs this file once per I/O engine (CUCKOOD_IO=uring|epoll, see harness.py).
"""

import re
import socket
import struct
import unittest

from binary_requests import LOG_BATCH, NOOP, STORE, packet
from harness import MEMCACHED_BIN, Server, wait_for


BINARY = "binary"  # a step's reply: binary packets up to the answer to its last request
QUIET = None  # a step with no reply

TEXT = [
    (b"set a 0 0 5\r\nhello\r\n", b"STORED\r\n"),
    (b"get a\r\n", b"END\r\n"),
    (b"get nokey\r\n", b"END\r\n"),
    (b"get a nokey a\r\n", b"END\r\n"),
    (b"gets a\r\n", b"END\r\n"),
    (b"add a 0 0 1\r\nx\r\n", b"NOT_STORED\r\n"),
    (b"append a 0 0 1\r\nx\r\n", b"STORED\r\n"),
    (b"touch a 100\r\n", b"TOUCHED\r\n"),
    (b"touch nokey 100\r\n", b"NOT_FOUND\r\n"),
    (b"cas nokey 0 0 1 99\r\nx\r\n", b"NOT_FOUND\r\n"),
    (b"prepend a 0 0 1\r\nx\r\n", b"STORED\r\n"),
    (b"gat 100 a nokey\r\n", b"END\r\n"),
    (b"delete a\r\n", b"DELETED\r\n"),
    (b"delete a\r\n", b"NOT_FOUND\r\n"),
    (b"set n 0 0 1\r\n5\r\n", b"STORED\r\n"),
    (b"incr n 3\r\n", b"8\r\n"),
    (b"decr nokey 3\r\n", b"NOT_FOUND\r\n"),
    (b"set q 0 0 1 noreply\r\nx\r\n", QUIET),
    (b"delete q noreply\r\n", QUIET),
    (b"bogus\r\n", b"ERROR\r\n"),
    (b"set b 0 0 zz\r\n", b"\r\n"),
    (b"set big 0 0 2000000\r\n" + b"v" * 2000002, b"\r\n"),
    (b"flush_all\r\n", b"OK\r\n"),
    (b"mn\r\n", b"MN\r\n"),
]

META = [
    (b"ms m 2\r\nhi\r\n", b"HD\r\n"),
    (b"mg m v\r\n", b"hi\r\n"),
    (b"mg nokey v\r\n", b"EN\r\n"),
    (b"mg nokey v q\r\nmn\r\n", b"MN\r\n"),
    (b"ma nokey\r\n", b"NF\r\n"),
    (b"ma c N0\r\n", b"HD\r\n"),
    (b"ma c\r\n", b"HD\r\n"),
    (b"me m\r\n", b"\r\n"),
    (b"md m\r\n", b"HD\r\n"),
    (b"md m q\r\nmn\r\n", b"MN\r\n"),
    (b"ms big 2000000\r\n" + b"v" * 2000002, b"\r\n"),
    (b"mn\r\n", b"MN\r\n"),
]

BINARY_SCRIPT = [
    (packet(0x01, b"k", STORE, b"value", 1), BINARY),  # set
    (packet(0x00, b"k", opaque=2), BINARY),  # get hit
    (packet(0x00, b"nokey", opaque=3), BINARY),  # get miss
    (packet(0x0C, b"k", opaque=4), BINARY),  # getk hit
    (packet(0x09, b"nokey"), QUIET),  # getq miss
    (NOOP, BINARY),
    (packet(0x09, b"nokey") + NOOP, BINARY),  # getq miss, noop: one read
    (packet(0x11, b"k", STORE, b"v") + NOOP, BINARY),  # setq
    (packet(0x02, b"k", STORE, b"x"), BINARY),  # add: exists
    (packet(0x04, b"k"), BINARY),  # delete hit
    (packet(0x04, b"k"), BINARY),  # delete miss
    (packet(0x05, b"n", struct.pack(">QQI", 5, 7, 0)), BINARY),  # incr: created
    (packet(0x05, b"n", struct.pack(">QQI", 5, 7, 0)), BINARY),  # incr: hit
    (packet(0x0E, b"nokey", value=b"!"), BINARY),  # append: not stored
    (packet(0x01, b"big", STORE, b"v" * 2000000), BINARY),  # set: too large
    (NOOP, BINARY),
]

QUIT = [
    (b"set a 0 0 1\r\nx\r\n", b"STORED\r\n"),
    (b"quit\r\n", QUIET),
]


def last_opcode(data):
    pos = 0
    while True:
        body = struct.unpack(">I", data[pos + 8:pos + 12])[0]
        if pos + 24 + body >= len(data):
            return data[pos + 1]
        pos += 24 + body


def read_binary(sock, data):
    """Reads response packets until the one answering the last request in `data`."""
    want = last_opcode(data)
    buf = b""
    while True:
        while len(buf) < 24 or len(buf) < 24 + struct.unpack(">I", buf[8:12])[0]:
            got = sock.recv(65536)
            if not got:
                raise EOFError(buf)
            buf += got
        size = 24 + struct.unpack(">I", buf[8:12])[0]
        opcode = buf[1]
        buf = buf[size:]
        if opcode == want and not buf:
            return


def read_until(sock, end):
    buf = b""
    while not buf.endswith(end):
        got = sock.recv(65536)
        if not got:
            raise EOFError(buf)
        buf += got


def run_script(server, script, level3=True):
    """Runs `script` on one connection, a request (step) per read; returns the server's log
    lines for that connection. At -vvv (`level3`) each step waits until the server is back to
    reading (or closing), so the next one arrives in a read of its own even when the server
    answered before it read all of the step (a value refused as too large)."""
    with server:
        # The harness's probe connection is logged first: wait for its close.
        assert wait_for(lambda: "connection closed." in server.output(), 5), server.output()
        sock = socket.create_connection(("127.0.0.1", server.port), timeout=10)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        for data, reply in script:
            logged = len(server.output())
            sock.sendall(data)
            if reply == BINARY:
                read_binary(sock, data)
            elif reply is not QUIET:
                read_until(sock, reply)
            if level3:
                done = lambda: READ_DONE.search(server.output()[logged:])
                assert wait_for(done, 5), server.output()
        sock.close()
        closed = lambda: server.output().count("connection closed.") >= 2
        assert wait_for(closed, 5), server.output()
    lines = server.output().splitlines()
    probe_closed = next(i for i, line in enumerate(lines) if "connection closed." in line)
    return [line for line in lines[probe_closed + 1:] if not is_noise(line)]


READ_DONE = re.compile(r"to conn_(read|closing)$", re.M)


# Start-up and shut-down lines of either server.
NOISE = re.compile(r"^(slab class|<\d+ server listening|Exiting|Signal handled|cuckood |warning:)")


def is_noise(line):
    return NOISE.match(line) is not None


def as_memcached_words(lines):
    """cuckood's -vv lines where they differ from memcached's by design (module docstring),
    the fd written as N."""
    out = []
    in_meta = False  # since a meta request line, up to the next request line
    for line in lines:
        line = re.sub(r"^([<>]?)\d+", r"\1N", line)
        hit = re.match(r"^>N VALUE (\S+) ", line)
        if hit:
            line = ">N sending key " + hit.group(1)
        if line.startswith("<N "):
            in_meta = re.match(r"^<N m[gsdae] ", line) is not None
        elif in_meta and line.startswith(">N "):
            continue
        out.append(line)
    return out


def without_cas(lines):
    """Response dumps' cas lines (their fifth and sixth) blanked: each server counts its own."""
    out = []
    dump_line = None
    for line in lines:
        if line == ">N Writing bin response:":
            dump_line = 0
        elif dump_line is not None:
            if dump_line in (4, 5):
                line = ">N   (cas)"
            dump_line = dump_line + 1 if dump_line < 5 else None
        out.append(line)
    return out


class VeryVeryVerboseTest(unittest.TestCase):
    def compare(self, script, level3=True):
        ours = without_cas(as_memcached_words(run_script(Server(["-vvv"]), script, level3)))
        self.assertIn("N: going from conn_new_cmd to conn_waiting", ours)
        memcached = Server(["-vvv", "-U", "0", "-o", "no_lru_crawler,no_lru_maintainer"],
                           binary=MEMCACHED_BIN)
        for _ in range(3):
            theirs = without_cas(as_memcached_words(run_script(memcached, script, level3)))
            if theirs == ours:
                break
            memcached = Server(memcached.args, binary=MEMCACHED_BIN)
        self.assertEqual(ours, theirs)

    def test_text(self):
        self.compare(TEXT)

    def test_meta(self):
        self.compare(META)

    def test_binary(self):
        self.compare(BINARY_SCRIPT)

    def test_quit(self):
        self.compare(QUIT)

    def test_pipelined_rule(self):
        # Requests in one read go on without waiting for a read (conn_new_cmd ->
        # conn_parse_cmd), as memcached goes when they reach it in one read.
        self.compare([(b"set a 0 0 1\r\nx\r\nget a\r\nget a b\r\ndelete a noreply\r\nmn\r\n",
                       b"MN\r\n")])

    def test_binary_pipelined(self):
        # the -vv batch of test_lifecycle, in one read: quiet misses, errors, an unknown opcode.
        self.compare([(LOG_BATCH, BINARY)])

    def test_start_of_a_request_left_after_answers(self):
        # memcached tries the rest of the read (conn_parse_cmd), flushes, and waits.
        self.compare([(b"get a\r\nget b", b"END\r\n"), (b"\r\n", b"END\r\n")])

    def test_verbosity_command_ends_level_3_at_once(self):
        # memcached checks its verbosity at each transition (and caps the command at 2).
        script = [(b"set a 0 0 1\r\nx\r\n", b"STORED\r\n"), (b"verbosity 2\r\n", b"OK\r\n"),
                  (b"get a\r\n", b"END\r\n")]
        self.compare(script, level3=False)

    def test_vv_prints_no_level_3_line(self):
        lines = run_script(Server(["-vv"]), TEXT[:3], level3=False)
        self.assertFalse([l for l in lines if "going from" in l or l.startswith("> ")], lines)
        self.assertIn("<N get a", [re.sub(r"^<\d+", "<N", l) for l in lines])


if __name__ == "__main__":
    unittest.main()
