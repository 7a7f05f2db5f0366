"""libmemcached's conformance checker: `memccapable -a` runs its 27 ascii protocol tests; every
one must pass, as against memcached 1.6.18 (verified by running this file with
CUCKOOD_REFERENCE=memcached, which starts /usr/bin/memcached instead)."""

import re
import subprocess
import unittest

from test_text import start_server

RESULT = re.compile(r"^ascii (.+?)\s+\[(\w+)\]\s*$", re.MULTILINE)


class MemccapableAsciiTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = start_server()

    @classmethod
    def tearDownClass(cls):
        code = cls.server.stop()
        assert code == 0, "server exit code %s: %s" % (code, cls.server.output())

    def test_ascii_27_of_27(self):
        done = subprocess.run(
            ["memccapable", "-a", "-h", "127.0.0.1", "-p", str(self.server.port), "-t", "10"],
            capture_output=True, text=True, timeout=120)
        output = done.stdout + done.stderr
        results = RESULT.findall(output)
        failed = [(name, verdict) for name, verdict in results if verdict != "pass"]
        self.assertEqual(failed, [], output)
        self.assertEqual(len(results), 27, output)
        self.assertIn("All tests passed", output)
        self.assertEqual(done.returncode, 0, output)


if __name__ == "__main__":
    unittest.main()
