"""--metrics-port: Prometheus scrapes GET /metrics in memcached_exporter's names, parsed here with
the Prometheus client library's own parser after known traffic, and checked against `stats`."""

import http.client
import socket
import subprocess
import unittest

from prometheus_client.parser import text_string_to_metric_families

from harness import CUCKOOD_BIN, CUCKOOD_IO, Server, free_port, wait_for


def scrape(port, method="GET", path="/metrics"):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    conn.request(method, path)
    response = conn.getresponse()
    body = response.read().decode()
    conn.close()
    return response, body


def samples(text):
    """{(name, frozenset(labels)): value} of every sample, via prometheus_client's parser."""
    out = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            out[(s.name, frozenset(s.labels.items()))] = s.value
    return out


def stats(conn):
    lines = conn.request(b"stats\r\n", b"END\r\n").decode().splitlines()
    return {l.split()[1]: l.split()[2] for l in lines if l.startswith("STAT ")}


class MetricsTest(unittest.TestCase):
    def setUp(self):
        self.metrics_port = free_port()
        self.server = Server(["-t", "2", "--metrics-port", str(self.metrics_port)])
        self.server.start()
        self.addCleanup(self.server.stop)
        self.assertTrue(wait_for(lambda: _accepts(self.metrics_port), 5))

    def test_exporter_names_after_known_traffic(self):
        c = self.server.connect()
        for i in range(5):
            self.assertEqual(c.request(b"set k%d 0 0 1\r\nx\r\n" % i), b"STORED\r\n")
        c.request(b"get k0 k1 nope\r\n", b"END\r\n")
        c.request(b"incr nope 1\r\n")
        c.request(b"delete k4\r\n")
        c.request(b"touch k0 100\r\n")
        c.request(b"cas k1 0 0 1 999999\r\ny\r\n")
        response, body = scrape(self.metrics_port)
        self.assertEqual(response.status, 200)
        self.assertEqual(response.getheader("Content-Type"), "text/plain; version=0.0.4; charset=utf-8")
        m = samples(body)

        def value(name, **labels):
            return m[(name, frozenset(labels.items()))]

        self.assertEqual(value("memcached_up"), 1)
        self.assertEqual(value("memcached_commands_total", command="get", status="hit"), 2)
        self.assertEqual(value("memcached_commands_total", command="get", status="miss"), 1)
        self.assertEqual(value("memcached_commands_total", command="incr", status="miss"), 1)
        self.assertEqual(value("memcached_commands_total", command="delete", status="hit"), 1)
        self.assertEqual(value("memcached_commands_total", command="touch", status="hit"), 1)
        self.assertEqual(value("memcached_commands_total", command="cas", status="badval"), 1)
        self.assertEqual(value("memcached_commands_total", command="set", status="hit"), 5)
        self.assertEqual(value("memcached_current_items"), 4)
        self.assertEqual(value("memcached_items_total"), 5)
        # The parser strips the _total suffix of counter families from the family name only.
        s = stats(c)
        self.assertEqual(value("memcached_current_connections"), int(s["curr_connections"]))
        self.assertEqual(value("memcached_limit_bytes"), int(s["limit_maxbytes"]))
        self.assertEqual(value("memcached_current_bytes"), int(s["bytes"]))
        self.assertEqual(value("memcached_max_connections"), 1024)
        self.assertEqual(value("memcached_version", version=s["version"]), 1)
        self.assertGreater(value("memcached_read_bytes_total"), 0)
        self.assertGreater(value("cuckood_index_slots"), 0)
        workers = [v for (name, labels), v in m.items() if name == "cuckood_worker_requests_total"]
        self.assertEqual(len(workers), 2)
        self.assertGreaterEqual(sum(workers), 10)
        c.close()

    def test_head_other_paths_and_methods(self):
        response, body = scrape(self.metrics_port, "HEAD")
        self.assertEqual(response.status, 200)
        self.assertEqual(body, "")
        self.assertGreater(int(response.getheader("Content-Length")), 100)
        self.assertEqual(scrape(self.metrics_port, "GET", "/")[0].status, 404)
        self.assertEqual(scrape(self.metrics_port, "POST")[0].status, 405)
        # Garbage and a silent client are answered or dropped without stopping the endpoint.
        with socket.create_connection(("127.0.0.1", self.metrics_port)) as s:
            s.sendall(b"stats\r\n\r\n")
            self.assertTrue(s.recv(100).startswith(b"HTTP/1.1 400"))
        silent = socket.create_connection(("127.0.0.1", self.metrics_port))
        self.assertEqual(scrape(self.metrics_port)[0].status, 200, "a silent client blocks scrapes")
        silent.close()

    def test_memcached_port_does_not_serve_metrics(self):
        c = self.server.connect()
        c.send(b"GET /metrics HTTP/1.1\r\n\r\n")
        self.assertTrue(c.is_closed())  # as memcached: HTTP on the cache port is dropped
        c.close()


def _accepts(port):
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
        return True
    except OSError:
        return False


class MetricsFlagsTest(unittest.TestCase):
    def test_off_by_default(self):
        port = free_port()
        with Server([]) as server:
            self.assertFalse(_accepts(port))
            self.assertNotIn("metrics", server.output())

    def test_listen_address(self):
        port = free_port()
        with Server(["--metrics-port", str(port), "--metrics-listen", "localhost"]):
            self.assertTrue(wait_for(lambda: _accepts(port), 5))

    def test_port_in_use_exits_1(self):
        with socket.socket() as taken:
            taken.bind(("127.0.0.1", 0))
            taken.listen()
            port = taken.getsockname()[1]
            result = subprocess.run(
                [CUCKOOD_BIN, "-p", str(free_port()), "--io", CUCKOOD_IO, "--metrics-port",
                 str(port)], capture_output=True, text=True, timeout=10)
        self.assertEqual(result.returncode, 1, result.stderr)
        self.assertIn("127.0.0.1:%d" % port, result.stderr)

    def test_bad_port_is_a_usage_error(self):
        result = subprocess.run([CUCKOOD_BIN, "--metrics-port", "70000"], capture_output=True,
                                text=True, timeout=10)
        self.assertEqual(result.returncode, 2, result.stderr)


if __name__ == "__main__":
    unittest.main()
