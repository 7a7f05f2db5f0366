"""pymemcache (a real text-protocol client, unchanged) against the running server.

Set CUCKOOD_REFERENCE=memcached to run the same checks against /usr/bin/memcached."""

import unittest

from pymemcache.client.base import Client

from harness import wait_for
from test_text import start_server


class FlagsSerde:
    """Stores (value, flags) pairs as they are, to see the flags the server keeps."""

    def serialize(self, key, value):
        return value

    def deserialize(self, key, value, flags):
        return value, flags


class PymemcacheTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = start_server()

    @classmethod
    def tearDownClass(cls):
        code = cls.server.stop()
        assert code == 0, "server exit code %s: %s" % (code, cls.server.output())

    def setUp(self):
        self.client = Client(("127.0.0.1", self.server.port), connect_timeout=5, timeout=5)
        self.addCleanup(self.client.close)
        self.assertTrue(self.client.flush_all(noreply=False))

    def test_set_get(self):
        self.assertTrue(self.client.set("k", b"value", noreply=False))
        self.assertEqual(self.client.get("k"), b"value")
        self.assertIsNone(self.client.get("missing"))
        flagged = Client(("127.0.0.1", self.server.port), serde=FlagsSerde(), timeout=5)
        self.addCleanup(flagged.close)
        self.assertTrue(flagged.set("f", (b"x", 42), noreply=False))
        self.assertEqual(flagged.get("f"), (b"x", 42))

    def test_set_noreply_then_get(self):
        self.client.set("k", b"v")  # pymemcache's default is noreply
        self.assertEqual(self.client.get("k"), b"v")

    def test_get_many(self):
        self.client.set_many({"a": b"1", "b": b"2", "c": b"3"}, noreply=False)
        self.assertEqual(self.client.get_many(["a", "b", "c", "x"]),
                         {"a": b"1", "b": b"2", "c": b"3"})

    def test_gets_cas(self):
        self.client.set("k", b"v1", noreply=False)
        value, unique = self.client.gets("k")
        self.assertEqual(value, b"v1")
        self.assertTrue(self.client.cas("k", b"v2", unique, noreply=False))
        self.assertFalse(self.client.cas("k", b"v3", unique, noreply=False))
        self.assertIsNone(self.client.cas("missing", b"v", unique, noreply=False))
        self.assertEqual(self.client.get("k"), b"v2")

    def test_incr_decr(self):
        self.client.set("n", b"10", noreply=False)
        self.assertEqual(self.client.incr("n", 5, noreply=False), 15)
        self.assertEqual(self.client.decr("n", 20, noreply=False), 0)
        self.assertEqual(self.client.incr("n", 2**64 - 1, noreply=False), 2**64 - 1)
        self.assertEqual(self.client.incr("n", 1, noreply=False), 0)
        self.assertIsNone(self.client.incr("missing", 1, noreply=False))

    def test_append_prepend(self):
        self.client.set("k", b"b", noreply=False)
        self.assertTrue(self.client.append("k", b"c", noreply=False))
        self.assertTrue(self.client.prepend("k", b"a", noreply=False))
        self.assertEqual(self.client.get("k"), b"abc")

    def test_add_replace(self):
        self.assertTrue(self.client.add("k", b"1", noreply=False))
        self.assertFalse(self.client.add("k", b"2", noreply=False))
        self.assertTrue(self.client.replace("k", b"3", noreply=False))
        self.assertFalse(self.client.replace("missing", b"x", noreply=False))
        self.assertEqual(self.client.get("k"), b"3")

    def test_touch_and_expiry(self):
        # expire=2, not 1: the touch must reach k before it expires (see test_text's
        # test_gat_gats_touch_expiry); once "gone", set after k with the same expiry, has
        # expired, k lives by the touch.
        self.client.set("k", b"v", expire=2, noreply=False)
        self.assertTrue(self.client.touch("k", 100, noreply=False))
        self.assertFalse(self.client.touch("missing", 100, noreply=False))
        self.client.set("gone", b"v", expire=2, noreply=False)
        self.assertTrue(wait_for(lambda: self.client.get("gone") is None, 5.0, 0.05))
        self.assertEqual(self.client.get("k"), b"v")

    def test_delete(self):
        self.client.set("k", b"v", noreply=False)
        self.assertTrue(self.client.delete("k", noreply=False))
        self.assertFalse(self.client.delete("k", noreply=False))
        self.assertIsNone(self.client.get("k"))

    def test_flush_all(self):
        self.client.set("k", b"v", noreply=False)
        self.assertTrue(self.client.flush_all(noreply=False))
        self.assertIsNone(self.client.get("k"))

    def test_stats_version(self):
        self.client.get("k")
        stats = self.client.stats()
        self.assertIn(b"cmd_get", stats)
        self.assertGreaterEqual(stats[b"cmd_get"], 1)
        self.assertIn(b"curr_connections", stats)
        self.assertTrue(self.client.version().startswith(b"1.6.18"))
        self.assertIn(b"item_size_max", self.client.stats("settings"))

    def test_large_value(self):
        value = bytes(range(256)) * 4000
        self.assertTrue(self.client.set("big", value, noreply=False))
        self.assertEqual(self.client.get("big"), value)


if __name__ == "__main__":
    unittest.main()
