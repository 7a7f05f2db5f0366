"""bench/report.py, the table of `make bench`, on made-up runs: the server CPU per request
columns (medians over rounds, the per-round ratio memcached / cuckood, the user share), runs
that did not measure server CPU, the kernel TLS line beside the TLS rows and the kernel entry
line. No server is started."""

import importlib.util
import json
import os
import unittest

REPORT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../bench/report.py")
spec = importlib.util.spec_from_file_location("bench_report", REPORT)
report = importlib.util.module_from_spec(spec)
spec.loader.exec_module(report)

META = {"setting": "test setting", "rounds": 3, "seconds": 42, "baseline_only": False,
        "machine": {"cpu": "cpu", "cpus": 2, "memory_gib": 1.0, "os": "os", "kernel": "k",
                    "memcached": "memcached 1.6.18", "cuckood_commit": "abc1234",
                    "date_utc": "2026-12-02 00:00", "loadavg_1min_at_end": 1.0}}


def result(ops, us_per_request=None, user_share=None, hit_ratio=1.0):
    r = {"ops_per_sec": ops, "requests": int(ops), "hit_ratio": hit_ratio, "errors": 0,
         "mismatches": 0, "latency_us": {"p50": 10.0, "p99": 20.0, "p99_9": 30.0},
         "preload": {"errors": 0, "mismatches": 0}, "server_cpu": None}
    if us_per_request is not None:
        r["server_cpu"] = {"user_seconds": 0.0, "system_seconds": 0.0,
                           "us_per_request": us_per_request, "user_share": user_share}
    return r


def runs(workload, rounds):
    """rounds: [(memcached result, cuckood result), ...]"""
    out = []
    for i, (m, c) in enumerate(rounds, 1):
        out.append({"workload": workload, "server": "memcached", "round": i, "result": m})
        out.append({"workload": workload, "server": "cuckood", "round": i, "result": c})
    return out


class ReportTest(unittest.TestCase):
    def summarize(self, *workloads):
        return {w["workload"]: w for w in report.summarize([r for ws in workloads for r in ws])}

    def test_cpu_per_request_medians_and_ratio_per_round(self):
        w = self.summarize(runs("mixed_90_10_1m", [
            (result(100e3, 4.0, 0.30), result(300e3, 2.0, 0.40)),
            (result(110e3, 6.0, 0.20), result(290e3, 1.0, 0.50)),
            (result(105e3, 5.0, 0.25), result(310e3, 4.0, 0.45)),
        ]))["mixed_90_10_1m"]
        self.assertEqual(w["memcached"]["cpu_us_per_request"], 5.0)
        self.assertEqual(w["cuckood"]["cpu_us_per_request"], 2.0)
        self.assertEqual(w["memcached"]["cpu_user_share"], 0.25)
        self.assertEqual(w["cuckood"]["cpu_user_share"], 0.45)
        # Per round 4/2, 6/1, 5/4: the median of the ratios, not the ratio of the medians.
        self.assertEqual(w["ratio_cpu"], {"median": 2.0, "min": 1.25, "max": 6.0})
        self.assertIn("1M keys", w["description"])

        table = report.markdown([w], META)
        self.assertIn("| server CPU µs/req m / c | CPU ratio m / c (spread) | user share m / c |",
                      table)
        self.assertIn("| mixed_90_10_1m | 105.0k | 300.0k | **2.95×** (2.64–3.00) | 5.00 / 2.00 "
                      "| **2.00×** (1.25–6.00) | 25% / 45% |", table)
        json.dumps(w)  # latest.json holds the same dictionaries

    def test_runs_without_server_cpu_show_dashes(self):
        w = self.summarize(runs("binary", [(result(100e3), result(200e3))]))["binary"]
        self.assertIsNone(w["memcached"]["cpu_us_per_request"])
        self.assertIsNone(w["ratio_cpu"])
        self.assertIn("| binary | 100.0k | 200.0k | **2.00×** (2.00–2.00) | – / – | – | – / – |",
                      report.markdown([w], META))

    def test_a_round_without_cpu_is_left_out_of_the_cpu_figures(self):
        w = self.summarize(runs("hot_keys", [
            (result(100e3, 3.0, 0.2), result(100e3, 1.0, 0.6)),
            (result(100e3), result(100e3, 9.0, 0.1)),
        ]))["hot_keys"]
        self.assertEqual(w["memcached"]["cpu_us_per_request"], 3.0)
        self.assertEqual(w["cuckood"]["cpu_us_per_request"], 5.0)
        self.assertEqual(w["ratio_cpu"], {"median": 3.0, "min": 3.0, "max": 3.0})

    def test_hit_ratio_table_has_cpu_too(self):
        w = self.summarize(runs("zipf_read_through_m64", [
            (result(50e3, 8.0, 0.3, hit_ratio=0.92), result(60e3, 2.0, 0.5, hit_ratio=0.93)),
        ]))["zipf_read_through_m64"]
        self.assertIn("| zipf_read_through_m64 | 0.9200 | 0.9300 | **1.011×** (1.011–1.011) "
                      "| 8.00 / 2.00 | **4.00×** (4.00–4.00) | 30% / 50% | 0 / 0 | 0 / 0 |",
                      report.markdown([w], META))

    def test_tls_rows_and_the_kernel_tls_line(self):
        w = self.summarize(runs("tls_mixed_90_10", [
            (result(60e3, 7.5, 0.4), result(280e3, 1.0, 0.4)),
        ]))["tls_mixed_90_10"]
        self.assertIn("TLS", w["description"])
        line = "kernel TLS unavailable on Linux 6.18: setsockopt(TCP_ULP, \"tls\") ...: ENOENT"
        table = report.markdown([w], dict(META, ktls=line))
        self.assertIn("| tls_mixed_90_10 | 60.0k | 280.0k | **4.67×** (4.67–4.67) | 7.50 / 1.00 "
                      "| **7.50×** (7.50–7.50) |", table)
        self.assertIn("\nKernel TLS (bench/ktls_probe, beside the tls_* rows): " + line + "\n",
                      table)
        self.assertNotIn("Kernel TLS", report.markdown([w], dict(META, ktls="")))

    def test_kernel_entry_line_under_the_table(self):
        w = self.summarize(runs("mixed_90_10", [(result(100e3, 4.0, 0.3), result(300e3, 2.0, 0.3))]))
        line = ("a system call (getppid) takes 940 ns; after each one a dependent load costs 1.2 "
                "ns on one 4 KiB page (warm 0.6) and 13.9 ns with each load on its own page "
                "(warm 0.6)")
        table = report.markdown(list(w.values()), dict(META, kernel_entry=line))
        self.assertIn("\nKernel entry (bench/kernel_entry_probe, on the servers' CPU; the user share "
                      "includes what user code pays again after each system call): " + line + "\n",
                      table)
        self.assertNotIn("Kernel entry", report.markdown(list(w.values()), META))


if __name__ == "__main__":
    unittest.main()
