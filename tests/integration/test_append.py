"""append/prepend under concurrency and at the item size limit, against the running server.

Several clients append tagged records to one key at once: each append is atomic, so the final
value holds every record exactly once (in each client's own order). A join that would pass -I
is refused with memcached's words; the same requests go to /usr/bin/memcached and the replies
must be the same."""

import threading
import unittest

import harness

CLIENTS = 4
RECORDS = 250


def record(client, n):
    return b"<%d:%04d>" % (client, n)


def append_concurrently(server, key, request):
    """CLIENTS threads each send RECORDS appends built by request(key, record) over their own
    connection (pipelined in batches) and check every reply is a success."""
    errors = []

    def client(i):
        try:
            c = server.connect()
            batch = 25
            for start in range(0, RECORDS, batch):
                c.send(b"".join(request(key, record(i, n)) for n in range(start, start + batch)))
                for _ in range(batch):
                    reply = c.read_line()
                    if reply not in (b"STORED\r\n", b"HD\r\n"):
                        errors.append(reply)
            c.close()
        except Exception as e:  # reported by the test thread
            errors.append(e)

    threads = [threading.Thread(target=client, args=(i,)) for i in range(CLIENTS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return errors


def classic_append(key, value):
    return b"append %s 0 0 %d\r\n%s\r\n" % (key, len(value), value)


def classic_prepend(key, value):
    return b"prepend %s 0 0 %d\r\n%s\r\n" % (key, len(value), value)


def vivifying_append(key, value):
    return b"ms %s %d MA N0\r\n%s\r\n" % (key, len(value), value)


class ConcurrentAppends(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = harness.Server(("-t", "4")).start()

    @classmethod
    def tearDownClass(cls):
        assert cls.server.stop() == 0, cls.server.output()

    def read_value(self, key):
        c = self.server.connect()
        c.send(b"get %s\r\n" % key)
        header = c.read_line()
        self.assertTrue(header.startswith(b"VALUE "), header)
        size = int(header.split()[3])
        value = c.read_exact(size)
        self.assertEqual(c.read_exact(7), b"\r\nEND\r\n")
        c.close()
        return value

    def assert_every_record_once(self, value, prefix=b"", suffix=b""):
        """Each client's records appear once each, in its order (reversed for prepends)."""
        self.assertTrue(value.startswith(prefix) and value.endswith(suffix))
        records = value[len(prefix):len(value) - len(suffix)].split(b">")
        self.assertEqual(records.pop(), b"")
        self.assertEqual(len(records), CLIENTS * RECORDS)
        for i in range(CLIENTS):
            mine = [r + b">" for r in records if r.startswith(b"<%d:" % i)]
            expected = [record(i, n) for n in range(RECORDS)]
            self.assertEqual(mine, expected if suffix == b"" else expected[::-1])

    def test_classic_appends_to_one_key(self):
        c = self.server.connect()
        self.assertEqual(c.request(b"set shared 0 0 5\r\nstart\r\n"), b"STORED\r\n")
        c.close()
        self.assertEqual(append_concurrently(self.server, b"shared", classic_append), [])
        self.assert_every_record_once(self.read_value(b"shared"), b"start")

    def test_classic_prepends_to_one_key(self):
        c = self.server.connect()
        self.assertEqual(c.request(b"set front 0 0 3\r\nend\r\n"), b"STORED\r\n")
        c.close()
        self.assertEqual(append_concurrently(self.server, b"front", classic_prepend), [])
        self.assert_every_record_once(self.read_value(b"front"), suffix=b"end")

    def test_vivifying_appends_to_one_absent_key(self):
        # Every client may be the one whose append finds the key absent: exactly one creates.
        self.assertEqual(append_concurrently(self.server, b"fresh", vivifying_append), [])
        self.assert_every_record_once(self.read_value(b"fresh"))


class AppendAtTheItemLimit(unittest.TestCase):
    """The same requests to cuckood and to memcached 1.6.18 (default -I 1m)."""

    HALF = 600 * 1024

    def replies(self, server):
        c = server.connect()
        half, whole = self.HALF, 2 * self.HALF
        requests = [
            b"set k 0 0 %d\r\n%s\r\n" % (half, b"a" * half),
            classic_append(b"k", b"b" * half),  # the join passes -I
            classic_append(b"k", b"b" * whole),  # the value alone passes -I
            b"get k\r\n",
            b"ms k %d MA\r\n%s\r\n" % (half, b"c" * half),
            b"ms k %d MA\r\n%s\r\n" % (whole, b"c" * whole),  # ms removes the item
            b"get k\r\n",
            b"set p 0 0 %d\r\n%s\r\n" % (half, b"a" * half),
            b"prepend p 0 0 %d\r\n%s\r\n" % (half, b"b" * half),
            b"stats\r\n",
        ]
        out = []
        for r in requests:
            c.send(r)
            if r.startswith(b"get"):
                header = c.read_line()
                if header.startswith(b"VALUE"):
                    c.read_exact(int(header.split()[3]) + 2)
                    c.read_line()
                out.append(header)
            elif r.startswith(b"stats"):
                stats = c.read_until(b"END\r\n").split(b"\r\n")
                out += [s for s in stats if s.startswith(b"STAT store_")]
            else:
                out.append(c.read_line())
        c.close()
        return out

    def test_same_answers_as_memcached(self):
        with harness.Server() as cuckood:
            ours = self.replies(cuckood)
        with harness.Server(binary=harness.MEMCACHED_BIN) as memcached:
            theirs = self.replies(memcached)
        self.assertEqual(ours, theirs)
        self.assertEqual(ours[:3], [b"STORED\r\n", b"NOT_STORED\r\n",
                                    b"SERVER_ERROR object too large for cache\r\n"])


if __name__ == "__main__":
    unittest.main()
