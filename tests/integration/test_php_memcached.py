"""PHP's php-memcached (Debian's, over libmemcached) in text and binary mode: the client
matrix's scenario (client_matrix.py, clients/matrix.php)."""

import os
import unittest

import client_matrix

PROGRAM = os.path.join(os.path.dirname(os.path.abspath(__file__)), "clients", "matrix.php")


class PhpMemcachedTest(client_matrix.ClientMatrixTest):
    PROTOCOLS = ("ascii", "binary")

    @classmethod
    def run_client(cls, ports):
        return client_matrix.run_program(["php", PROGRAM] + cls.arguments(ports))


if __name__ == "__main__":
    unittest.main()
