"""PHP's php-memcached (Debian's, over libmemcached) in text and binary mode: the client
matrix's scenario (client_matrix.py, clients/matrix.php), and its libketama-compatible
consistent hashing over three servers (clients/ring.php), which must put each key where
libketama's continuum (ketama.py) does."""

import os
import unittest

import client_matrix

CLIENTS = client_matrix.CLIENTS


class PhpMemcachedTest(client_matrix.ClientMatrixTest):
    PROTOCOLS = ("ascii", "binary")

    @classmethod
    def run_client(cls, ports):
        return client_matrix.run_program(["php", os.path.join(CLIENTS, "matrix.php")]
                                         + cls.arguments(ports))


class PhpMemcachedKetamaTest(client_matrix.RingTest):
    def run_ring(self, ports):
        return client_matrix.run_program(["php", os.path.join(CLIENTS, "ring.php"),
                                          str(client_matrix.RING_KEYS)] + [str(p) for p in ports])


if __name__ == "__main__":
    unittest.main()
