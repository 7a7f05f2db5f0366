"""memcached's stats family and operator commands against the running server: stats items,
slabs, sizes, settings, reset and detail, stats cachedump, lru_crawler (crawl, metadump and
their settings), cache_memlimit, slabs; and the tools that read them, run as an operator would:
memcached-tool (display, dump, stats), libmemcached's memcstat and memcdump, each over 50
stored keys."""

import os
import re
import shutil
import subprocess
import time
import unittest

import harness

MEMCACHED_TOOL = "/usr/share/memcached/scripts/memcached-tool"
KEYS = [b"stats:key:%d" % i for i in range(50)]


def stats_of(reply):
    """The STAT lines of a reply, by name."""
    stats = {}
    for line in reply.split(b"\r\n"):
        if line.startswith(b"STAT "):
            _, name, value = line.split(b" ", 2)
            stats[name.decode()] = value.decode()
    return stats


class StatsTestCase(harness.ServerTestCase):
    """A fresh connection after a flush and a stats reset, and helpers."""

    def setUp(self):
        self.flush()
        self.c = self.conn()
        self.c.request(b"stats reset\r\n")

    def stats(self, group=b""):
        command = b"stats" + (b" " + group if group else b"") + b"\r\n"
        return stats_of(self.c.request(command, b"END\r\n"))

    def store(self, keys, value=b"hello", exptime=0):
        for key in keys:
            self.assertEqual(
                self.c.request(b"set %s 0 %d %d\r\n%s\r\n" % (key, exptime, len(value), value)),
                b"STORED\r\n")


