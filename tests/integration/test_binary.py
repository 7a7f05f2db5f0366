"""The memcached binary protocol, black-box: raw packets (quiet batching, opaque, cas, status
codes, malformed headers, refused large values) and pylibmc in binary mode (every operation it
offers, large values).

Expectations are memcached 1.6.18's; to check them against it, run with
CUCKOOD_BIN=/usr/bin/memcached. Two cuckood-only cases (marked) cover where we knowingly differ.
"""

import socket
import struct
import unittest

import pylibmc

from harness import CUCKOOD_BIN, MEMCACHED_BIN, ServerTestCase

HEADER = struct.Struct(">BBHBBHIIQ")

GET, SET, ADD, REPLACE, DELETE, INCR, DECR, QUIT, FLUSH = 0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08
GETQ, NOOP, VERSION, GETK, GETKQ, APPEND, PREPEND, STAT = 0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x0E, 0x0F, 0x10
SETQ, ADDQ, DELETEQ, INCRQ, QUITQ, FLUSHQ = 0x11, 0x12, 0x14, 0x15, 0x17, 0x18
VERBOSITY, TOUCH, GAT, GATQ, SASL_LIST, GATK, GATKQ = 0x1B, 0x1C, 0x1D, 0x1E, 0x20, 0x23, 0x24

SUCCESS, NOT_FOUND, EXISTS, TOO_LARGE, INVALID, NOT_STORED, NON_NUMERIC = 0, 1, 2, 3, 4, 5, 6
UNKNOWN = 0x81


def packet(opcode, key=b"", extras=b"", value=b"", opaque=0, cas=0, magic=0x80, key_length=None,
           body_length=None):
    key_length = len(key) if key_length is None else key_length
    body = extras + key + value
    body_length = len(body) if body_length is None else body_length
    return HEADER.pack(magic, opcode, key_length, len(extras), 0, 0, body_length, opaque, cas) + body


def store_extras(flags=0, exptime=0):
    return struct.pack(">II", flags, exptime)


def arith_extras(delta, initial=0, exptime=0):
    return struct.pack(">QQI", delta, initial, exptime)


class Response:
    def __init__(self, header, body):
        (self.magic, self.opcode, key_length, extras_length, _, self.status, _, self.opaque,
         self.cas) = HEADER.unpack(header)
        self.extras = body[:extras_length]
        self.key = body[extras_length:extras_length + key_length]
        self.value = body[extras_length + key_length:]

    def __repr__(self):
        return "Response(op=%#x status=%#x opaque=%d key=%r value=%r)" % (
            self.opcode, self.status, self.opaque, self.key, self.value[:40])


def read_response(conn):
    header = conn.read_exact(24)
    body_length = struct.unpack(">I", header[8:12])[0]
    response = Response(header, conn.read_exact(body_length))
    assert response.magic == 0x81, response
    return response


def read_until_noop(conn):
    responses = []
    while True:
        r = read_response(conn)
        if r.opcode == NOOP:
            return responses
        responses.append(r)


