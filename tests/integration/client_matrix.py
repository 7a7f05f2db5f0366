"""The client matrix's shared scenario (test_php_memcached.py, test_spymemcached.py,
test_npm_memcached.py, test_memjs.py): one program per client library, written in the client's
own language under clients/, runs the same operations through the library against one server
per protocol and prints, as one JSON object, {protocol: {step: result}}. The results are
normalised there to JSON: a store, cas, delete or touch gives true/false, a get the value or
null, a multi-get an object of the keys found, an incr/decr the new value or null (a miss).

Each server is started with -B ascii or -B binary, so a library that spoke the other protocol
would fail. Here the results are compared with EXPECTED, and then each server is asked
directly (raw commands in its protocol): the values the library left, the ttl touch gave (text
only: binary does not tell it), and the command counters, which show that every operation
reached the server as itself (a cas as a cas, a touch as a touch) rather than being emulated
by the library.

The scenario, in the order a program runs it (KEY is "matrix:"):
  before: the test stores KEY raw = "from-raw" itself
  get_raw, set, get, get_missing, set k2, get_multi [k1, k2, missing, raw],
  add_existing (k1), add_new (k3 = "a"), replace_existing (k3 = "r"), replace_missing,
  get_replaced, cas_fresh (k1 = "c1" with the cas gets gave), cas_stale (k1 = "c2", same cas),
  get_cas, set n = "10", incr (n + 5), decr (n - 20), incr_missing (nocounter), delete (k2),
  delete_again, get_deleted, touch (k1, TOUCH_TTL), touch_missing, set_big (BIG_VALUE),
  get_big_matches
"""

import json
import os
import struct
import subprocess
import unittest

from harness import Server
from ketama import Continuum

CLIENTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "clients")
# Where scripts/install-npm-clients.sh put the npm clients (CMakeLists.txt here tells the tests).
NPM_DIR = os.environ.get("CUCKOOD_NPM_DIR", os.path.join(CLIENTS, "../../../build/npm"))

KEY = "matrix:"
TOUCH_TTL = 1000
# 500 KB, more than one of most clients' read buffers; servers run with -I 2m, so no library
# splits it or refuses it on its own size limit.
BIG_VALUE = "0123456789abcdef" * 32000
SERVER_ARGS = ("-I", "2m")
RING_SERVERS = 3
RING_KEYS = 150
CLIENT_TIMEOUT = 120

EXPECTED = {
    "get_raw": "from-raw",
    "set": True,
    "get": "v1",
    "get_missing": None,
    "get_multi": {KEY + "k1": "v1", KEY + "k2": "v2", KEY + "raw": "from-raw"},
    "add_existing": False,
    "add_new": True,
    "replace_existing": True,
    "replace_missing": False,
    "get_replaced": "r",
    "cas_fresh": True,
    "cas_stale": False,
    "get_cas": "c1",
    "incr": 15,
    "decr": 0,
    "incr_missing": None,
    "delete": True,
    "delete_again": False,
    "get_deleted": None,
    "touch": True,
    "touch_missing": False,
    "set_big": True,
    "get_big_matches": True,
}

# What the scenario adds to the server's counters (`stats`), whatever the protocol; the cas
# steps' apart, for a library that offers no cas.
CAS_COUNTERS = {"cas_hits": 1, "cas_badval": 1}
EXPECTED_COUNTERS = {
    "incr_hits": 1,
    "incr_misses": 1,
    "decr_hits": 1,
    "delete_hits": 1,
    "delete_misses": 1,
    "touch_hits": 1,
    "touch_misses": 1,
}


def run_program(command, env=None):
    """Runs a client program; returns its parsed stdout, failing with its stderr."""
    done = subprocess.run(command, env=env, capture_output=True, text=True,
                          timeout=CLIENT_TIMEOUT)
    if done.returncode != 0:
        raise AssertionError("%s exited %d:\n%s\n%s" % (command[0], done.returncode, done.stdout,
                                                         done.stderr))
    return json.loads(done.stdout)


