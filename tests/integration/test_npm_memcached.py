"""The npm `memcached` client (text protocol; installed by scripts/install-npm-clients.sh at the
version tests/integration/npm pins): the client matrix's scenario (client_matrix.py,
clients/npm_memcached.js), and its hashring over three servers (clients/npm_memcached_ring.js),
which must put each key where libketama's continuum (ketama.py) does."""

import unittest

import client_matrix
from harness import Server
from ketama import Continuum

RING_SERVERS = 3
RING_KEYS = 150


class NpmMemcachedTest(client_matrix.ClientMatrixTest):
    PROTOCOLS = ("ascii",)

    @classmethod
    def run_client(cls, ports):
        return client_matrix.run_node("npm_memcached.js", cls.arguments(ports))


class NpmMemcachedHashringTest(unittest.TestCase):
    def setUp(self):
        self.servers = [Server().start() for _ in range(RING_SERVERS)]
        for server in self.servers:
            self.addCleanup(server.stop)

    def test_each_key_on_the_server_ketama_picks(self):
        out = client_matrix.run_node("npm_memcached_ring.js",
                                     [str(RING_KEYS)] + [str(s.port) for s in self.servers])
        keys = ["ring:%d" % i for i in range(RING_KEYS)]
        self.assertEqual(out, {"stored": RING_KEYS, "got": {key: key for key in keys}})
        continuum = Continuum(s.address() for s in self.servers)
        for server in self.servers:
            raw = client_matrix.TextRaw(server)
            self.addCleanup(raw.close)
            held = {key for key in keys if raw.get(key) is not None}
            mine = {key for key in keys if continuum.server(key) == server.address()}
            self.assertEqual(held, mine)
            self.assertTrue(held, "no key on %s" % server.address())


if __name__ == "__main__":
    unittest.main()