class StatsFamily(StatsTestCase):
    def test_general_stats_count_what_happened(self):
        self.store([b"e"], exptime=-1)
        self.assertEqual(self.c.request(b"get e\r\n"), b"END\r\n")
        self.store([b"f"])
        self.c.request(b"flush_all\r\n")
        self.assertEqual(self.c.request(b"get f\r\n"), b"END\r\n")
        stats = self.stats()
        self.assertEqual(stats["get_flushed"], "1")
        self.assertEqual(stats["lrutail_reflocked"], "0")
        self.assertIn("hash_power_level", stats)
        self.assertIn("crawler_reclaimed", stats)
        self.c.request(b"stats reset\r\n")
        stats = self.stats()
        self.assertEqual(stats["get_flushed"], "0")
        self.assertEqual(stats["reclaimed"], "0")

    def test_general_stats_have_every_key_and_the_servers_own_figures(self):
        stats = self.stats()
        self.assertEqual(len(stats), 92)  # memcached 1.6.18's with its default flags
        self.assertEqual(stats["libevent"], "io_uring" if self.server.io == "uring" else "epoll")
        self.assertGreaterEqual(int(stats["connection_structures"]), 2)  # listener, this client
        self.assertGreater(int(stats["read_buf_count"]), 0)
        self.assertGreater(int(stats["read_buf_bytes"]), int(stats["read_buf_count"]))
        # At least stdin/out/err and the listener; a client is not one of them: one client more
        # leaves the figure as it was. A connection being accepted, or one just closed, holds a
        # descriptor for a moment before the server's book shows it, so the two readings are
        # taken again until that moment has passed.
        self.assertGreaterEqual(int(stats["reserved_fds"]), 4)
        deadline = time.monotonic() + 2
        while True:
            alone = self.stats()["reserved_fds"]
            other = self.conn()
            with_other = stats_of(other.request(b"stats\r\n", b"END\r\n"))["reserved_fds"]
            other.close()
            if alone == with_other or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        self.assertEqual(with_other, alone)
        self.assertEqual(stats["hash_is_expanding"], "0")

    def test_settings_oldest_and_size_class_settings(self):
        settings = self.stats(b"settings")
        for name, value in (("growth_factor", "1.25"), ("chunk_size", "48"),
                            ("slab_chunk_max", "524288"), ("lru_crawler", "yes"),
                            ("auth_enabled_sasl", "no"), ("maxconns_fast", "yes")):
            self.assertEqual(settings[name], value, name)
        self.assertGreater(int(settings["oldest"]), 0)  # setUp flushed

    def test_detail_per_prefix(self):
        self.assertEqual(self.c.request(b"stats detail on\r\n"), b"OK\r\n")
        self.addCleanup(lambda: self.conn().request(b"stats detail off\r\n"))
        self.store([b"p:1", b"q:1"])
        # Another connection lands on another worker: the dump merges their tables.
        for _ in range(4):
            other = self.conn()
            other.request(b"get p:1 p:2\r\n", b"END\r\n")
            other.close()
        self.assertEqual(self.c.request(b"delete q:2\r\n"), b"NOT_FOUND\r\n")
        self.assertEqual(self.c.request(b"stats detail dump\r\n", b"END\r\n"),
                         b"PREFIX p get 8 hit 4 set 1 del 0\r\n"
                         b"PREFIX q get 0 hit 0 set 1 del 1\r\nEND\r\n")

    def test_cachedump_lists_a_class(self):
        self.store(KEYS[:5])
        reply = self.c.request(b"stats cachedump 1 0\r\n", b"END\r\n")
        listed = set(re.findall(rb"ITEM (\S+) \[5 b; 0 s\]\r\n", reply))
        self.assertEqual(listed, set(KEYS[:5]))
        reply = self.c.request(b"stats cachedump 1 2\r\n", b"END\r\n")
        self.assertEqual(reply.count(b"ITEM "), 2)

    def test_metadump_lists_every_key(self):
        self.store(KEYS)
        self.store([b"short"], exptime=1000)
        reply = self.c.request(b"lru_crawler metadump all\r\n", b"END\r\n")
        lines = reply.split(b"\n")[:-1]
        self.assertEqual(len(lines), 52)  # the keys, then END
        keys = set()
        for line in lines[:-1] + [lines[-1]]:
            m = re.fullmatch(rb"key=(\S+) exp=(-?\d+) la=(\d+) cas=(\d+) fetch=(yes|no) "
                             rb"cls=(\d+) size=(\d+)", line)
            if m is None:
                self.assertEqual(line, b"END\r")
                continue
            keys.add(m.group(1).replace(b"%3A", b":"))
            if m.group(1) == b"short":
                self.assertGreater(int(m.group(2)), time.time())
        self.assertEqual(keys, set(KEYS) | {b"short"})
        self.assertEqual(self.c.request(b"lru_crawler metadump 0\r\n"),
                         b"BADCLASS invalid class id\r\n")

    def test_crawl_reclaims_expired_items(self):
        self.store([b"c:%d" % i for i in range(20)], exptime=1)
        self.store([b"keep"])
        time.sleep(2.1)
        self.assertEqual(self.c.request(b"lru_crawler crawl all\r\n"), b"OK\r\n")
        self.assertTrue(harness.wait_for(lambda: self.stats()["lru_crawler_running"] == "0"))
        # Items that the flushes of earlier tests left behind are dead too: taken back as well.
        self.assertGreaterEqual(int(self.stats()["crawler_reclaimed"]), 20)
        self.assertEqual(self.stats(b"slabs")["1:used_chunks"], "1")
        self.assertEqual(self.c.request(b"lru_crawler sleep 2000000\r\n"),
                         b"CLIENT_ERROR sleep must be one second or less\r\n")

    def test_slabs_commands(self):
        self.assertEqual(self.c.request(b"slabs reassign 1 2\r\n"),
                         b"NOSPARE source class has no spare pages\r\n")
        self.assertEqual(self.c.request(b"slabs automove 2\r\n"), b"OK\r\n")
        self.assertEqual(self.c.request(b"slabs automove x\r\n"),
                         b"CLIENT_ERROR bad command line format\r\n")

    def test_flush_all_before_the_start_flushes_nothing(self):
        self.store([b"stay"])
        self.assertEqual(self.c.request(b"flush_all 100000000\r\n"), b"OK\r\n")
        self.assertEqual(self.c.request(b"get stay\r\n", b"END\r\n"),
                         b"VALUE stay 0 5\r\nhello\r\nEND\r\n")


class SizeClassStats(StatsTestCase):
    """On a server of its own: items a flush left behind count until they are found."""

    def test_items_and_slabs_by_memcached_size_classes(self):
        self.store(KEYS[:10])
        self.store([b"big"], b"B" * 66560)
        items = self.stats(b"items")
        self.assertEqual(items["items:1:number"], "10")
        self.assertEqual(items["items:31:number"], "1")
        for name in ("age", "mem_requested", "evicted", "evicted_nonzero", "evicted_time",
                     "outofmemory", "reclaimed", "expired_unfetched", "evicted_unfetched",
                     "crawler_reclaimed", "crawler_items_checked"):
            self.assertIn("items:1:" + name, items)
        slabs = self.stats(b"slabs")
        self.assertEqual(slabs["1:chunk_size"], "96")
        self.assertEqual(slabs["1:used_chunks"], "10")
        self.assertEqual(slabs["31:chunk_size"], "82792")
        self.assertEqual(slabs["active_slabs"], "2")
        self.assertGreater(int(slabs["total_malloced"]), 0)
        self.assertEqual(self.stats(b"sizes"), {"sizes_status": "disabled"})