def run_node(program, args):
    """Runs clients/`program` with node, which finds the npm clients in NPM_DIR."""
    modules = os.path.join(NPM_DIR, "node_modules")
    if not os.path.isdir(modules):
        raise AssertionError("no npm clients in %s: scripts/install-deps.sh test installs them"
                             % NPM_DIR)
    return run_program(["node", os.path.join(CLIENTS, program)] + args,
                       env=dict(os.environ, NODE_PATH=modules))


class Raw:
    """The test's own connection to a server, beside the library's."""

    def __init__(self, server):
        self.conn = server.connect()

    def close(self):
        self.conn.close()


class TextRaw(Raw):
    """Raw text commands, for a -B ascii server."""

    def set(self, key, value):
        request = b"set %s 0 0 %d\r\n%s\r\n" % (key.encode(), len(value), value)
        assert self.conn.request(request) == b"STORED\r\n"

    def get(self, key):
        self.conn.send(b"get %s\r\n" % key.encode())
        header = self.conn.read_line()
        if header == b"END\r\n":
            return None
        value = self.conn.read_exact(int(header.split()[3]) + 2)[:-2]
        assert self.conn.read_line() == b"END\r\n"
        return value

    def ttl(self, key):
        """The remaining ttl of `key` (meta get's t flag), in seconds."""
        line = self.conn.request(b"mg %s t\r\n" % key.encode())
        assert line.startswith(b"HD t"), line
        return int(line.split()[1][1:])

    def stats(self):
        self.conn.send(b"stats\r\n")
        out = {}
        while (line := self.conn.read_line()) != b"END\r\n":
            _, name, value = line.decode().split()
            out[name] = value
        return out


BINARY_HEADER = struct.Struct(">BBHBBHIIQ")
BINARY_GET, BINARY_SET, BINARY_STAT = 0x00, 0x01, 0x10


class BinaryRaw(Raw):
    """Raw binary packets, for a -B binary server (which tells no item's ttl)."""

    def request(self, opcode, key=b"", extras=b"", value=b""):
        body = extras + key + value
        self.conn.send(BINARY_HEADER.pack(0x80, opcode, len(key), len(extras), 0, 0, len(body),
                                          0, 0) + body)
        return self.response()

    def response(self):
        """(status, key, value) of the next response packet."""
        (_, _, key_length, extras_length, _, status, body_length, _,
         _) = BINARY_HEADER.unpack(self.conn.read_exact(BINARY_HEADER.size))
        body = self.conn.read_exact(body_length)
        return status, body[extras_length:extras_length + key_length], \
            body[extras_length + key_length:]

    def set(self, key, value):
        status, _, _ = self.request(BINARY_SET, key.encode(), struct.pack(">II", 0, 0), value)
        assert status == 0, status

    def get(self, key):
        status, _, value = self.request(BINARY_GET, key.encode())
        return value if status == 0 else None

    def stats(self):
        _, name, value = self.request(BINARY_STAT)
        out = {}
        while name:
            out[name.decode()] = value.decode()
            _, name, value = self.response()
        return out


RAW = {"ascii": TextRaw, "binary": BinaryRaw}


