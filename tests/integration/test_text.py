"""The classic text protocol over raw sockets against the running server: every command, its
errors and noreply, pipelining, requests split across sends, large and too-large values, and
which errors keep the connection open (as memcached 1.6.18 does).

Set CUCKOOD_REFERENCE=memcached to run the same checks against /usr/bin/memcached (that is how
the expectations here were validated)."""

import os
import time
import unittest

import harness

REFERENCE = os.environ.get("CUCKOOD_REFERENCE") == "memcached"


def start_server(args=()):
    binary = harness.MEMCACHED_BIN if REFERENCE else None
    return harness.Server(args, binary=binary).start()


class TextTestCase(unittest.TestCase):
    SERVER_ARGS = ()

    @classmethod
    def setUpClass(cls):
        cls.server = start_server(cls.SERVER_ARGS)

    @classmethod
    def tearDownClass(cls):
        code = cls.server.stop()
        assert code == 0, "server exit code %s: %s" % (code, cls.server.output())

    def setUp(self):
        self.c = self.conn()
        self.assertEqual(self.c.request(b"flush_all\r\n"), b"OK\r\n")

    def conn(self):
        c = self.server.connect()
        self.addCleanup(c.close)
        return c

    def ask(self, data, terminator=b"\r\n"):
        return self.c.request(data, terminator)

    def gone(self, key, timeout=5.0):
        """Waits until `key` misses (it expires or is flushed); False if it still hits after
        `timeout` seconds."""
        return harness.wait_for(
            lambda: self.ask(b"get %s\r\n" % key, b"END\r\n") == b"END\r\n", timeout, 0.05)

    def assertStillOpen(self, c=None):
        c = c or self.c
        self.assertEqual(c.request(b"version\r\n")[:14], b"VERSION 1.6.18")