class RawPacketTest(ServerTestCase):
    def setUp(self):
        self.c = self.conn()
        self.c.send(packet(FLUSH))
        self.assertEqual(read_response(self.c).status, SUCCESS)

    def call(self, *args, **kwargs):
        self.c.send(packet(*args, **kwargs))
        return read_response(self.c)

    def test_set_get_returns_flags_value_cas_and_opaque(self):
        stored = self.call(SET, b"k", store_extras(0xDEADBEEF), b"value", opaque=11)
        self.assertEqual((stored.status, stored.opaque, stored.value), (SUCCESS, 11, b""))
        self.assertNotEqual(stored.cas, 0)
        got = self.call(GET, b"k", opaque=12)
        self.assertEqual((got.status, got.opaque, got.cas), (SUCCESS, 12, stored.cas))
        self.assertEqual((got.extras, got.key, got.value), (b"\xde\xad\xbe\xef", b"", b"value"))
        got_k = self.call(GETK, b"k", opaque=13)
        self.assertEqual((got_k.key, got_k.value), (b"k", b"value"))

    def test_quiet_batch_of_getkq_answers_hits_in_order_before_the_noop(self):
        batch = b"".join(packet(SETQ, b"key%d" % i, store_extras(i), b"v%d" % i)
                         for i in range(0, 600, 3))
        batch += b"".join(packet(GETKQ, b"key%d" % i, opaque=i) for i in range(600))
        self.c.send(batch + packet(NOOP, opaque=9999))
        responses = read_until_noop(self.c)
        self.assertEqual([r.opaque for r in responses], list(range(0, 600, 3)))
        for r in responses:
            self.assertEqual((r.status, r.key, r.value), (SUCCESS, b"key%d" % r.opaque, b"v%d" % r.opaque))
            self.assertEqual(r.extras, struct.pack(">I", r.opaque))

    def test_quiet_writes_answer_only_errors(self):
        self.c.send(packet(SETQ, b"a", store_extras(), b"1", opaque=1) +
                    packet(ADDQ, b"a", store_extras(), b"1", opaque=2) +
                    packet(DELETEQ, b"zz", opaque=3) +
                    packet(INCRQ, b"a", arith_extras(1), opaque=4) +
                    packet(INCRQ, b"n", arith_extras(1, 5, 0xFFFFFFFF), opaque=5) +
                    packet(FLUSHQ, opaque=6) +
                    packet(GETQ, b"a", opaque=7) +
                    packet(NOOP, opaque=8))
        responses = read_until_noop(self.c)
        self.assertEqual([(r.opaque, r.status) for r in responses],
                         [(2, EXISTS), (3, NOT_FOUND), (5, NOT_FOUND)])

    def test_cas_on_set_and_delete(self):
        first = self.call(SET, b"c", store_extras(), b"1")
        self.assertEqual(self.call(SET, b"c", store_extras(), b"2", cas=first.cas + 1000).status, EXISTS)
        second = self.call(SET, b"c", store_extras(), b"2", cas=first.cas)
        self.assertEqual(second.status, SUCCESS)
        self.assertNotEqual(second.cas, first.cas)
        self.assertEqual(self.call(SET, b"absent", store_extras(), b"x", cas=5).status, NOT_FOUND)
        self.assertEqual(self.call(DELETE, b"c", cas=first.cas).status, EXISTS)
        self.assertEqual(self.call(DELETE, b"c", cas=second.cas).status, SUCCESS)
        self.assertEqual(self.call(GET, b"c").status, NOT_FOUND)

    def test_arithmetic(self):
        created = self.call(INCR, b"n", arith_extras(1, 10))
        self.assertEqual((created.status, created.value), (SUCCESS, struct.pack(">Q", 10)))
        self.assertEqual(self.call(INCR, b"n", arith_extras(5)).value, struct.pack(">Q", 15))
        self.assertEqual(self.call(DECR, b"n", arith_extras(100)).value, struct.pack(">Q", 0))
        self.assertEqual(self.call(INCR, b"m", arith_extras(1, 0, 0xFFFFFFFF)).status, NOT_FOUND)
        self.call(SET, b"s", store_extras(), b"text")
        self.assertEqual(self.call(INCR, b"s", arith_extras(1)).status, NON_NUMERIC)

    def test_touch_and_gat(self):
        stored = self.call(SET, b"t", store_extras(7), b"v")
        touched = self.call(TOUCH, b"t", struct.pack(">I", 100))
        self.assertEqual((touched.status, touched.extras, touched.value, touched.cas),
                         (SUCCESS, struct.pack(">I", 7), b"", stored.cas))
        gat = self.call(GATK, b"t", struct.pack(">I", 100), opaque=3)
        self.assertEqual((gat.status, gat.key, gat.value, gat.opaque), (SUCCESS, b"t", b"v", 3))
        self.assertEqual(self.call(GAT, b"missing", struct.pack(">I", 1)).status, NOT_FOUND)
        self.c.send(packet(GATQ, b"missing", struct.pack(">I", 1)) +
                    packet(GATKQ, b"t", struct.pack(">I", 1), opaque=4) + packet(NOOP))
        self.assertEqual([(r.opcode, r.opaque, r.value) for r in read_until_noop(self.c)],
                         [(GATKQ, 4, b"v")])

    def test_append_prepend_add_replace(self):
        self.assertEqual(self.call(APPEND, b"x", value=b"!").status, NOT_STORED)
        self.assertEqual(self.call(REPLACE, b"x", store_extras(), b"1").status, NOT_FOUND)
        self.assertEqual(self.call(ADD, b"x", store_extras(3), b"mid").status, SUCCESS)
        self.assertEqual(self.call(ADD, b"x", store_extras(), b"1").status, EXISTS)
        self.call(APPEND, b"x", value=b">")
        self.call(PREPEND, b"x", value=b"<")
        got = self.call(GET, b"x")
        self.assertEqual((got.value, got.extras), (b"<mid>", struct.pack(">I", 3)))

    def test_stat_groups(self):
        self.c.send(packet(STAT, opaque=77))
        stats = {}
        while True:
            r = read_response(self.c)
            self.assertEqual((r.opcode, r.status, r.opaque), (STAT, SUCCESS, 77))
            if not r.key:
                break
            stats[r.key] = r.value
        self.assertIn(b"pid", stats)
        self.assertIn(b"curr_items", stats)
        for group in (b"settings", b"items", b"slabs"):
            self.c.send(packet(STAT, group))
            while read_response(self.c).key:
                pass
        self.assertEqual(self.call(STAT, b"bogus").status, NOT_FOUND)

    def test_version_and_noop(self):
        version = self.call(VERSION, opaque=5)
        self.assertEqual((version.status, version.opaque), (SUCCESS, 5))
        self.assertTrue(version.value.startswith(b"1.6"), version.value)
        self.assertEqual(self.call(NOOP, opaque=6).opaque, 6)

    def test_unknown_and_sasl_opcodes_answer_unknown_command(self):
        for opcode in (0x50, SASL_LIST):
            r = self.call(opcode, opaque=3)
            self.assertEqual((r.opcode, r.status, r.opaque, r.value), (opcode, UNKNOWN, 3, b"Unknown command"))
        self.assertEqual(self.call(NOOP).status, SUCCESS)

    def test_too_large_value_is_refused_and_the_connection_stays_usable(self):
        self.call(SET, b"big", store_extras(), b"small")
        r = self.call(SET, b"big", store_extras(), b"x" * (2 << 20), opaque=4)
        self.assertEqual((r.status, r.opaque, r.value), (TOO_LARGE, 4, b"Too large."))
        self.assertEqual(self.call(GET, b"big").status, NOT_FOUND)  # the failed set dropped it
        self.assertEqual(self.call(NOOP).status, SUCCESS)

    def test_half_megabyte_value_round_trips(self):
        value = bytes(range(256)) * 2000
        self.assertEqual(self.call(SET, b"half", store_extras(1), value).status, SUCCESS)
        self.assertEqual(self.call(GET, b"half").value, value)

    def test_quit_answers_then_closes(self):
        r = self.call(QUIT, opaque=8)
        self.assertEqual((r.opcode, r.status, r.opaque), (QUIT, SUCCESS, 8))
        self.assertTrue(self.c.is_closed())

    def test_quitq_closes_silently(self):
        self.c.send(packet(QUITQ))
        self.assertTrue(self.c.is_closed())


