"""--metrics-port: Prometheus scrapes GET /metrics in memcached_exporter's names, parsed here with
the Prometheus client library's own parser after known traffic, and checked against `stats`."""

import http.client
import socket
import subprocess
import time
import unittest

from prometheus_client.parser import text_string_to_metric_families

from harness import CUCKOOD_BIN, CUCKOOD_IO, Conn, Server, free_port, wait_for


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


def stats(conn, group=b""):
    command = b"stats" + (b" " + group if group else b"") + b"\r\n"
    lines = conn.request(command, b"END\r\n").decode().splitlines()
    return {l.split()[1]: l.split()[2] for l in lines if l.startswith("STAT ")}


def metric(port, name):
    """The value of the unlabelled sample `name` in a fresh scrape."""
    return samples(scrape(port)[1])[(name, frozenset())]


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
        # Garbage is answered without stopping the endpoint.
        with socket.create_connection(("127.0.0.1", self.metrics_port)) as s:
            s.sendall(b"stats\r\n\r\n")
            self.assertTrue(s.recv(100).startswith(b"HTTP/1.1 400"))

    def test_silent_clients_delay_no_scrape(self):
        silent = socket.create_connection(("127.0.0.1", self.metrics_port))
        half = socket.create_connection(("127.0.0.1", self.metrics_port))
        half.sendall(b"GET /metr")
        for _ in range(3):
            start = time.monotonic()
            self.assertEqual(scrape(self.metrics_port)[0].status, 200)
            # The head timeout is 2 s: a scrape waiting for either client would take that long.
            self.assertLess(time.monotonic() - start, 1.0)
        # Each is still dropped, unanswered, once its own head timeout passes.
        for s in (silent, half):
            s.settimeout(5)
            self.assertEqual(s.recv(100), b"")
            s.close()

    def test_index_growths(self):
        c = self.server.connect()
        at_start = stats(c, b"index")
        self.assertEqual(at_start["index_growths"], "0")
        self.assertEqual(metric(self.metrics_port, "cuckood_index_growths_total"), 0)
        # More items than the index has slots: it must double.
        slots = int(at_start["index_slots"])
        c.send(b"".join(b"set k%d 0 0 1 noreply\r\nv\r\n" % i for i in range(slots + 1)))
        self.assertEqual(c.request(b"mn\r\n"), b"MN\r\n")
        index = stats(c, b"index")
        growths = int(index["index_growths"])
        self.assertGreaterEqual(growths, 1)
        self.assertEqual(int(index["index_slots"]), slots << growths)
        m = samples(scrape(self.metrics_port)[1])
        self.assertEqual(m[("cuckood_index_growths_total", frozenset())], growths)
        self.assertEqual(m[("cuckood_index_buckets", frozenset())], int(index["index_buckets"]))
        self.assertEqual(m[("cuckood_index_slots", frozenset())], int(index["index_slots"]))
        # memcached's hash_* keys describe the same table.
        general = stats(c)
        self.assertEqual(2 ** int(general["hash_power_level"]), int(index["index_slots"]))
        self.assertEqual(general["hash_bytes"], index["index_bytes"])
        c.close()

    def test_pinned_bytes_while_a_slow_reader_holds_large_replies(self):
        c = self.server.connect()
        value = b"v" * (512 << 10)  # sent from item memory: at least 16 KiB
        self.assertEqual(c.request(b"set big 0 0 %d\r\n%s\r\n" % (len(value), value)),
                         b"STORED\r\n")
        self.assertEqual(metric(self.metrics_port, "cuckood_pinned_bytes"), 0)
        # A client with a small receive window that asks for 16 MB of replies and reads none:
        # what the kernel does not take stays queued in the server, pinned.
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.settimeout(10)
        sock.connect(("127.0.0.1", self.server.port))
        slow = Conn(sock)
        gets = 32
        slow.send(b"get big\r\n" * gets)
        self.assertTrue(wait_for(
            lambda: metric(self.metrics_port, "cuckood_pinned_bytes") >= len(value), 5))
        reply = b"VALUE big 0 %d\r\n%s\r\nEND\r\n" % (len(value), value)
        for _ in range(gets):
            self.assertEqual(slow.read_exact(len(reply)), reply)
        self.assertTrue(wait_for(lambda: metric(self.metrics_port, "cuckood_pinned_bytes") == 0, 5))
        slow.close()
        c.close()

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
