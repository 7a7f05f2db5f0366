"""Long and hostile request lines against the running server: multi-gets of any length
(pymemcache's get_many of 12,000 keys, a line longer than -I) answered in full with bounded
memory, other over-long lines and HTTP requests closed as memcached closes them, and -C's
flush_all timing.

Set CUCKOOD_REFERENCE=memcached to run the same checks against /usr/bin/memcached (the memory
bound is cuckood's own and is skipped there)."""

import threading
import time
import unittest

from pymemcache.client.base import Client

import harness
from test_text import REFERENCE, TextTestCase

KEY_COUNT = 12000


def key(i, prefix="long-line-key"):
    # ~150 bytes each: the get line of KEY_COUNT keys is ~1.8 MB, longer than -I (1 MB).
    return "%s-%06d-%s" % (prefix, i, "x" * 128)


class LongMultiGet(TextTestCase):
    SERVER_ARGS = ("-m", "256")

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        client = Client(("127.0.0.1", cls.server.port), timeout=30)
        for start in range(0, KEY_COUNT, 1000):
            client.set_many({key(i): b"value-%d" % i for i in range(start, start + 1000)},
                            noreply=False)
        client.close()

    def setUp(self):
        pass  # no flush: the keys stored for the class stay

    def test_pymemcache_get_many(self):
        client = Client(("127.0.0.1", self.server.port), timeout=30)
        self.addCleanup(client.close)
        keys = [key(i) for i in range(KEY_COUNT)]
        self.assertGreater(len(" ".join(keys)), 1 << 20)
        got = client.get_many(keys + ["missing-key"])
        self.assertEqual(len(got), KEY_COUNT)
        self.assertEqual(got, {key(i): b"value-%d" % i for i in range(KEY_COUNT)})
        self.assertEqual(client.get(key(7)), b"value-7")  # the connection is still in step

    def test_raw_get_gets_gat(self):
        line = " ".join(key(i) for i in range(KEY_COUNT)).encode()
        expected = b"".join(b"VALUE %s 0 %d\r\nvalue-%d\r\n" % (key(i).encode(),
                                                                 len(b"value-%d" % i), i)
                            for i in range(KEY_COUNT)) + b"END\r\n"
        c = self.server.connect(timeout=30)
        self.addCleanup(c.close)
        # Sent in pieces that cut keys, as a client's writes may.
        request = b"get " + line + b"\r\n"
        for pos in range(0, len(request), 65521):
            c.send(request[pos:pos + 65521])
        self.assertEqual(c.read_exact(len(expected)), expected)
        gets = c.request(b"gets " + line + b"\r\n", b"END\r\n")
        self.assertEqual(gets.count(b"VALUE "), KEY_COUNT)
        if not REFERENCE:  # memcached hangs up on a long gat/gats line split across reads
            gats = c.request(b"gats 0 " + line + b"\r\n", b"END\r\n")
            self.assertEqual(gats, gets)
        self.assertEqual(c.request(b"version\r\n")[:14], b"VERSION 1.6.18")

    @unittest.skipIf(REFERENCE, "memcached holds the whole line and the whole reply")
    def test_slow_reader_keeps_memory_bounded(self):
        value = b"v" * 4000
        keys = [key(i, "big").encode() for i in range(KEY_COUNT)]
        c = self.server.connect(timeout=30)
        self.addCleanup(c.close)
        for start in range(0, KEY_COUNT, 1000):
            c.send(b"".join(b"set %s 0 0 %d noreply\r\n%s\r\n" % (k, len(value), value)
                            for k in keys[start:start + 1000]))
        self.assertEqual(c.request(b"mn\r\n"), b"MN\r\n")
        before = harness.rss_kib(self.server.proc.pid)
        # 12,000 hits of 4 KB: a 48 MB reply to one 1.8 MB line, not read for a while. The
        # server must stop reading the line once its unsent reply passes its cap.
        request = b"get " + b" ".join(keys) + b"\r\n"
        sender = threading.Thread(target=c.sock.sendall, args=(request,))
        sender.start()
        time.sleep(1.0)
        if not harness.SANITIZED:  # a sanitizer's quarantine keeps freed buffers resident
            grown = harness.rss_kib(self.server.proc.pid) - before
            self.assertLess(grown, 24 * 1024, "server grew %d KiB holding the reply" % grown)
        expected = sum(len(b"VALUE %s 0 4000\r\n" % k) + len(value) + 2 for k in keys) + 5
        received = 0
        tail = b""
        while not tail.endswith(b"END\r\n"):
            chunk = c.sock.recv(1 << 20)
            self.assertTrue(chunk, "connection closed after %d bytes" % received)
            received += len(chunk)
            tail = (tail + chunk)[-5:]
        sender.join()
        self.assertEqual(received, expected)
        self.assertEqual(c.request(b"mn\r\n"), b"MN\r\n")


class HostileLines(TextTestCase):
    def test_http_requests_are_hung_up_on(self):
        for line in (b"GET / HTTP/1.0\r\n", b"POST /x HTTP/1.1\r\nHost: a\r\n\r\n",
                     b"PUT /asdf/asd/fasdfasdf/sadf HTTP/1.1\r\n", b"DELETE HTTP/1.1\r\n"):
            c = self.conn()
            c.send(line)
            self.assertTrue(c.is_closed(), line)
            self.assertEqual(c.buf, b"", line)

    def test_http_lookalikes_are_answered(self):
        c = self.conn()
        self.assertEqual(c.request(b"get / HTTP/1.0\r\n"), b"END\r\n")
        self.assertEqual(c.request(b"delete HTTP/1.1\r\n"), b"NOT_FOUND\r\n")
        self.assertEqual(c.request(b"GET /\r\n"), b"ERROR\r\n")

    def test_long_line_without_newline_closes(self):
        c = self.conn()
        c.send(b"set " + b"x" * 3000)
        self.assertTrue(c.is_closed())

    def test_long_line_arriving_whole_is_answered(self):
        c = self.conn()
        self.assertEqual(c.request(b"set " + b"x" * 3000 + b" 0 0 1\r\n"),
                         b"CLIENT_ERROR bad command line format\r\n")
        self.assertEqual(c.request(b"get " + b" " * 3000 + b"\r\n"), b"ERROR\r\n")


class NoCasFlush(TextTestCase):
    """t/flush-all.t's -C case: without cas, flush_all also flushes what is stored in the rest
    of its second."""

    SERVER_ARGS = ("-C",)

    def test_store_in_the_flush_second_is_flushed(self):
        c = self.c
        flushed = 0
        for _ in range(5):
            self.assertEqual(c.request(b"flush_all 0\r\nset foo 0 0 3\r\nnew\r\n",
                                       b"STORED\r\n"), b"OK\r\nSTORED\r\n")
            if c.request(b"get foo\r\n", b"END\r\n") == b"END\r\n":
                flushed += 1
        # Only a second boundary between the flush and the set lets a store through.
        self.assertGreaterEqual(flushed, 4)
        self.assertTrue(harness.wait_for(
            lambda: c.request(b"set foo 0 0 3\r\nnew\r\nget foo\r\n", b"END\r\n").endswith(
                b"VALUE foo 0 3\r\nnew\r\nEND\r\n"), timeout=3, interval=0.2))


if __name__ == "__main__":
    unittest.main()
