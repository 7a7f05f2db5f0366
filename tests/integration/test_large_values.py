"""Large values sent straight from item memory (issue 6): pipelined large gets in text, meta and
binary come back byte for byte; a slow reader pipelining large gets while another client
overwrites and deletes those keys in a small cache (-m 8, so segments are evicted and reused
under the pinned replies) still receives every value intact and in request order.

Values name their key and version in every 32-byte line, so a value assembled from reused
memory cannot pass for a real one.
"""

import re
import socket
import struct
import threading
import time
import unittest

from harness import Server, ServerTestCase

HEADER = struct.Struct(">BBHBBHIIQ")
GET, GETQ, NOOP, GETK = 0x00, 0x09, 0x0A, 0x0C


def value_for(key, version, size):
    line = (b"%s#%d:" % (key, version)).ljust(32, b".")
    return (line * (size // 32 + 1))[:size]


def check_value(test, key, data, size):
    """`data` is some version of `key`'s value of `size` bytes, whole."""
    test.assertEqual(len(data), size)
    m = re.match(rb"([^#]+)#(\d+):", data)
    test.assertIsNotNone(m, data[:40])
    test.assertEqual(m.group(1), key)
    test.assertTrue(data == value_for(key, int(m.group(2)), size), "value of %r mixed" % key)


def bin_packet(opcode, key=b"", opaque=0):
    return HEADER.pack(0x80, opcode, len(key), 0, 0, 0, len(key), opaque, 0) + key


def read_bin(conn):
    header = HEADER.unpack(conn.read_exact(24))
    _, opcode, key_length, extras_length, _, status, body_length, opaque, _ = header
    body = conn.read_exact(body_length)
    return opcode, status, opaque, body[extras_length:extras_length + key_length], \
        body[extras_length + key_length:]


SIZES = [16 * 1024 - 1, 16 * 1024, 16 * 1024 + 1, 20000, 100 * 1024, 500 * 1024, 1000 * 1024]


class PipelinedLargeGets(ServerTestCase):
    SERVER_ARGS = ("-m", "64")

    def setUp(self):
        c = self.conn()
        self.values = {}
        for i, size in enumerate(SIZES):
            key = b"large%d" % i
            self.values[key] = value_for(key, 0, size)
            self.assertEqual(c.request(b"set %s 7 0 %d\r\n%s\r\n" % (key, size, self.values[key])),
                             b"STORED\r\n")

    def test_text_get_gets_and_meta(self):
        c = self.conn()
        keys = list(self.values)
        request = b"get " + b" ".join(keys + keys[::-1]) + b"\r\n"
        expected = b"".join(b"VALUE %s 7 %d\r\n%s\r\n" % (k, len(self.values[k]), self.values[k])
                            for k in keys + keys[::-1]) + b"END\r\n"
        for k in keys:
            request += b"mg %s s v f\r\n" % k
            expected += b"VA %d s%d f7\r\n%s\r\n" % (len(self.values[k]), len(self.values[k]),
                                                     self.values[k])
        request += b"mn\r\n"
        expected += b"MN\r\n"
        for _ in range(3):
            c.send(request)
            self.assertTrue(c.read_exact(len(expected)) == expected)
        c.send(b"gets " + b" ".join(keys) + b"\r\n")
        for k in keys:
            line = c.read_line()
            self.assertTrue(line.startswith(b"VALUE %s 7 %d " % (k, len(self.values[k]))), line)
            self.assertTrue(c.read_exact(len(self.values[k]) + 2) == self.values[k] + b"\r\n")
        self.assertEqual(c.read_line(), b"END\r\n")

    def test_binary_get_getk_getq_batches(self):
        c = self.conn()
        keys = list(self.values)
        batch = b""
        for i, k in enumerate(keys):
            batch += bin_packet(GETQ, k, opaque=3 * i)
            batch += bin_packet(GETQ, b"missing%d" % i, opaque=3 * i + 1)
            batch += bin_packet(GETK if i % 2 else GET, k, opaque=3 * i + 2)
        batch += bin_packet(NOOP, opaque=999)
        for _ in range(2):
            c.send(batch)
            for i, k in enumerate(keys):
                for opaque, with_key in ((3 * i, False), (3 * i + 2, bool(i % 2))):
                    _, status, got_opaque, key, value = read_bin(c)
                    self.assertEqual((status, got_opaque), (0, opaque))
                    self.assertEqual(key, k if with_key else b"")
                    self.assertTrue(value == self.values[k])
            opcode, status, opaque, _, _ = read_bin(c)
            self.assertEqual((opcode, status, opaque), (NOOP, 0, 999))


class SlowReaderWhileKeysChurn(unittest.TestCase):
    """-m 8: eight 1 MiB segments, so the writer recycles all of them many times over while
    the reader's pipelined replies (pinned or copied) wait in its backlog."""

    SIZE = 200 * 1024
    KEYS = [b"churn%d" % i for i in range(6)]

    def test_values_arrive_intact_and_in_order(self):
        with Server(["-m", "8", "-t", "2"]) as server:
            setup = server.connect()
            for k in self.KEYS:
                setup.request(b"set %s 0 0 %d\r\n%s\r\n" % (k, self.SIZE, value_for(k, 0, self.SIZE)))
            setup.close()
            stop = threading.Event()
            errors = []

            def churn():
                try:
                    w = server.connect()
                    version = 1
                    while not stop.is_set():
                        k = self.KEYS[version % len(self.KEYS)]
                        if version % 4 == 0:
                            w.request(b"delete %s\r\n" % k)
                        else:
                            w.request(b"set %s 0 0 %d\r\n%s\r\n"
                                      % (k, self.SIZE, value_for(k, version, self.SIZE)))
                        version += 1
                    w.close()
                except Exception as e:  # reported by the main thread
                    errors.append(e)

            writer = threading.Thread(target=churn)
            writer.start()
            try:
                sock = socket.create_connection(("127.0.0.1", server.port))
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16 * 1024)
                from harness import Conn
                r = Conn(sock)
                rounds = 8
                order = []
                request = b""
                for i in range(rounds):
                    for k in self.KEYS:
                        request += b"get %s\r\n" % k
                        order.append(("text", k))
                        request += b"mg %s v k\r\n" % k
                        order.append(("meta", k))
                r.send(request)  # ~19 MB of replies: well past the 1 MiB backlog mark
                hits = 0
                for kind, k in order:
                    time.sleep(0.004)  # a slow reader
                    line = r.read_line()
                    if kind == "text":
                        if line == b"END\r\n":
                            continue
                        self.assertEqual(line, b"VALUE %s 0 %d\r\n" % (k, self.SIZE))
                        check_value(self, k, r.read_exact(self.SIZE), self.SIZE)
                        self.assertEqual(r.read_exact(2), b"\r\n")
                        self.assertEqual(r.read_line(), b"END\r\n")
                    else:
                        if line == b"EN k%s\r\n" % k:  # a miss echoes the key, as memcached
                            continue
                        self.assertEqual(line, b"VA %d k%s\r\n" % (self.SIZE, k))
                        check_value(self, k, r.read_exact(self.SIZE), self.SIZE)
                        self.assertEqual(r.read_exact(2), b"\r\n")
                    hits += 1
                self.assertGreater(hits, len(order) // 4)
                sock.close()
            finally:
                stop.set()
                writer.join()
            self.assertEqual(errors, [])
            self.assertEqual(server.stop(), 0, server.output())


if __name__ == "__main__":
    unittest.main()