class Storage(TextTestCase):
    def test_set_get(self):
        self.assertEqual(self.ask(b"set k 5 0 3\r\nabc\r\n"), b"STORED\r\n")
        self.assertEqual(self.ask(b"get k\r\n", b"END\r\n"), b"VALUE k 5 3\r\nabc\r\nEND\r\n")

    def test_add_replace_append_prepend(self):
        self.assertEqual(self.ask(b"add k 0 0 1\r\nb\r\n"), b"STORED\r\n")
        self.assertEqual(self.ask(b"add k 0 0 1\r\nx\r\n"), b"NOT_STORED\r\n")
        self.assertEqual(self.ask(b"replace nokey 0 0 1\r\nx\r\n"), b"NOT_STORED\r\n")
        self.assertEqual(self.ask(b"replace k 3 0 1\r\nc\r\n"), b"STORED\r\n")
        self.assertEqual(self.ask(b"append k 0 0 1\r\nd\r\n"), b"STORED\r\n")
        self.assertEqual(self.ask(b"prepend k 0 0 2\r\nab\r\n"), b"STORED\r\n")
        self.assertEqual(self.ask(b"append nokey 0 0 1\r\nd\r\n"), b"NOT_STORED\r\n")
        self.assertEqual(self.ask(b"get k\r\n", b"END\r\n"), b"VALUE k 3 4\r\nabcd\r\nEND\r\n")

    def test_cas(self):
        self.assertEqual(self.ask(b"cas k 0 0 1 1\r\nx\r\n"), b"NOT_FOUND\r\n")
        self.ask(b"set k 0 0 1\r\na\r\n")
        line = self.ask(b"gets k\r\n", b"END\r\n").split(b"\r\n")[0]
        unique = int(line.split()[4])
        self.assertEqual(self.ask(b"cas k 0 0 1 %d\r\nb\r\n" % (unique + 1)), b"EXISTS\r\n")
        self.assertEqual(self.ask(b"cas k 0 0 1 %d\r\nc\r\n" % unique), b"STORED\r\n")
        self.assertEqual(self.ask(b"cas k 0 0 1 %d\r\nd\r\n" % unique), b"EXISTS\r\n")
        self.assertEqual(self.ask(b"get k\r\n", b"END\r\n"), b"VALUE k 0 1\r\nc\r\nEND\r\n")

    def test_noreply(self):
        self.c.send(b"set k 0 0 1 noreply\r\na\r\nadd k 0 0 1 noreply\r\nx\r\n"
                    b"append k 0 0 1 noreply\r\nb\r\nprepend k 0 0 1 noreply\r\nc\r\n"
                    b"replace nokey 0 0 1 noreply\r\nx\r\ncas k 0 0 1 1 noreply\r\nx\r\n"
                    b"incr k 1 noreply\r\ndelete nokey noreply\r\ntouch k 0 noreply\r\n"
                    b"flush_all 100 noreply\r\nverbosity 0 noreply\r\n"
                    b"set k 0 0 -1 noreply\r\nget k\r\n")
        self.assertEqual(self.c.read_until(b"END\r\n"), b"VALUE k 0 3\r\ncab\r\nEND\r\n")
        self.ask(b"flush_all\r\n")

    def test_bad_command_line_keeps_connection(self):
        bad = b"CLIENT_ERROR bad command line format\r\n"
        self.assertEqual(self.ask(b"set k x 0 1\r\n"), bad)
        self.assertEqual(self.ask(b"a\r\n"), b"ERROR\r\n")  # the data line is not swallowed
        self.assertEqual(self.ask(b"set k 0 0 -1\r\n"), bad)
        self.assertEqual(self.ask(b"set " + b"k" * 251 + b" 0 0 1\r\n"), bad)
        self.assertEqual(self.ask(b"cas k 0 0 1 x\r\n"), bad)
        self.assertEqual(self.ask(b"set k 0 0\r\n"), b"ERROR\r\n")
        self.assertStillOpen()

    def test_bad_data_chunk(self):
        self.assertEqual(self.ask(b"set k 0 0 1\r\nabc\r\n", b"ERROR\r\n"),
                         b"CLIENT_ERROR bad data chunk\r\nERROR\r\n")
        self.assertEqual(self.ask(b"get k\r\n"), b"END\r\n")
        self.assertStillOpen()

    def test_key_lengths(self):
        k250 = b"k" * 250
        self.assertEqual(self.ask(b"set " + k250 + b" 0 0 1\r\nx\r\n"), b"STORED\r\n")
        self.assertEqual(self.ask(b"get " + k250 + b"\r\n", b"END\r\n"),
                         b"VALUE " + k250 + b" 0 1\r\nx\r\nEND\r\n")
        self.assertEqual(self.ask(b"get " + k250 + b"k\r\n"),
                         b"CLIENT_ERROR bad command line format\r\n")

    def test_large_value(self):
        value = os.urandom(1000 * 1000)
        self.assertEqual(self.ask(b"set big 0 0 %d\r\n" % len(value) + value + b"\r\n"),
                         b"STORED\r\n")
        self.c.send(b"get big\r\n")
        self.assertEqual(self.c.read_line(), b"VALUE big 0 %d\r\n" % len(value))
        self.assertEqual(self.c.read_exact(len(value) + 2), value + b"\r\n")
        self.assertEqual(self.c.read_line(), b"END\r\n")

    def test_too_large_is_swallowed(self):
        self.ask(b"set k 0 0 1\r\nx\r\n")
        value = b"v" * (2 * 1024 * 1024)
        self.c.send(b"set k 0 0 %d\r\n" % len(value))
        for i in range(0, len(value), 65536):
            self.c.send(value[i:i + 65536])
        self.c.send(b"\r\nget k\r\n")
        self.assertEqual(self.c.read_line(), b"SERVER_ERROR object too large for cache\r\n")
        self.assertEqual(self.c.read_line(), b"END\r\n")  # the failed set removed the old value
        self.assertStillOpen()