class ClientMatrixTest(unittest.TestCase):
    """Subclasses name PROTOCOLS (the -B values the library is run with) and run_client."""

    PROTOCOLS = ("ascii",)
    # Steps the library offers no call for: its program leaves them out.
    NOT_OFFERED = ()
    # The library's incr always sends the binary protocol's initial value, so the server
    # creates a missing counter (with it, 0) instead of missing, and counts no miss.
    CREATES_MISSING_COUNTER = False

    @classmethod
    def run_client(cls, ports):
        """Runs the library's program against {protocol: port}; returns its stdout."""
        raise NotImplementedError

    @staticmethod
    def arguments(ports):
        """A program's arguments for {protocol: port}: PROTOCOL=PORT ..."""
        return ["%s=%d" % item for item in ports.items()]

    @classmethod
    def setUpClass(cls):
        if cls is ClientMatrixTest:
            raise unittest.SkipTest("the shared scenario; its subclasses run it")
        cls.servers = {p: Server(SERVER_ARGS + ("-B", p)).start() for p in cls.PROTOCOLS}
        cls.before = {}
        for protocol, server in cls.servers.items():
            raw = RAW[protocol](server)
            raw.set(KEY + "raw", b"from-raw")
            cls.before[protocol] = raw.stats()
            raw.close()
        cls.results = cls.run_client({p: s.port for p, s in cls.servers.items()})

    @classmethod
    def tearDownClass(cls):
        if cls is ClientMatrixTest:
            return
        codes = {p: s.stop() for p, s in cls.servers.items()}
        assert all(c == 0 for c in codes.values()), "server exit codes %s" % codes

    def raw(self, protocol):
        raw = RAW[protocol](self.servers[protocol])
        self.addCleanup(raw.close)
        return raw

    def test_results(self):
        for protocol in self.PROTOCOLS:
            with self.subTest(protocol=protocol):
                expected = {step: result for step, result in EXPECTED.items()
                            if step not in self.NOT_OFFERED}
                if self.CREATES_MISSING_COUNTER:
                    expected["incr_missing"] = 0
                self.assertEqual(self.results[protocol], expected)

    def test_server_holds_what_the_library_left(self):
        for protocol in self.PROTOCOLS:
            with self.subTest(protocol=protocol):
                raw = self.raw(protocol)
                self.assertEqual(raw.get(KEY + "k1"), b"c1")
                self.assertIsNone(raw.get(KEY + "k2"))
                self.assertEqual(raw.get(KEY + "k3"), b"r")
                # int: memcached pads a shrunk counter with spaces ("0 ").
                self.assertEqual(int(raw.get(KEY + "n")), 0)
                self.assertEqual(raw.get(KEY + "big"), BIG_VALUE.encode())
                self.assertEqual(raw.get(KEY + "nocounter"),
                                 b"0" if self.CREATES_MISSING_COUNTER else None)
                if protocol == "ascii":
                    self.assertTrue(TOUCH_TTL - 60 <= raw.ttl(KEY + "k1") <= TOUCH_TTL)

    def test_every_operation_reached_the_server_as_itself(self):
        for protocol in self.PROTOCOLS:
            with self.subTest(protocol=protocol):
                after = self.raw(protocol).stats()
                expected = dict(EXPECTED_COUNTERS)
                if "cas_fresh" not in self.NOT_OFFERED:
                    expected.update(CAS_COUNTERS)
                if self.CREATES_MISSING_COUNTER:
                    expected["incr_misses"] = 0
                added = {name: int(after[name]) - int(self.before[protocol][name])
                         for name in expected}
                self.assertEqual(added, expected)


class RingTest(unittest.TestCase):
    """A library hashing keys over RING_SERVERS servers: subclasses give run_ring, which runs a
    program that stores "ring:0" ... "ring:<RING_KEYS - 1>" (value: the key) through the library,
    reads them back in one multi-get and returns {"stored": sets that succeeded, "got": {key:
    value}}. Each key must then be on the server libketama's continuum (ketama.py) names."""

    def run_ring(self, ports):
        raise NotImplementedError

    def setUp(self):
        if type(self) is RingTest:
            self.skipTest("the shared check; its subclasses run it")
        self.servers = [Server().start() for _ in range(RING_SERVERS)]
        for server in self.servers:
            self.addCleanup(server.stop)

    def test_each_key_on_the_server_ketama_picks(self):
        out = self.run_ring([s.port for s in self.servers])
        keys = ["ring:%d" % i for i in range(RING_KEYS)]
        self.assertEqual(out, {"stored": RING_KEYS, "got": {key: key for key in keys}})
        continuum = Continuum(s.address() for s in self.servers)
        for server in self.servers:
            raw = TextRaw(server)
            self.addCleanup(raw.close)
            held = {key for key in keys if raw.get(key) is not None}
            self.assertEqual(held, {k for k in keys if continuum.server(k) == server.address()})
            self.assertTrue(held, "no key on %s" % server.address())
