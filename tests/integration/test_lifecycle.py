"""Life cycle and network behaviour of the cuckood server, black-box: start-up, flags, stop on
SIGTERM and `shutdown`, port in use, the -c limit, many connections, requests split at every
byte, pipelining, half-closed and reset peers, and backpressure against a slow reader.

ctest runs this file once per I/O engine (CUCKOOD_IO=uring|epoll, see harness.py). No timing
assertion is tighter than a generous timeout.
"""

import ctypes
import os
import re
import resource
import socket
import struct
import subprocess
import threading
import time
import unittest

from binary_requests import LOG_BATCH
from harness import CUCKOOD_BIN, CUCKOOD_IO, MEMCACHED_BIN, SANITIZED, Server, rss_kib, wait_for

ENGINE_NAME = {"uring": "io_uring", "epoll": "epoll"}[CUCKOOD_IO]


def raise_fd_limit(wanted):
    """The 1000-connection test needs more descriptors than a default soft limit gives."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(wanted, hard), hard))


def stat_value(conn, name):
    conn.send(b"stats\r\n")
    text = conn.read_until(b"END\r\n").decode()
    match = re.search(r"^STAT %s (\S+)\r$" % name, text, re.M)
    return match.group(1) if match else None


def read_exactly(conn, n):
    """n bytes from a harness Conn, into one buffer (52 MB of responses in one go)."""
    out = bytearray(n)
    view = memoryview(out)
    pending = conn.buf[:n]
    view[:len(pending)] = pending
    conn.buf = conn.buf[len(pending):]
    filled = len(pending)
    while filled < n:
        got = conn.sock.recv_into(view[filled:], n - filled)
        if got == 0:
            raise EOFError("connection closed after %d of %d bytes" % (filled, n))
        filled += got
    return out


def run_binary(args, timeout=10):
    return subprocess.run([CUCKOOD_BIN] + list(args), capture_output=True, timeout=timeout)


class CommandLineTest(unittest.TestCase):
    def test_unknown_flag_exits_2_with_usage(self):
        result = run_binary(["--no-such-flag"])
        self.assertEqual(result.returncode, 2)
        self.assertIn(b"usage:", result.stderr)
        self.assertEqual(run_binary(["-x"]).returncode, 2)

    def test_bad_values_exit_2(self):
        for args in (["-p", "notaport"], ["-t", "0"], ["-I", "1q"], ["--io=kqueue"], ["-p"]):
            result = run_binary(args)
            self.assertEqual(result.returncode, 2, args)
            self.assertTrue(result.stderr.startswith(b"cuckood: "), result.stderr)

    def test_help_and_version(self):
        result = run_binary(["-h"])
        self.assertEqual(result.returncode, 0)
        self.assertIn(b"--io=uring|epoll", result.stdout)
        result = run_binary(["-V"])
        self.assertEqual(result.returncode, 0)
        self.assertRegex(result.stdout, rb"^cuckood 1\.6\.18-cuckood-")


class StartStopTest(unittest.TestCase):
    def test_startup_logs_one_line(self):
        with Server(["-t", "3"]) as server:
            c = server.connect()
            self.assertEqual(c.request(b"version\r\n"), b"VERSION 1.6.18-cuckood-0.1\r\n")
            c.close()
        # As root without -u, a warning comes first (memcached would refuse to start).
        lines = [line for line in server.output().splitlines()
                 if not line.startswith("warning: running as root without -u")]
        self.assertEqual(len(lines), 1, lines)
        self.assertRegex(
            lines[0],
            r"^cuckood 1\.6\.18-cuckood-0\.1 listening on 127\.0\.0\.1:%d \(%s, 3 threads\)$"
            % (server.port, ENGINE_NAME))

    def test_starts_quickly(self):
        started = time.monotonic()
        with Server():
            elapsed = time.monotonic() - started
        self.assertLess(elapsed, 5.0)  # generous; it takes a few milliseconds

    def test_sigterm_with_clients_connected_exits_0(self):
        server = Server().start()
        try:
            idle = [server.connect() for _ in range(5)]
            busy = server.connect()
            busy.send(b"set k 0 0 5\r\nhel")  # a request cut in the middle
            done = server.connect()
            self.assertEqual(done.request(b"set a 0 0 1\r\nx\r\n"), b"STORED\r\n")
            started = time.monotonic()
            code = server.stop(timeout=10)
            elapsed = time.monotonic() - started
            self.assertEqual(code, 0, server.output())
            self.assertLess(elapsed, 5.0)
            for c in idle + [busy, done]:
                self.assertTrue(c.is_closed(timeout=5))
                c.close()
        finally:
            server.stop()

    def test_sigint_exits_0(self):
        server = Server().start()
        server.proc.send_signal(2)
        self.assertEqual(server.proc.wait(10), 0)

    def test_shutdown_command_with_A(self):
        server = Server(["-A"]).start()
        c = server.connect()
        c.send(b"shutdown\r\n")
        self.assertEqual(server.proc.wait(10), 0, server.output())
        c.close()

    def test_port_in_use_exits_1_naming_the_address(self):
        holder = socket.socket()
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        try:
            result = run_binary(["-p", str(port), "-l", "127.0.0.1", "--io=" + CUCKOOD_IO])
            self.assertEqual(result.returncode, 1)
            err = result.stderr
            lines = err.decode().splitlines()
            self.assertEqual(len(lines), 1, lines)
            self.assertIn("127.0.0.1:%d" % port, lines[0])
            self.assertIn("-p", lines[0])
        finally:
            holder.close()

    def test_second_server_on_same_port_exits_1(self):
        with Server() as first:
            second = subprocess.run([CUCKOOD_BIN, "-p", str(first.port), "--io=" + CUCKOOD_IO],
                                    capture_output=True, timeout=10)
            self.assertEqual(second.returncode, 1)
            self.assertIn(b"in use", second.stderr)
            c = first.connect()
            self.assertEqual(c.request(b"version\r\n")[:7], b"VERSION")
            c.close()

    def test_epoll_engine_works(self):
        with Server(io="epoll") as server:
            c = server.connect()
            self.assertEqual(c.request(b"set e 0 0 2\r\nok\r\n"), b"STORED\r\n")
            self.assertEqual(c.request(b"get e\r\n", b"END\r\n"), b"VALUE e 0 2\r\nok\r\nEND\r\n")
            c.close()
        self.assertIn("(epoll,", server.output())

    def test_verbose_logs_connections(self):
        with Server(["-vv"]) as server:
            c = server.connect()
            c.request(b"version\r\n")
            c.close()
            self.assertTrue(wait_for(lambda: "connection closed" in server.output(), 5))
        out = server.output()
        self.assertIn("new auto-negotiating client connection", out)
        self.assertIn("version", out)

    def test_very_verbose_logs_each_request_before_its_reply(self):
        # As memcached -vv: "<fd command line", then that command's ">fd reply" lines, request
        # by request through a pipelined read; values' data is not logged.
        lines = very_verbose_log(Server(["-vv"]), [
            b"set vv 0 0 9\r\nsecret!!!\r\nget vv\r\ndelete nokey noreply\r\nmn\r\n"])
        self.assertFalse(any("secret" in line for line in lines), lines)
        self.assertEqual(lines, ["<N set vv 0 0 9", ">N STORED", "<N get vv", ">N VALUE vv 0 9",
                                 ">N END", "<N delete nokey noreply", ">N NOREPLY NOT_FOUND",
                                 "<N mn", ">N MN"])

    def test_very_verbose_log_matches_memcached(self):
        # Classic commands whose reply lines memcached logs word for word (a get hit it logs
        # as "sending key <key>", meta replies not at all; binary packets as hex dumps).
        requests = [b"set a 0 0 5\r\nhello\r\nadd a 0 0 1\r\nx\r\nget nokey\r\n"
                    b"delete a noreply\r\nbogus\r\nset b 0 0 zz\r\nincr x 1\r\n"
                    b"append z 0 0 1\r\ny\r\ntouch z 10\r\nmn\r\n",
                    b"set big 0 0 2000000\r\n" + b"v" * 2000002 + b"mn\r\n"]
        ours = very_verbose_log(Server(["-vv"]), requests)
        theirs = very_verbose_log(Server(["-vv", "-U", "0"], binary=MEMCACHED_BIN), requests)
        self.assertEqual(ours, theirs)

    def test_very_verbose_binary_log_matches_memcached(self):
        # memcached's binary -vv: each request header in hex, the command's own line, each
        # response header in hex (an error's text first); lines without the fd prefix too.
        ours = very_verbose_log(Server(["-vv"]), [LOG_BATCH], NOOP_RESPONSE, raw_lines=True)
        self.assertIn("<N SET k Value len is 5", ours)
        # memcached prints a dump line in pieces (one write per byte), and now and then another
        # of its threads' writes lands between them: up to three tries for a clean log of its.
        for _ in range(3):
            theirs = very_verbose_log(Server(["-vv", "-U", "0"], binary=MEMCACHED_BIN), [LOG_BATCH],
                                      NOOP_RESPONSE, raw_lines=True)
            if theirs == ours:
                break
        self.assertEqual(ours, theirs)


NOOP_RESPONSE = b"\x81\x0a" + bytes(22)


def very_verbose_log(server, requests, last_reply=b"MN\r\n", raw_lines=False):
    """Sends each of `requests` on its own connection to `server` (started and stopped here),
    in one write, reads the replies up to `last_reply`, and returns the server's "<fd"/">fd"
    request and reply lines, the fd written as N (connection events left out: the harness's
    probe of the port is one). `raw_lines`: the lines without a prefix too (all but the
    startup lines), an fd at their start also written as N."""
    with server:
        for data in requests:
            c = server.connect()
            c.request(data, last_reply)
            c.close()
        closed = lambda: server.output().count("connection closed") >= len(requests)
        assert wait_for(closed, 5), server.output()
    events = ("server listening", "new auto-negotiating client connection", "connection closed.")
    if raw_lines:
        started = ("cuckood ", "warning:", "slab class", "Exiting")
        return [re.sub(r"^([<>]?)\d+", r"\1N", line) for line in server.output().splitlines()
                if not any(e in line for e in events) and not line.startswith(started)]
    return [re.sub(r"^([<>])\d+", r"\1N", line) for line in server.output().splitlines()
            if re.match(r"[<>]\d+ ", line) and not any(e in line for e in events)]


def deny_io_uring_setup():
    """preexec_fn: a seccomp filter making io_uring_setup(2) fail with ENOSYS, as a kernel
    without io_uring or a container's seccomp profile does (x86-64 and aarch64)."""
    libc = ctypes.CDLL(None, use_errno=True)
    io_uring_setup = 425  # the same number on x86-64 and aarch64

    class SockFilter(ctypes.Structure):
        _fields_ = [("code", ctypes.c_ushort), ("jt", ctypes.c_ubyte), ("jf", ctypes.c_ubyte),
                    ("k", ctypes.c_uint)]

    class SockFprog(ctypes.Structure):
        _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.POINTER(SockFilter))]

    ld_nr, jeq, ret = 0x20, 0x15, 0x06  # BPF_LD|W|ABS, BPF_JMP|JEQ|K, BPF_RET|K
    errno_enosys, allow = 0x00050000 | 38, 0x7FFF0000
    program = (SockFilter * 4)(SockFilter(ld_nr, 0, 0, 0), SockFilter(jeq, 0, 1, io_uring_setup),
                               SockFilter(ret, 0, 0, errno_enosys), SockFilter(ret, 0, 0, allow))
    prog = SockFprog(4, program)
    pr_set_no_new_privs, pr_set_seccomp, seccomp_mode_filter = 38, 22, 2
    if libc.prctl(pr_set_no_new_privs, 1, 0, 0, 0) != 0 or \
            libc.prctl(pr_set_seccomp, seccomp_mode_filter, ctypes.byref(prog), 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "seccomp")