class Retrieval(TextTestCase):
    def test_multi_get(self):
        self.ask(b"set a 1 0 1\r\nA\r\n")
        self.ask(b"set b 2 0 2\r\nBB\r\n")
        self.assertEqual(self.ask(b"get a x b a\r\n", b"END\r\n"),
                         b"VALUE a 1 1\r\nA\r\nVALUE b 2 2\r\nBB\r\nVALUE a 1 1\r\nA\r\nEND\r\n")
        keys = b" ".join(b"k%d" % i for i in range(500))
        self.assertEqual(self.ask(b"get " + keys + b" a\r\n", b"END\r\n"),
                         b"VALUE a 1 1\r\nA\r\nEND\r\n")
        self.assertEqual(self.ask(b"get\r\n"), b"ERROR\r\n")

    def test_gets_unique_changes(self):
        self.ask(b"set a 0 0 1\r\nA\r\n")
        first = self.ask(b"gets a\r\n", b"END\r\n").split()[4]
        self.ask(b"set a 0 0 1\r\nB\r\n")
        second = self.ask(b"gets a\r\n", b"END\r\n").split()[4]
        self.assertNotEqual(first, second)

    def test_gat_gats_touch_expiry(self):
        # Relative exptimes count whole seconds of a clock that ticks between commands, so an
        # item set with exptime n is gone n - 1 to n seconds later. a and b get 2 s, so that
        # gat and gats reach them before they expire; c, set last with the same 2 s, is gone
        # no earlier than a and b would be: past that, a and b live only by gat and gats.
        self.ask(b"set a 3 2 1\r\nA\r\n")
        self.ask(b"set b 0 2 1\r\nB\r\n")
        self.ask(b"set c 0 2 1\r\nC\r\n")
        self.assertEqual(self.ask(b"gat 100 a nokey\r\n", b"END\r\n"),
                         b"VALUE a 3 1\r\nA\r\nEND\r\n")
        self.assertTrue(self.ask(b"gats 100 b\r\n", b"END\r\n").startswith(b"VALUE b 0 1 "))
        self.assertEqual(self.ask(b"touch nokey 10\r\n"), b"NOT_FOUND\r\n")
        self.assertEqual(self.ask(b"gat x a\r\n"), b"CLIENT_ERROR invalid exptime argument\r\n")
        self.assertEqual(self.ask(b"touch a x\r\n"), b"CLIENT_ERROR invalid exptime argument\r\n")
        self.assertTrue(self.gone(b"c"))
        self.assertEqual(self.ask(b"get a b c\r\n", b"END\r\n"),
                         b"VALUE a 3 1\r\nA\r\nVALUE b 0 1\r\nB\r\nEND\r\n")
        self.assertEqual(self.ask(b"touch a 1\r\n"), b"TOUCHED\r\n")
        self.assertTrue(self.gone(b"a"))

    def test_negative_exptime(self):
        self.assertEqual(self.ask(b"set a 0 -1 1\r\nA\r\n"), b"STORED\r\n")
        self.assertEqual(self.ask(b"get a\r\n"), b"END\r\n")


class Updates(TextTestCase):
    def test_incr_decr(self):
        self.ask(b"set n 0 0 2\r\n10\r\n")
        self.assertEqual(self.ask(b"incr n 5\r\n"), b"15\r\n")
        self.assertEqual(self.ask(b"decr n 100\r\n"), b"0\r\n")
        self.assertEqual(self.ask(b"incr n 18446744073709551615\r\n"), b"18446744073709551615\r\n")
        self.assertEqual(self.ask(b"incr n 2\r\n"), b"1\r\n")  # wraps at 2^64
        self.assertEqual(self.ask(b"incr nokey 1\r\n"), b"NOT_FOUND\r\n")
        self.assertEqual(self.ask(b"incr n x\r\n"),
                         b"CLIENT_ERROR invalid numeric delta argument\r\n")
        self.assertEqual(self.ask(b"incr n -1\r\n"),
                         b"CLIENT_ERROR invalid numeric delta argument\r\n")
        self.ask(b"set s 0 0 3\r\nabc\r\n")
        self.assertEqual(self.ask(b"incr s 1\r\n"),
                         b"CLIENT_ERROR cannot increment or decrement non-numeric value\r\n")
        self.assertEqual(self.ask(b"incr n\r\n"), b"ERROR\r\n")

    def test_delete(self):
        usage = b"CLIENT_ERROR bad command line format.  Usage: delete <key> [noreply]\r\n"
        self.ask(b"set k 0 0 1\r\nx\r\n")
        self.assertEqual(self.ask(b"delete k 1\r\n"), usage)
        self.assertEqual(self.ask(b"delete k 0\r\n"), b"DELETED\r\n")
        self.assertEqual(self.ask(b"delete k\r\n"), b"NOT_FOUND\r\n")
        self.assertEqual(self.ask(b"delete\r\n"), b"ERROR\r\n")


