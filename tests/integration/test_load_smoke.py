"""cuckood-load against a live cuckood: a correctness smoke test, no timing assertions.

Every run must end with zero errors and zero value mismatches, and read back hits; one test
plants a wrong value to check that a mismatch is reported (exit status 3), never ignored.

Environment: CUCKOOD_LOAD_BIN, the built generator (default ../../build/bench/cuckood-load
relative to this file), plus the harness's CUCKOOD_BIN / CUCKOOD_IO.
"""

import json
import os
import socket
import subprocess
import time
import unittest

from harness import ServerTestCase

LOAD_BIN = os.environ.get(
    "CUCKOOD_LOAD_BIN", os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../build/bench/cuckood-load"))


# Builds with -DCUCKOOD_BENCH=OFF have no generator; ctest passes CUCKOOD_LOAD_BIN whenever the
# target exists, so only a run without it (and without a default build) is skipped.
@unittest.skipUnless("CUCKOOD_LOAD_BIN" in os.environ or os.access(LOAD_BIN, os.X_OK),
                     "cuckood-load not built (set CUCKOOD_LOAD_BIN)")
class LoadSmokeTest(ServerTestCase):
    SERVER_ARGS = ("-t", "2", "-m", "64")

    def load(self, *args, expect_status=0):
        cmd = [LOAD_BIN, "-s", self.server.address(), "--json"] + list(args)
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
        self.assertEqual(proc.returncode, expect_status,
                         "%s\nstdout: %s\nstderr: %s" % (" ".join(cmd), proc.stdout, proc.stderr))
        return json.loads(proc.stdout)

    def assert_clean(self, result):
        self.assertEqual(result["errors"], 0, result)
        self.assertEqual(result["mismatches"], 0, result)
        self.assertEqual(result["preload"]["errors"], 0, result)
        self.assertEqual(result["preload"]["mismatches"], 0, result)
        self.assertGreater(result["requests"], 0, result)

    def test_text_mixed_pipelined(self):
        r = self.load("-t", "2", "-c", "8", "-d", "8", "-k", "5000", "--preload", "--requests", "40000")
        self.assert_clean(r)
        self.assertEqual(r["preload"]["sets"], 5000)
        self.assertGreater(r["hits"], 0)
        self.assertEqual(r["misses"], 0, "every key was preloaded and fits in -m 64")
        self.assertGreater(r["sets"], 0)

    def test_binary_mixed_pipelined(self):
        r = self.load("--protocol", "binary", "-c", "4", "-d", "16", "-k", "5000", "--preload",
                      "--requests", "40000", "--value-size", "1-3000")
        self.assert_clean(r)
        self.assertGreater(r["hits"], 0)
        self.assertEqual(r["misses"], 0)

    def test_large_values(self):
        r = self.load("-c", "4", "-d", "2", "-k", "40", "--preload", "--requests", "400",
                      "--value-size", "100000-300000")
        self.assert_clean(r)
        self.assertGreater(r["hits"], 0)

    def test_zipf_read_through_fills_the_cache(self):
        self.flush()
        r = self.load("--dist", "zipf", "--read-through", "--get-ratio", "1", "-c", "4", "-d", "4",
                      "-k", "20000", "--requests", "40000", "--protocol", "binary")
        self.assert_clean(r)
        self.assertGreater(r["misses"], 0, "the cache started empty")
        self.assertGreater(r["sets"], 0, "every miss is followed by a set")
        self.assertGreater(r["hits"], r["misses"], "Zipf's popular keys stay cached")

    def test_many_connections_paced(self):
        r = self.load("-c", "200", "--rate", "4000", "--duration", "1", "-k", "1000", "--preload")
        self.assert_clean(r)
        self.assertGreater(r["hits"], 0)

    def test_server_cpu_covers_only_the_measured_window(self):
        pid = str(self.server.proc.pid)
        # A long warm-up and a short window: CPU counted from the process's start, or from the
        # generator's, would exceed what the server can use in the window on all CPUs.
        r = self.load("-c", "4", "-d", "8", "-k", "5000", "--preload", "--warmup", "1.5",
                      "--duration", "0.4", "--server-pid", pid)
        self.assert_clean(r)
        cpu = r["server_cpu"]
        self.assertIsNotNone(cpu, r)
        used = cpu["user_seconds"] + cpu["system_seconds"]
        self.assertGreater(used, 0, "the server answered %d requests" % r["requests"])
        tick = 1.0 / os.sysconf("SC_CLK_TCK")
        self.assertLessEqual(used, os.cpu_count() * r["seconds"] + 2 * tick, r)
        self.assertAlmostEqual(cpu["us_per_request"], used * 1e6 / r["requests"], delta=0.01)
        self.assertAlmostEqual(cpu["user_share"], cpu["user_seconds"] / used, delta=0.001)

    def test_server_cpu_after_a_number_of_requests(self):
        r = self.load("-c", "4", "-d", "16", "-k", "5000", "--preload", "--requests", "200000",
                      "--server-pid", str(self.server.proc.pid))
        self.assert_clean(r)
        self.assertIsNotNone(r["server_cpu"], r)
        self.assertGreater(r["server_cpu"]["us_per_request"], 0, r)

    def test_server_cpu_absent_without_a_pid_and_fatal_for_a_wrong_one(self):
        r = self.load("-k", "100", "--preload", "--requests", "100")
        self.assertIsNone(r["server_cpu"])
        proc = subprocess.run([LOAD_BIN, "-s", self.server.address(), "-k", "100", "--requests",
                               "100", "--server-pid", "99999999"],
                              capture_output=True, text=True, timeout=60)
        self.assertEqual(proc.returncode, 1, proc.stdout + proc.stderr)
        self.assertIn("99999999", proc.stderr)

    def test_a_stalled_server_ends_the_run_with_timeouts(self):
        # A listener that accepts and never answers: the preload, then a --requests run, would
        # otherwise wait forever.
        with socket.socket() as silent:
            silent.bind(("127.0.0.1", 0))
            silent.listen(8)
            started = time.monotonic()
            proc = subprocess.run([LOAD_BIN, "-s", "127.0.0.1:%d" % silent.getsockname()[1],
                                   "--json", "-c", "2", "-d", "3", "-k", "10", "--preload",
                                   "--requests", "100"],
                                  capture_output=True, text=True, timeout=60)
            self.assertEqual(proc.returncode, 0, proc.stderr)
            r = json.loads(proc.stdout)
            self.assertEqual(r["preload"]["errors"], 10, r)  # all 10 sets timed out
            self.assertEqual(r["requests"], 0, r)
            self.assertEqual(r["timeouts"], 6, r)
            self.assertLess(time.monotonic() - started, 30)

    def test_wrong_value_is_reported_as_mismatch(self):
        # Key 0 with the default 16-byte keys; its value is not what the generator would write.
        c = self.conn()
        self.assertEqual(c.request(b"set k000000000000000 0 0 5\r\nwrong\r\n"), b"STORED\r\n")
        r = self.load("-k", "1", "--get-ratio", "1", "--requests", "100", expect_status=3)
        self.assertEqual(r["errors"], 0)
        # Every get hits the planted value; mismatches also count gets outside the measured window.
        self.assertGreater(r["hits"], 0)
        self.assertGreaterEqual(r["mismatches"], max(r["hits"], 100))


@unittest.skipUnless("CUCKOOD_LOAD_BIN" in os.environ or os.access(LOAD_BIN, os.X_OK),
                     "cuckood-load not built (set CUCKOOD_LOAD_BIN)")
class EvictingServerStressTest(LoadSmokeTest):
    """Two workers and a cache far smaller than the key space: items are evicted, the index
    grows, large values are sent from pinned segments while others overwrite them, and every
    value read back (all of its bytes and its length) must be the one written for its key."""

    SERVER_ARGS = ("-t", "2", "-m", "8")

    def stats(self):
        c = self.conn()
        reply = c.request(b"stats\r\n", b"END\r\n").decode()
        return {f[1]: f[2] for f in (line.split() for line in reply.splitlines()) if len(f) == 3}

    def test_mixed_text_and_binary_with_eviction(self):
        for protocol in ("text", "binary"):
            r = self.load("--protocol", protocol, "-t", "2", "-c", "8", "-d", "8", "-k", "60000",
                          "--value-size", "100-2000", "--get-ratio", "0.5", "--requests", "60000")
            self.assert_clean(r)
            self.assertGreater(r["hits"], 0, r)
        self.assertGreater(int(self.stats()["evictions"]), 0)

    def test_large_values_pinned_while_overwritten(self):
        r = self.load("-t", "2", "-c", "6", "-d", "2", "-k", "200", "--value-size", "20000-120000",
                      "--get-ratio", "0.7", "--requests", "3000")
        self.assert_clean(r)
        self.assertGreater(r["hits"], 0, r)
        self.assertGreater(int(self.stats()["evictions"]), 0)

    # The base class's cases assume the keys fit in memory.
    test_text_mixed_pipelined = None
    test_binary_mixed_pipelined = None
    test_large_values = None
    test_zipf_read_through_fills_the_cache = None
    test_many_connections_paced = None
    test_wrong_value_is_reported_as_mismatch = None
    test_server_cpu_covers_only_the_measured_window = None
    test_server_cpu_after_a_number_of_requests = None
    test_server_cpu_absent_without_a_pid_and_fatal_for_a_wrong_one = None


if __name__ == "__main__":
    unittest.main()
