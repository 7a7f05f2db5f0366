"""The npm `memcached` client (text protocol; installed by scripts/install-npm-clients.sh at the
version tests/integration/npm pins): the client matrix's scenario (client_matrix.py,
clients/npm_memcached.js), and its hashring over three servers (clients/npm_memcached_ring.js),
which must put each key where libketama's continuum (ketama.py) does."""

import unittest

import client_matrix


class NpmMemcachedTest(client_matrix.ClientMatrixTest):
    PROTOCOLS = ("ascii",)

    @classmethod
    def run_client(cls, ports):
        return client_matrix.run_node("npm_memcached.js", cls.arguments(ports))


class NpmMemcachedHashringTest(client_matrix.RingTest):
    def run_ring(self, ports):
        return client_matrix.run_node("npm_memcached_ring.js",
                                      [str(client_matrix.RING_KEYS)] + [str(p) for p in ports])


if __name__ == "__main__":
    unittest.main()