class Admin(TextTestCase):
    def test_flush_all_delay(self):
        # flush_all n takes effect n - 1 clock ticks later, 1 to 2 s for n = 3 (see
        # test_gat_gats_touch_expiry): long enough to see k still there.
        self.ask(b"set k 0 0 1\r\nx\r\n")
        self.assertEqual(self.ask(b"flush_all 3\r\n"), b"OK\r\n")
        self.assertEqual(self.ask(b"get k\r\n", b"END\r\n"), b"VALUE k 0 1\r\nx\r\nEND\r\n")
        self.assertTrue(self.gone(b"k"))
        self.assertEqual(self.ask(b"flush_all x\r\n"), b"CLIENT_ERROR invalid exptime argument\r\n")

    def test_version_verbosity(self):
        self.assertTrue(self.ask(b"version\r\n").startswith(b"VERSION 1.6.18"))
        self.assertEqual(self.ask(b"verbosity 1\r\n"), b"OK\r\n")
        self.assertEqual(self.ask(b"verbosity 0\r\n"), b"OK\r\n")
        self.assertEqual(self.ask(b"verbosity x\r\n"), b"CLIENT_ERROR bad command line format\r\n")

    def test_stats(self):
        self.ask(b"set k 0 0 1\r\nx\r\n")
        self.ask(b"get k nokey\r\n", b"END\r\n")
        stats = {}
        for line in self.ask(b"stats\r\n", b"END\r\n").split(b"\r\n"):
            if line.startswith(b"STAT "):
                _, name, value = line.split(b" ", 2)
                stats[name.decode()] = value.decode()
        for name in ("pid", "uptime", "time", "version", "curr_connections", "total_connections",
                     "cmd_get", "cmd_set", "get_hits", "get_misses", "curr_items", "total_items",
                     "bytes", "limit_maxbytes", "threads", "evictions"):
            self.assertIn(name, stats)
        self.assertGreaterEqual(int(stats["get_hits"]), 1)
        self.assertGreaterEqual(int(stats["get_misses"]), 1)
        self.assertEqual(stats["curr_items"], "1")
        self.assertIn(b"STAT item_size_max 1048576\r\n", self.ask(b"stats settings\r\n", b"END\r\n"))
        self.assertIn(b"STAT items:1:number 1\r\n", self.ask(b"stats items\r\n", b"END\r\n"))
        self.assertTrue(self.ask(b"stats slabs\r\n", b"END\r\n").endswith(b"END\r\n"))
        self.assertTrue(self.ask(b"stats conns\r\n", b"END\r\n").endswith(b"END\r\n"))
        self.assertEqual(self.ask(b"stats reset\r\n"), b"RESET\r\n")
        self.assertEqual(self.ask(b"stats detail\r\n"),
                         b"CLIENT_ERROR usage: stats detail on|off|dump\r\n")
        self.assertEqual(self.ask(b"stats bogus\r\n"), b"ERROR\r\n")

    def test_shutdown_disabled(self):
        self.assertEqual(self.ask(b"shutdown\r\n"), b"ERROR: shutdown not enabled\r\n")
        self.assertStillOpen()


class Connection(TextTestCase):
    def test_errors_keep_connection(self):
        self.assertEqual(self.ask(b"\r\n"), b"ERROR\r\n")
        self.assertEqual(self.ask(b"bogus\r\n"), b"ERROR\r\n")
        self.assertEqual(self.ask(b"x" * 1500 + b"\r\n"), b"ERROR\r\n")
        self.assertStillOpen()

    def test_quit_closes(self):
        c = self.conn()
        c.send(b"quit\r\nversion\r\n")
        self.assertTrue(c.is_closed())
        self.assertEqual(c.buf, b"")

    def test_long_line_without_newline_closes(self):
        c = self.conn()
        c.send(b"x" * 4096)
        self.assertTrue(c.is_closed())

    def test_long_multiget_line_is_kept(self):
        c = self.conn()
        c.send(b"get " + b"k " * 3000)
        self.assertFalse(c.is_closed(timeout=0.5))
        self.assertEqual(c.request(b"\r\n"), b"END\r\n")

    def test_pipelining(self):
        requests = b"".join(b"set k%d 0 0 %d\r\n%d\r\n" % (i, len(b"%d" % i), i) for i in range(200))
        requests += b"".join(b"get k%d\r\n" % i for i in range(200)) + b"version\r\n"
        self.c.send(requests)
        self.assertEqual(self.c.read_until(b"VERSION"),
                         b"STORED\r\n" * 200 +
                         b"".join(b"VALUE k%d 0 %d\r\n%d\r\nEND\r\n" % (i, len(b"%d" % i), i)
                                  for i in range(200)) + b"VERSION")
        self.c.read_line()

    def test_byte_by_byte(self):
        request = b"set k 0 0 5\r\nhello\r\nget k\r\n"
        for b in request:
            self.c.send(bytes([b]))
            time.sleep(0.001)
        self.assertEqual(self.c.read_until(b"END\r\n"),
                         b"STORED\r\nVALUE k 0 5\r\nhello\r\nEND\r\n")


class Shutdown(TextTestCase):
    SERVER_ARGS = ("-A",)

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()

    def test_shutdown_stops_the_server(self):
        c = self.conn()
        self.assertEqual(c.request(b"shutdown x\r\n"), b"CLIENT_ERROR invalid shutdown mode\r\n")
        c.send(b"shutdown\r\n")
        self.assertTrue(c.is_closed())
        self.server.proc.wait(timeout=10)


if __name__ == "__main__":
    unittest.main()
