"""bench/kernel_entry_probe, the line `make bench` prints under its table: what a system call
costs here and what a dependent load costs right after one, on one page and with each load on
its own page. Where the kernel isolates its page tables without PCID, every system call empties
the TLB, so a load on a page not touched since then pays for a page walk."""

import os
import re
import subprocess
import unittest

BENCH_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../build/bench")
PROBE_BIN = os.environ.get("KERNEL_ENTRY_PROBE_BIN", os.path.join(BENCH_DIR, "kernel_entry_probe"))

LINE = re.compile(
    r"a system call \(getppid\) takes (\d+) ns; after each one a dependent load costs "
    r"([\d.]+) ns on one 4 KiB page \(warm ([\d.]+)\) and ([\d.]+) ns with each load on its "
    r"own page \(warm ([\d.]+)\)$")


def tlb_emptied_by_every_system_call():
    """Page-table isolation on and no PCID: each kernel entry and exit switches page tables
    without tagging the TLB's entries, so every entry is dropped."""
    try:
        with open("/sys/devices/system/cpu/vulnerabilities/meltdown") as f:
            pti = "PTI" in f.read()
        with open("/proc/cpuinfo") as f:
            flags = next((l for l in f if l.startswith("flags")), "").split()
    except OSError:
        return False
    return pti and "pcid" not in flags


@unittest.skipUnless(os.access(PROBE_BIN, os.X_OK),
                     "kernel_entry_probe not built (set KERNEL_ENTRY_PROBE_BIN)")
class KernelEntryProbeTest(unittest.TestCase):
    def run_probe(self):
        proc = subprocess.run([PROBE_BIN], capture_output=True, text=True, timeout=60)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        match = LINE.match(proc.stdout.strip())
        self.assertIsNotNone(match, proc.stdout)
        return [float(g) for g in match.groups()]

    def test_one_line_with_every_figure(self):
        syscall, dense_after, dense_warm, sparse_after, sparse_warm = self.run_probe()
        self.assertGreater(syscall, 0)
        # A load from the cache is far cheaper than entering the kernel, on any machine.
        for warm in (dense_warm, sparse_warm):
            self.assertGreater(warm, 0)
            self.assertLess(warm, syscall)
        self.assertGreaterEqual(dense_after, 0)
        self.assertGreaterEqual(sparse_after, 0)

    @unittest.skipUnless(tlb_emptied_by_every_system_call(),
                         "this kernel keeps the TLB across system calls (no PTI, or PCID)")
    def test_a_new_page_after_a_system_call_costs_a_page_walk(self):
        _, dense_after, _, sparse_after, _ = self.run_probe()
        self.assertGreater(sparse_after, dense_after)


if __name__ == "__main__":
    unittest.main()
