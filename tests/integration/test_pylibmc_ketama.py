"""pylibmc (libmemcached) hashing keys over three cuckood servers with libketama's consistent
hashing (behavior "ketama_weighted": md5, 160 points per server), in text and binary mode: every
key must be on the server ketama.py's own continuum names, asked directly, and the operations
through the client must reach and change the right server.

Set CUCKOOD_REFERENCE=memcached to run the same checks against /usr/bin/memcached."""

import os
import unittest

import pylibmc

import client_matrix
from harness import CUCKOOD_BIN, MEMCACHED_BIN, Server
from ketama import Continuum

BACKEND = MEMCACHED_BIN if os.environ.get("CUCKOOD_REFERENCE") == "memcached" else CUCKOOD_BIN
SERVERS = 3
TOUCH_TTL = 1000


class PylibmcKetamaTest(unittest.TestCase):
    BINARY_PROTOCOL = False

    @classmethod
    def setUpClass(cls):
        cls.servers = [Server(client_matrix.SERVER_ARGS, binary=BACKEND).start()
                       for _ in range(SERVERS)]
        cls.continuum = Continuum(s.address() for s in cls.servers)

    @classmethod
    def tearDownClass(cls):
        codes = [s.stop() for s in cls.servers]
        assert codes == [0] * SERVERS, "server exit codes %s" % codes

    def setUp(self):
        self.raws = {}
        for server in self.servers:
            raw = client_matrix.TextRaw(server)
            self.addCleanup(raw.close)
            assert raw.conn.request(b"flush_all\r\n") == b"OK\r\n"
            self.raws[server.address()] = raw
        self.client = pylibmc.Client([s.address() for s in self.servers],
                                     binary=self.BINARY_PROTOCOL,
                                     behaviors={"ketama_weighted": True, "cas": True})
        self.addCleanup(self.client.disconnect_all)

    def on_node(self, key):
        """`key`'s value on the server ketama puts it on; checks that no other holds it."""
        home = self.continuum.server(key)
        for name, raw in self.raws.items():
            if name != home:
                self.assertIsNone(raw.get(key), "%s on %s, not its node %s" % (key, name, home))
        return self.raws[home].get(key)

    def keys_on_every_node(self, prefix, per_node):
        """`per_node` keys for each server, by ketama."""
        chosen = {name: [] for name in self.raws}
        i = 0
        while any(len(keys) < per_node for keys in chosen.values()):
            key = "%s:%d" % (prefix, i)
            keys = chosen[self.continuum.server(key)]
            if len(keys) < per_node:
                keys.append(key)
            i += 1
        return [key for keys in chosen.values() for key in keys]

    def assert_replace_refused(self, key):
        # Text answers NOT_STORED, which pylibmc returns as False; binary answers NOT_FOUND,
        # which it raises (memcached does both alike).
        if self.BINARY_PROTOCOL:
            with self.assertRaises(pylibmc.NotFound):
                self.client.replace(key, b"x")
        else:
            self.assertFalse(self.client.replace(key, b"x"))

    def test_each_key_on_the_server_ketama_picks(self):
        keys = ["spread:%d" % i for i in range(300)]
        for key in keys:
            self.assertTrue(self.client.set(key, key.encode()))
        per_server = {name: 0 for name in self.raws}
        for key in keys:
            self.assertEqual(self.on_node(key), key.encode())
            per_server[self.continuum.server(key)] += 1
        # An even share is 100; each server's share of the ring is about a third.
        self.assertTrue(all(count >= 50 for count in per_server.values()), per_server)

    def test_get_multi_gathers_from_every_server(self):
        keys = self.keys_on_every_node("multi", 3)
        self.client.set_multi({key: key.encode() for key in keys})
        for key in keys:
            self.assertEqual(self.on_node(key), key.encode())
        got = self.client.get_multi(keys + ["multi:missing"])
        self.assertEqual(got, {key: key.encode() for key in keys})

    def test_operations_reach_the_keys_server(self):
        for key in self.keys_on_every_node("ops", 1):
            with self.subTest(key=key, node=self.continuum.server(key)):
                self.assertTrue(self.client.set(key, b"v1"))
                self.assertEqual(self.client.get(key), b"v1")
                self.assertFalse(self.client.add(key, b"x"))
                self.assertTrue(self.client.replace(key, b"v2"))
                value, cas = self.client.gets(key)
                self.assertEqual(value, b"v2")
                self.assertTrue(self.client.cas(key, b"c1", cas))
                self.assertFalse(self.client.cas(key, b"c2", cas))
                self.assertEqual(self.on_node(key), b"c1")
                self.assertTrue(self.client.touch(key, TOUCH_TTL))
                self.assertTrue(TOUCH_TTL - 60 <= self.raws[self.continuum.server(key)].ttl(key)
                                <= TOUCH_TTL)
                self.assertTrue(self.client.delete(key))
                self.assertFalse(self.client.delete(key))
                self.assertIsNone(self.on_node(key))
                self.assert_replace_refused(key)
                self.assertTrue(self.client.add(key, b"a"))
                self.assertEqual(self.on_node(key), b"a")
                self.assertFalse(self.client.touch(key + ":missing", TOUCH_TTL))

    def test_counters_on_their_servers(self):
        for key in self.keys_on_every_node("counter", 1):
            with self.subTest(key=key):
                self.assertTrue(self.client.set(key, b"10"))
                self.assertEqual(self.client.incr(key, 5), 15)
                self.assertEqual(self.client.decr(key, 20), 0)
                self.assertEqual(int(self.on_node(key)), 0)
                with self.assertRaises(pylibmc.NotFound):
                    self.client.incr(key + ":missing", 1)

    def test_500_kb_values_on_their_servers(self):
        big = client_matrix.BIG_VALUE.encode()
        for key in self.keys_on_every_node("big", 1):
            with self.subTest(key=key):
                self.assertTrue(self.client.set(key, big))
                self.assertEqual(self.client.get(key), big)
                self.assertEqual(self.on_node(key), big)


class PylibmcKetamaBinaryTest(PylibmcKetamaTest):
    BINARY_PROTOCOL = True


if __name__ == "__main__":
    unittest.main()
