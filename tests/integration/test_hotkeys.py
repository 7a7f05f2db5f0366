"""`stats hotkeys [N]` and the cuckood_hot_key_reads metric under a skewed load: the most read
keys of the last interval come first; binary Stat "hotkeys [N]" answers the same entries. The
clock is moved with `debugtime` rather than waited for; one worker (-t 1) sees the moved clock
at once."""

import http.client
import unittest

from prometheus_client.parser import text_string_to_metric_families

from harness import Server, free_port, wait_for
from test_binary import NOT_FOUND, STAT, SUCCESS, packet, read_response

INTERVAL = 10


def text_hotkeys(c, count=b""):
    """[(name, value)] of `stats hotkeys [count]`, in order."""
    command = b"stats hotkeys" + (b" " + count if count else b"") + b"\r\n"
    lines = c.request(command, b"END\r\n").decode().splitlines()
    return [tuple(l.split()[1:3]) for l in lines if l.startswith("STAT ")]


def binary_hotkeys(c, key):
    """[(name, value)] of a binary Stat with `key`, in order, up to its terminator; or the
    status of an error."""
    c.send(packet(STAT, key, opaque=9))
    stats = []
    while True:
        r = read_response(c)
        if r.status != SUCCESS:
            return r.status
        if not r.key:
            return stats
        stats.append((r.key.decode(), r.value.decode()))


class HotKeysTest(unittest.TestCase):
    def test_skewed_load_ranks_hot_keys_first(self):
        metrics_port = free_port()
        with Server(["-t", "1", "--debug-time", "--metrics-port", str(metrics_port)]) as server:
            c = server.connect()
            for key in (b"hot", b"warm", b"cold"):
                self.assertEqual(c.request(b"set %s 0 0 1\r\nx\r\n" % key), b"STORED\r\n")
            # 4:2:1 reads, pipelined; a meta get counts as a get does.
            batch = (b"get hot\r\n" * 4 + b"get warm\r\n" * 2 + b"mg cold v\r\n") * 200
            answers = (b"VALUE hot 0 1\r\nx\r\nEND\r\n" * 4 +
                       b"VALUE warm 0 1\r\nx\r\nEND\r\n" * 2 + b"VA 1\r\nx\r\n") * 200
            for _ in range(5):
                c.send(batch)
                self.assertEqual(c.read_exact(len(answers)), answers)
            empty = c.request(b"stats hotkeys\r\n", b"END\r\n")
            self.assertNotIn(b"STAT key:", empty, "an interval is reported only once complete")
            self.assertEqual(c.request(b"debugtime %d\r\n" % INTERVAL), b"OK\r\n")
            c.send(b"get hot\r\n" * 64)
            c.read_exact(len(b"VALUE hot 0 1\r\nx\r\nEND\r\n") * 64)

            lines = c.request(b"stats hotkeys 3\r\n", b"END\r\n").decode().splitlines()
            keys = [l.split()[1][len("key:"):] for l in lines if l.startswith("STAT key:")]
            reads = [int(l.split()[2]) for l in lines if l.startswith("STAT key:")]
            self.assertEqual(keys, ["hot", "warm", "cold"])
            self.assertGreater(reads[0], reads[1])
            self.assertGreater(reads[1], reads[2])
            # Estimates of 4000, 2000 and 1000 reads, sampled about one in 16.
            self.assertLess(abs(reads[0] - 4000), 1200)

            # The same entries over binary, the count after a space as "detail dump" takes its
            # action; an unknown count is an unknown group.
            b = server.connect()
            self.assertEqual(binary_hotkeys(b, b"hotkeys 3"), text_hotkeys(c, b"3"))
            self.assertEqual(binary_hotkeys(b, b"hotkeys"), text_hotkeys(c))
            self.assertEqual(binary_hotkeys(b, b"hotkeys 1")[2:],
                             [("key:hot", str(reads[0]))])
            self.assertEqual(binary_hotkeys(b, b"hotkeys x"), NOT_FOUND)
            b.close()

            conn = http.client.HTTPConnection("127.0.0.1", metrics_port, timeout=5)
            conn.request("GET", "/metrics")
            body = conn.getresponse().read().decode()
            conn.close()
            hot = {s.labels["key"]: s.value for f in text_string_to_metric_families(body)
                   for s in f.samples if s.name == "cuckood_hot_key_reads"}
            self.assertEqual(hot["hot"], reads[0])
            self.assertEqual(hot["cold"], reads[2])
            c.close()


if __name__ == "__main__":
    unittest.main()
