"""The bigmem workload (cuckood-load --workload bigmem) against a live cuckood: 200 K records
appended over 70 K keys in both modes (classic set-then-append, and meta ms MA N0), then a
sample of keys read back and compared byte for byte. No timing assertions.

A second run of the same records onto the keys the first one left is checked too: the verifier
must then report wrong values (exit status 3), so a broken verifier cannot pass.

Environment: as test_load_smoke.py (CUCKOOD_LOAD_BIN, CUCKOOD_BIN, CUCKOOD_IO).
"""

import json
import os
import subprocess
import unittest

from harness import ServerTestCase
from test_load_smoke import LOAD_BIN

RECORDS = 200000
KEYS = 70000


@unittest.skipUnless("CUCKOOD_LOAD_BIN" in os.environ or os.access(LOAD_BIN, os.X_OK),
                     "cuckood-load not built (set CUCKOOD_LOAD_BIN)")
class BigmemWorkload(ServerTestCase):
    SERVER_ARGS = ("-t", "2", "-m", "256")

    def bigmem(self, mode, expect_status=0, verify=5000):
        cmd = [LOAD_BIN, "-s", self.server.address(), "--json", "--workload", "bigmem",
               "--append", mode, "--records", str(RECORDS), "-k", str(KEYS), "-t", "2", "-c", "8",
               "-d", "32", "--verify", str(verify)]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=240)
        self.assertEqual(proc.returncode, expect_status,
                         "%s\nstdout: %s\nstderr: %s" % (" ".join(cmd), proc.stdout, proc.stderr))
        return json.loads(proc.stdout)

    def assert_all_stored_and_verified(self, r, verify=5000):
        self.assertEqual(r["stored"], RECORDS, r)
        self.assertEqual(r["failed"], 0, r)
        self.assertEqual(r["verified"], verify, r)
        self.assertEqual(r["matched"], verify, r)
        self.assertEqual(sum(r["window_rates"]) * r["window_seconds"], RECORDS, r)
        # 200 K uniform records over 70 K keys leave e^(-200/70) ≈ 5.7 % of them untouched.
        self.assertGreater(r["keys_written"], 0.9 * KEYS, r)
        self.assertLess(r["keys_written"], KEYS, r)
        self.assertGreater(r["slowest_to_median"], 0, r)

    def test_classic_set_then_append(self):
        self.flush()
        self.assert_all_stored_and_verified(self.bigmem("classic"))

    def test_meta_append_or_create(self):
        self.flush()
        self.assert_all_stored_and_verified(self.bigmem("meta"))

    def test_appending_onto_old_values_is_caught(self):
        self.flush()
        self.bigmem("meta", verify=10)
        # The same records again: every written key now holds its records twice.
        r = self.bigmem("meta", expect_status=3)
        self.assertGreater(r["wrong"], 0.8 * r["verified"], r)
        self.assertEqual(r["missing"], 0, r)


if __name__ == "__main__":
    unittest.main()
