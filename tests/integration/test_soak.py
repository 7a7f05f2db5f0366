"""The soak (scripts/soak.sh, `make soak`) for five seconds against the built cuckood on this
engine: mixed verified load with eviction, then fds, RSS (not under a sanitizer: shadow memory
and quarantine) and the exit status on SIGTERM. And
the soak's verification is shown to bite: values planted behind its back are reported wrong.

Environment: CUCKOOD_LOAD_BIN, the built generator, plus the harness's CUCKOOD_BIN / CUCKOOD_IO.
"""

import os
import re
import subprocess
import threading
import unittest

from harness import CUCKOOD_BIN, CUCKOOD_IO, SANITIZED, ServerTestCase

HERE = os.path.dirname(os.path.abspath(__file__))
LOAD_BIN = os.environ.get("CUCKOOD_LOAD_BIN", os.path.join(HERE, "../../build/bench/cuckood-load"))
SOAK_SCRIPT = os.path.join(HERE, "../../scripts/soak.sh")
OPS = ("get", "set", "append", "incr", "delete", "touch")


def table(text):
    """The generator's and the script's "name  value" rows as a dict of strings."""
    rows = {}
    for line in text.splitlines():
        m = re.match(r"^(\S.*?)\s{2,}(\S+)(?:\s+(\S+))?$", line)
        if m:
            rows[m.group(1)] = m.group(3) if m.group(3) else m.group(2)
    return rows


@unittest.skipUnless("CUCKOOD_LOAD_BIN" in os.environ or os.access(LOAD_BIN, os.X_OK),
                     "cuckood-load not built (set CUCKOOD_LOAD_BIN)")
class SoakTest(ServerTestCase):
    SERVER_ARGS = ("-t", "2", "-m", "16")

    def test_five_second_soak_passes_with_resources_back(self):
        proc = subprocess.run(["bash", SOAK_SCRIPT, CUCKOOD_BIN, LOAD_BIN, "5"],
                              env=dict(os.environ, SOAK_IO=CUCKOOD_IO,
                                       SOAK_CHECK_RSS="0" if SANITIZED else "1"),
                              capture_output=True,
                              text=True, timeout=120)
        self.assertEqual(proc.returncode, 0, proc.stdout + proc.stderr)
        rows = table(proc.stdout)
        for op in OPS:
            self.assertGreater(int(rows[op]), 0, op)
        self.assertEqual(rows["wrong values"], "0")
        self.assertGreater(int(rows["verified reads"]), 0)
        self.assertGreater(int(rows["misses"]), 0, "-m 16 is far below the key space: evictions")
        self.assertGreater(int(rows["reconnects"]), 0)
        self.assertEqual(rows["exit on SIGTERM"], "0")
        self.assertIn("soak passed", proc.stdout)

    def plant_while_soaking(self, key, value):
        """Runs a 2-s soak over one shared key against this class's server while another
        connection keeps storing `value` under `key`; returns the exit status and table."""
        stop = threading.Event()

        def plant():
            c = self.conn()
            while not stop.is_set():
                c.request(b"set %s 0 0 %d\r\n%s\r\n" % (key, len(value), value))

        planter = threading.Thread(target=plant)
        planter.start()
        try:
            proc = subprocess.run([LOAD_BIN, "-s", self.server.address(), "--workload", "soak",
                                   "-c", "2", "--duration", "2", "--keys", "1"],
                                  capture_output=True, text=True, timeout=60)
        finally:
            stop.set()
            planter.join()
        return proc.returncode, table(proc.stdout)

    def test_wrong_shared_value_fails_the_soak(self):
        status, rows = self.plant_while_soaking(b"s000000000000000", b"wrong")
        self.assertEqual(status, 3, rows)
        self.assertGreater(int(rows["wrong values"]), 0, rows)

    def test_foreign_write_to_an_owned_counter_fails_the_soak(self):
        # Slot 0 (text) owns c0_*: a write it did not make breaks the history it knows.
        status, rows = self.plant_while_soaking(b"c0_0", b"7")
        self.assertEqual(status, 3, rows)
        self.assertGreater(int(rows["wrong values"]), 0, rows)


if __name__ == "__main__":
    unittest.main()
