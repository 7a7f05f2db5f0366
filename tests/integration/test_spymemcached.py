"""The Java client spymemcached (Debian's libspymemcached-java) in text and binary mode: the
client matrix's scenario (client_matrix.py, clients/Matrix.java), both protocols in one JVM run
launched from the source file (no build step)."""

import os
import unittest

import client_matrix

PROGRAM = os.path.join(client_matrix.CLIENTS, "Matrix.java")
JAR = "/usr/share/java/spymemcached.jar"


class SpymemcachedTest(client_matrix.ClientMatrixTest):
    PROTOCOLS = ("ascii", "binary")

    @classmethod
    def run_client(cls, ports):
        # The quick JIT only and the serial collector: the run is a second or two of start-up,
        # on a machine busy with other tests.
        return client_matrix.run_program(["java", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC",
                                          "-cp", JAR, PROGRAM] + cls.arguments(ports))


if __name__ == "__main__":
    unittest.main()
