"""The npm `memcached` client (text protocol; installed by scripts/install-npm-clients.sh at the
version tests/integration/npm pins): the client matrix's scenario (client_matrix.py,
clients/npm_memcached.js)."""

import unittest

import client_matrix


class NpmMemcachedTest(client_matrix.ClientMatrixTest):
    PROTOCOLS = ("ascii",)

    @classmethod
    def run_client(cls, ports):
        return cls.run_node("npm_memcached.js", ports)


if __name__ == "__main__":
    unittest.main()