class MalformedPacketTest(ServerTestCase):
    """Each malformed request is answered (bad magic: not) and the connection closed."""

    def expect_closed(self, data, status=None, opcode=None):
        c = self.conn()
        c.send(data + packet(NOOP))
        if status is not None:
            r = read_response(c)
            self.assertEqual((r.opcode, r.status), (opcode, status))
        self.assertTrue(c.is_closed())

    def test_bad_magic_mid_stream(self):
        c = self.conn()
        c.send(packet(NOOP, opaque=1) + packet(NOOP, magic=0x81))
        self.assertEqual(read_response(c).opaque, 1)
        self.assertTrue(c.is_closed())

    def test_key_and_extras_longer_than_body(self):
        self.expect_closed(packet(GET, b"abc", body_length=2), UNKNOWN, GET)

    def test_key_over_250_bytes(self):
        self.expect_closed(packet(GET, b"k" * 251), INVALID, GET)

    def test_wrong_extras_for_the_opcode(self):
        self.expect_closed(packet(SET, b"k", b"\0" * 4, b"v"), INVALID, SET)
        self.expect_closed(packet(GET, b"k", b"\0" * 4), INVALID, GET)
        self.expect_closed(packet(INCR, b"k", b"\0" * 8), INVALID, INCR)
        self.expect_closed(packet(FLUSH, extras=b"\0" * 8), INVALID, FLUSH)

    def test_missing_key(self):
        self.expect_closed(packet(GET), INVALID, GET)
        self.expect_closed(packet(DELETE), INVALID, DELETE)


@unittest.skipIf(CUCKOOD_BIN == MEMCACHED_BIN, "cuckood-only behaviour")
class CuckoodOnlyTest(ServerTestCase):
    def test_unknown_opcode_body_is_skipped_exactly(self):
        # memcached 1.6.18 skips body_length bytes after the key, eating the next request.
        c = self.conn()
        c.send(packet(0x50, b"abc", value=b"xyz", opaque=1) + packet(NOOP, opaque=2))
        self.assertEqual([(r.opaque, r.status) for r in (read_response(c), read_response(c))],
                         [(1, UNKNOWN), (2, SUCCESS)])

    def test_too_large_is_answered_before_the_body_arrives(self):
        # memcached may hold the answer until it has read and dropped the whole body.
        c = self.conn()
        c.send(packet(SET, b"big", store_extras(), b"", opaque=6, body_length=8 + 3 + (64 << 20)))
        r = read_response(c)
        self.assertEqual((r.status, r.opaque), (TOO_LARGE, 6))

    def test_verbosity_is_honoured(self):
        # memcached 1.6 answers "unknown command"; the protocol defines it, so we honour it.
        c = self.conn()
        c.send(packet(VERBOSITY, extras=struct.pack(">I", 1), opaque=3))
        r = read_response(c)
        self.assertEqual((r.opcode, r.status, r.opaque), (VERBOSITY, SUCCESS, 3))