class FallbackTest(unittest.TestCase):
    def test_falls_back_to_epoll_when_io_uring_is_denied(self):
        server = Server(io="uring").start(preexec_fn=deny_io_uring_setup)
        try:
            c = server.connect()
            self.assertEqual(c.request(b"set f 0 0 1\r\nx\r\n"), b"STORED\r\n")
            c.close()
        finally:
            self.assertEqual(server.stop(), 0, server.output())
        lines = [line for line in server.output().splitlines()
                 if not line.startswith("warning: running as root without -u")]
        self.assertEqual(len(lines), 2, lines)
        self.assertRegex(lines[0], r"^io_uring unavailable \(.*\); using epoll$")
        self.assertIn("(epoll, 4 threads)", lines[1])


class ConnectionLimitTest(unittest.TestCase):
    def test_limit_refuses_beyond_c_like_memcached(self):
        with Server(["-c", "10"]) as server:
            # The harness's readiness probe may not be closed yet on the server side: open
            # until refused, then check that exactly the 10 served ones are open.
            served = []
            refused = None
            for _ in range(50):
                c = server.connect()
                c.send(b"version\r\n")
                line = c.read_line()
                if line.startswith(b"VERSION"):
                    served.append(c)
                    continue
                refused = (c, line)
                break
            self.assertIsNotNone(refused, "never refused")
            self.assertEqual(refused[1], b"ERROR Too many open connections\r\n")
            self.assertTrue(refused[0].is_closed())
            refused[0].close()
            self.assertEqual(len(served), 10)
            # A freed place is available again.
            served.pop().close()

            def admitted():
                c = server.connect()
                try:
                    c.send(b"stats\r\n")
                    first = c.read_line()
                    if not first.startswith(b"STAT"):
                        return False
                    text = first + c.read_until(b"END\r\n")
                    self.assertIn(b"STAT curr_connections 10\r\n", text)
                    self.assertRegex(text, rb"STAT rejected_connections [1-9]")
                    return True
                except (EOFError, ConnectionError):
                    return False
                finally:
                    c.close()

            self.assertTrue(wait_for(admitted, 10, 0.05))
            for c in served:
                c.close()