class CacheMemlimit(harness.ServerTestCase):
    SERVER_ARGS = ("-m", "8")

    def test_grow_then_shrink(self):
        c = self.conn()
        value = b"v" * 60000
        for i in range(300):
            c.request(b"set k%d 0 0 %d\r\n%s\r\n" % (i, len(value), value))
        stats = stats_of(c.request(b"stats\r\n", b"END\r\n"))
        evicted = int(stats["evictions"])
        self.assertGreater(evicted, 0)
        self.assertEqual(c.request(b"cache_memlimit 32\r\n"), b"OK\r\n")
        self.assertEqual(stats_of(c.request(b"stats settings\r\n", b"END\r\n"))["maxbytes"],
                         str(32 << 20))
        for i in range(300, 600):
            c.request(b"set k%d 0 0 %d\r\n%s\r\n" % (i, len(value), value))
        stats = stats_of(c.request(b"stats\r\n", b"END\r\n"))
        self.assertEqual(stats["limit_maxbytes"], str(32 << 20))
        self.assertEqual(int(stats["evictions"]), evicted)
        grown = int(stats_of(c.request(b"stats slabs\r\n", b"END\r\n"))["total_malloced"])
        self.assertGreater(grown, 8 << 20)
        self.assertEqual(c.request(b"cache_memlimit 8\r\n"), b"OK\r\n")
        self.assertTrue(harness.wait_for(lambda: int(stats_of(
            c.request(b"stats slabs\r\n", b"END\r\n"))["total_malloced"]) <= 8 << 20))
        stats = stats_of(c.request(b"stats\r\n", b"END\r\n"))
        self.assertGreater(int(stats["evictions"]), evicted)
        self.assertLessEqual(int(stats["bytes"]), 8 << 20)
        self.assertEqual(c.request(b"cache_memlimit 4\r\n"),
                         b"MEMLIMIT_TOO_SMALL cannot set maxbytes to less than 8m\r\n")


@unittest.skipUnless(os.path.exists(MEMCACHED_TOOL) and shutil.which("memcstat") and
                     shutil.which("memcdump"), "memcached-tool and libmemcached-tools needed")
class OperatorTools(harness.ServerTestCase):
    """The tools an operator points at memcached, pointed at cuckood holding 50 keys."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        c = cls.server.connect()
        for i, key in enumerate(KEYS):
            value = b"value-%d" % i
            c.request(b"set %s %d 0 %d\r\n%s\r\n" % (key, i, len(value), value))
        c.close()

    def run_tool(self, *argv):
        done = subprocess.run(argv, capture_output=True, timeout=60)
        self.assertEqual(done.returncode, 0, done.stderr)
        return done.stdout

    def address(self):
        return "127.0.0.1:%d" % self.server.port

    def test_memcached_tool_display(self):
        out = self.run_tool("perl", MEMCACHED_TOOL, self.address(), "display")
        lines = out.decode().splitlines()
        self.assertIn("Item_Size", lines[0])
        row = lines[1].split()
        self.assertEqual(row[0], "1")      # class 1
        self.assertEqual(row[1], "96B")    # its chunk size
        self.assertEqual(row[4], "50")     # items

    def test_memcached_tool_dump(self):
        out = self.run_tool("perl", MEMCACHED_TOOL, self.address(), "dump")
        adds = re.findall(rb"add (\S+) (\d+) 0 (\d+)\r\n", out)
        self.assertEqual({a[0] for a in adds}, set(KEYS))
        self.assertIn(b"add stats:key:7 7 0 7\r\nvalue-7\r\n", out)

    def test_memcached_tool_stats(self):
        out = self.run_tool("perl", MEMCACHED_TOOL, self.address(), "stats")
        fields = dict(line.split() for line in out.decode().splitlines()[1:])
        self.assertEqual(fields["curr_items"], "50")
        self.assertIn("get_flushed", fields)

    def test_memcstat(self):
        out = self.run_tool("memcstat", "--servers=" + self.address())
        self.assertIn(b"curr_items: 50", out)

    def test_memcdump(self):
        out = self.run_tool("memcdump", "--servers=" + self.address())
        self.assertEqual(set(out.split()), set(KEYS))


if __name__ == "__main__":
    unittest.main()