class PylibmcBinaryTest(ServerTestCase):
    def setUp(self):
        self.mc = pylibmc.Client([self.server.address()], binary=True, behaviors={"cas": True})
        self.addCleanup(self.mc.disconnect_all)
        self.mc.flush_all()

    def test_get_set_delete(self):
        self.assertTrue(self.mc.set("k", "v"))
        self.assertEqual(self.mc.get("k"), "v")
        self.assertTrue(self.mc.delete("k"))
        self.assertIsNone(self.mc.get("k"))
        self.assertFalse(self.mc.delete("k"))

    def test_types_survive_via_flags(self):
        self.mc.set("int", 42)
        self.mc.set("bytes", b"\x00\xff")
        self.mc.set("obj", {"a": [1, 2]})
        self.assertEqual(self.mc.get("int"), 42)
        self.assertEqual(self.mc.get("bytes"), b"\x00\xff")
        self.assertEqual(self.mc.get("obj"), {"a": [1, 2]})

    def test_get_multi_and_set_multi(self):
        data = {"m%d" % i: "value%d" % i for i in range(200)}
        self.assertEqual(self.mc.set_multi(data), [])
        keys = list(data) + ["absent%d" % i for i in range(50)]
        self.assertEqual(self.mc.get_multi(keys), data)
        self.assertEqual(self.mc.delete_multi(list(data)[:10]), True)
        self.assertEqual(len(self.mc.get_multi(keys)), 190)

    def test_gets_and_cas(self):
        self.mc.set("c", "1")
        value, cas = self.mc.gets("c")
        self.assertEqual(value, "1")
        self.assertTrue(self.mc.cas("c", "2", cas))
        self.assertFalse(self.mc.cas("c", "3", cas))
        self.assertEqual(self.mc.get("c"), "2")

    def test_incr_decr(self):
        self.mc.set("n", "10")
        self.assertEqual(self.mc.incr("n"), 11)
        self.assertEqual(self.mc.incr("n", 9), 20)
        self.assertEqual(self.mc.decr("n", 25), 0)
        with self.assertRaises(pylibmc.NotFound):
            self.mc.incr("absent")

    def test_append_prepend(self):
        self.mc.set("a", "mid")
        self.assertTrue(self.mc.append("a", ">"))
        self.assertTrue(self.mc.prepend("a", "<"))
        self.assertEqual(self.mc.get("a"), "<mid>")
        self.assertFalse(self.mc.append("absent", "x"))

    def test_add_replace(self):
        self.assertTrue(self.mc.add("r", "1"))
        self.assertFalse(self.mc.add("r", "2"))
        self.assertTrue(self.mc.replace("r", "3"))
        with self.assertRaises(pylibmc.NotFound):  # libmemcached's word for status 0x01
            self.mc.replace("absent", "3")
        self.assertEqual(self.mc.get("r"), "3")

    def test_touch(self):
        self.mc.set("t", "v", time=1000)
        self.assertTrue(self.mc.touch("t", 2000))
        self.assertFalse(self.mc.touch("absent", 10))
        self.assertEqual(self.mc.get("t"), "v")

    def test_large_values(self):
        value = b"L" * (500 * 1024)
        self.assertTrue(self.mc.set("large", value))
        self.assertEqual(self.mc.get("large"), value)
        self.assertEqual(self.mc.get_multi(["large", "absent"]), {"large": value})
        with self.assertRaises(pylibmc.TooBig):
            self.mc.set("huge", b"H" * (2 << 20))

    def test_flush_all(self):
        self.mc.set_multi({"f1": "1", "f2": "2"})
        self.assertTrue(self.mc.flush_all())
        self.assertEqual(self.mc.get_multi(["f1", "f2"]), {})

    def test_multi_key_variants(self):
        self.assertEqual(self.mc.add_multi({"am1": "1", "am2": "2"}), [])
        self.assertEqual(self.mc.add_multi({"am1": "x", "am3": "3"}), ["am1"])
        self.mc.set_multi({"n1": "1", "n2": "5"})
        self.mc.incr_multi(["n1", "n2"], delta=10)
        self.assertEqual(self.mc.get_multi(["n1", "n2", "am1", "am3"]),
                         {"n1": "11", "n2": "15", "am1": "1", "am3": "3"})

    def test_stats(self):
        self.mc.get("miss")
        ((_, stats),) = self.mc.get_stats()
        self.assertIn("get_misses", stats)
        self.assertGreaterEqual(int(stats["get_misses"]), 1)


if __name__ == "__main__":
    unittest.main()