def cpu_seconds(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


VPTR_PROBE_WITHOUT_DESCRIPTORS = re.compile(
    r"[^\n]*: runtime error: member (?:access within|call on) address 0x[0-9a-f]+ which does not"
    r" point to"
    r" an object of type '[\w:]+'\n0x[0-9a-f]+: note: object has invalid vptr\n"
    r"<memory cannot be printed>\n(?:    #[^\n]*\n|\n)*")


class OutOfDescriptorsTest(unittest.TestCase):
    def test_accept_backs_off_when_out_of_descriptors(self):
        # UBSan's vptr check probes memory through a pipe it opens: with every descriptor in
        # use the probe fails, and it reports a valid object as one with an invalid vptr (and
        # its memory as unreadable). This server keeps running past such a report, and only
        # that report is ignored.
        ubsan = {"UBSAN_OPTIONS": os.environ.get("UBSAN_OPTIONS", "") + ":halt_on_error=0"}
        limit = lambda: resource.setrlimit(resource.RLIMIT_NOFILE, (32, 32))
        server = Server(["-t", "1"], env=ubsan if SANITIZED else None,
                        tolerated_report=VPTR_PROBE_WITHOUT_DESCRIPTORS)
        server.start(preexec_fn=limit)
        try:
            clients = [socket.create_connection(("127.0.0.1", server.port), timeout=10)
                       for _ in range(40)]  # more than the server has descriptors for
            for c in clients:
                c.sendall(b"version\r\n")
            time.sleep(0.5)
            before = cpu_seconds(server.proc.pid)
            time.sleep(1.0)
            # Not spinning on a failing accept (a spinning loop burns ~1 s here).
            self.assertLess(cpu_seconds(server.proc.pid) - before, 0.5)
            served = []
            for c in clients:
                c.settimeout(0.2)
                try:
                    if c.recv(100).startswith(b"VERSION"):
                        served.append(c)
                except socket.timeout:
                    pass
            self.assertGreater(len(served), 0)
            self.assertLess(len(served), 40)
            for c in served:
                clients.remove(c)
                c.close()
            for c in clients:  # the waiting ones are accepted as descriptors free up
                c.settimeout(10)
                self.assertTrue(c.recv(100).startswith(b"VERSION"))
                c.close()
        finally:
            self.assertEqual(server.stop(), 0, server.output())


class TrafficTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        raise_fd_limit(4096)
        cls.server = Server(["-c", "2000", "-t", "2"]).start()

    @classmethod
    def tearDownClass(cls):
        code = cls.server.stop()
        assert code == 0, "server exit code %s: %s" % (code, cls.server.output())

    def conn(self):
        c = self.server.connect()
        self.addCleanup(c.close)
        return c

    def test_thousand_concurrent_connections(self):
        conns = []
        try:
            for i in range(1000):
                conns.append(self.server.connect(timeout=30))
            for i, c in enumerate(conns):
                value = b"v%d" % i
                c.send(b"set conn%d 0 0 %d\r\n%s\r\nget conn%d\r\n" % (i, len(value), value, i))
            for i, c in enumerate(conns):
                value = b"v%d" % i
                expected = b"STORED\r\nVALUE conn%d 0 %d\r\n%s\r\nEND\r\n" % (i, len(value), value)
                self.assertEqual(c.read_exact(len(expected)), expected)
            probe = self.conn()
            self.assertGreaterEqual(int(stat_value(probe, "curr_connections")), 1001)
        finally:
            for c in conns:
                c.close()
        probe = self.conn()
        self.assertTrue(wait_for(lambda: int(stat_value(probe, "curr_connections")) < 10, 10))

    def test_request_split_at_every_byte(self):
        c = self.conn()
        c.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        request = b"set split 5 0 10\r\n0123456789\r\nget split\r\n"
        for i in range(len(request)):
            c.send(request[i:i + 1])
            time.sleep(0.002)  # separate segments, so the server sees each byte on its own
        self.assertEqual(c.read_until(b"END\r\n"),
                         b"STORED\r\nVALUE split 5 10\r\n0123456789\r\nEND\r\n")

    def test_binary_request_split_at_every_byte(self):
        c = self.conn()
        c.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        # Version: magic 0x80, opcode 0x0b, no key, extras or body; opaque 0x01020304.
        request = struct.pack(">BBHBBHIIQ", 0x80, 0x0B, 0, 0, 0, 0, 0, 0x01020304, 0)
        for i in range(len(request)):
            c.send(request[i:i + 1])
            time.sleep(0.002)
        header = c.read_exact(24)
        magic, opcode, _, _, _, status, body_len, opaque, _ = struct.unpack(">BBHBBHIIQ", header)
        self.assertEqual((magic, opcode, status, opaque), (0x81, 0x0B, 0, 0x01020304))
        self.assertTrue(c.read_exact(body_len).startswith(b"1.6.18"))

    def test_pipelined_requests_answered_in_order(self):
        c = self.conn()
        request = b""
        expected = b""
        for i in range(2000):
            value = b"%d" % (i * 7)
            request += b"set pipe%d 0 0 %d\r\n%s\r\nget pipe%d\r\n" % (i, len(value), value, i)
            expected += b"STORED\r\nVALUE pipe%d 0 %d\r\n%s\r\nEND\r\n" % (i, len(value), value)
        c.send(request)
        self.assertEqual(c.read_exact(len(expected)), expected)

    def test_large_value_in_small_pieces(self):
        c = self.conn()
        value = bytes(range(256)) * 4000  # 1,024,000 bytes, within -I 1m
        data = b"set big 0 0 %d\r\n%s\r\n" % (len(value), value)
        for i in range(0, len(data), 3000):
            c.send(data[i:i + 3000])
        self.assertEqual(c.read_line(), b"STORED\r\n")
        c.send(b"get big\r\n")
        self.assertEqual(c.read_line(), b"VALUE big 0 %d\r\n" % len(value))
        self.assertEqual(c.read_exact(len(value) + 7), value + b"\r\nEND\r\n")

    def test_half_closed_peer_still_gets_its_responses(self):
        c = self.conn()
        c.send(b"set half 0 0 2\r\nhi\r\nget half\r\n")
        c.sock.shutdown(socket.SHUT_WR)
        self.assertEqual(c.read_until(b"END\r\n"), b"STORED\r\nVALUE half 0 2\r\nhi\r\nEND\r\n")
        self.assertTrue(c.is_closed())

    def test_reset_peers_leak_no_connection(self):
        probe = self.conn()
        before = int(stat_value(probe, "curr_connections"))
        for i in range(50):
            s = socket.create_connection(("127.0.0.1", self.server.port))
            s.sendall(b"get a\r\nget b\r\n" * (i * 10))
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            s.close()  # RST
        self.assertTrue(wait_for(lambda: int(stat_value(probe, "curr_connections")) <= before, 10))
        self.assertEqual(probe.request(b"version\r\n")[:7], b"VERSION")


class SlowReaderTest(unittest.TestCase):
    """A client pipelines 100k gets and reads nothing for a while: the server stops reading it
    once its unsent output passes the cap, so memory stays bounded; other clients are served
    meanwhile; afterwards every response arrives, in order."""

    GETS = 100_000
    VALUE_SIZE = 500  # ~52 MB of responses in all, far above the 4 MB cap
    KEYS = 100

    def test_slow_reader_is_bounded_and_isolated(self):
        with Server(["-t", "2"]) as server:
            setup = server.connect()
            values = []
            for k in range(self.KEYS):
                value = (b"%05d" % k) * (self.VALUE_SIZE // 5)
                values.append(value)
                setup.send(b"set slow%d 0 0 %d\r\n%s\r\n" % (k, len(value), value))
            for _ in range(self.KEYS):
                self.assertEqual(setup.read_line(), b"STORED\r\n")
            baseline = rss_kib(server.proc.pid)

            slow = server.connect(timeout=60)
            request = b"".join(b"get slow%d\r\n" % (i % self.KEYS) for i in range(self.GETS))
            sender = threading.Thread(target=slow.sock.sendall, args=(request,), daemon=True)
            sender.start()

            peak = baseline
            deadline = time.monotonic() + 2.0  # read nothing for two seconds
            while time.monotonic() < deadline:
                peak = max(peak, rss_kib(server.proc.pid))
                time.sleep(0.05)
            # Bounded: the 4 MB output cap plus buffers, nowhere near the 52 MB produced.
            if not SANITIZED:
                self.assertLess(peak - baseline, 32 * 1024, "RSS grew from %d to %d KiB" %
                                (baseline, peak))

            other = server.connect()
            self.assertEqual(other.request(b"set other 0 0 1\r\nx\r\n"), b"STORED\r\n")
            self.assertEqual(other.request(b"get other\r\n", b"END\r\n"),
                             b"VALUE other 0 1\r\nx\r\nEND\r\n")
            other.close()

            expected = b"".join(
                b"VALUE slow%d 0 %d\r\n%s\r\nEND\r\n" % (i % self.KEYS, self.VALUE_SIZE,
                                                        values[i % self.KEYS])
                for i in range(self.GETS))
            got = read_exactly(slow, len(expected))
            if got != expected:
                first = next(i for i in range(len(expected)) if got[i] != expected[i])
                self.fail("responses differ from byte %d: %r" % (first, bytes(got[first:first + 60])))
            sender.join(30)
            self.assertFalse(sender.is_alive())
            slow.close()
            setup.close()


if __name__ == "__main__":
    unittest.main()
