"""libmemcached's conformance checker against the server: `memccapable -b` (the 27 binary
protocol tests) must pass every test, as it does against memcached 1.6.18; so must the full
run over both protocols (54 tests)."""

import re
import subprocess
import unittest

from harness import ServerTestCase

RESULT = re.compile(r"^(ascii|binary) (.+?)\s+\[(\w+)\]\s*$", re.MULTILINE)


def run_memccapable(port, *flags):
    done = subprocess.run(["memccapable", "-h", "127.0.0.1", "-p", str(port), "-t", "10", *flags],
                          capture_output=True, text=True, timeout=120)
    return done.returncode, done.stdout + done.stderr


class MemccapableBinaryTest(ServerTestCase):
    def check(self, flags, protocols, expected_count):
        code, output = run_memccapable(self.server.port, *flags)
        results = RESULT.findall(output)
        failed = [(proto, name, verdict) for proto, name, verdict in results if verdict != "pass"]
        self.assertEqual(failed, [], output)
        self.assertEqual(sorted({proto for proto, _, _ in results}), protocols, output)
        self.assertEqual(len(results), expected_count, output)
        self.assertIn("All tests passed", output)
        self.assertEqual(code, 0, output)

    def test_binary_protocol_27_of_27(self):
        self.check(["-b"], ["binary"], 27)

    def test_both_protocols_54_of_54(self):
        self.check([], ["ascii", "binary"], 54)


if __name__ == "__main__":
    unittest.main()
