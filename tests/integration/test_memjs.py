"""memjs, the npm binary-protocol client (installed by scripts/install-npm-clients.sh at the
version tests/integration/npm pins): the client matrix's scenario (client_matrix.py,
clients/memjs.js), less the calls memjs does not offer."""

import unittest

import client_matrix


class MemjsTest(client_matrix.ClientMatrixTest):
    PROTOCOLS = ("binary",)
    NOT_OFFERED = ("get_multi", "cas_fresh", "cas_stale")
    CREATES_MISSING_COUNTER = True

    @classmethod
    def run_client(cls, ports):
        return client_matrix.run_node("memjs.js", cls.arguments(ports))


if __name__ == "__main__":
    unittest.main()
