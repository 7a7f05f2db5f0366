"""memcached's command line, black-box (issue 11): -d/-P/-u (CI runs as root), -l lists and
IPv6, the unix socket with -a over every protocol, -o idle_timeout, -R fairness, -B, SIGHUP and
SIGUSR1, every flag accepted without effect, and Debian's service line.

ctest runs this file once per I/O engine (CUCKOOD_IO=uring|epoll, see harness.py). Waits poll
with generous timeouts; no test sleeps to a second boundary.
"""

import os
import pwd
import re
import signal
import socket
import stat
import struct
import subprocess
import tempfile
import threading
import time
import unittest

import harness
from harness import CUCKOOD_BIN, CUCKOOD_IO, MEMCACHED_BIN, Conn, Server, free_port, wait_for

IS_ROOT = os.geteuid() == 0


def has_ipv6_loopback():
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as s:
            s.bind(("::1", 0))
        return True
    except OSError:
        return False


HAS_IPV6 = has_ipv6_loopback()


def connect(address, timeout=5.0):
    """A Conn to ("host", port) over TCP, or to a unix socket path."""
    if isinstance(address, str):
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(timeout)
        sock.connect(address)
        return Conn(sock)
    return Conn(socket.create_connection(address, timeout=timeout))


def can_connect(address):
    try:
        connect(address, timeout=0.5).close()
        return True
    except OSError:
        return False


def stats(conn, group=""):
    conn.send(("stats %s\r\n" % group).strip().encode() + b"\r\n")
    text = conn.read_until(b"END\r\n").decode()
    return dict(re.findall(r"^STAT (\S+) (.*)\r$", text, re.M))


def data_segments_in(sock):
    """Segments with data the socket has received (tcp_info's tcpi_data_segs_in, Linux 4.6)."""
    info = sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 256)
    return struct.unpack_from("I", info, 152)[0]


def read_until_closed(conn):
    """Everything `conn` receives until the server closes it (a reset, when the server closed
    with requests unread, comes after the data it sent)."""
    out = conn.buf
    conn.buf = b""
    while True:
        try:
            chunk = conn.sock.recv(1 << 20)
        except ConnectionResetError:
            return out
        if not chunk:
            return out
        out += chunk


def process_gone(pid):
    """True once `pid` has exited (a zombie left to an init that does not reap counts)."""
    try:
        with open("/proc/%d/status" % pid) as f:
            return "\nState:\tZ" in f.read()
    except FileNotFoundError:
        return True


class Process:
    """cuckood with exactly `args` (plus --io), ready once `ready_at` accepts a connection."""

    def __init__(self, args, ready_at):
        self.args = [CUCKOOD_BIN] + list(args) + ["--io=" + CUCKOOD_IO]
        self.ready_at = ready_at
        self.log = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(self.args, stdout=self.log, stderr=subprocess.STDOUT)
        if not wait_for(lambda: self.proc.poll() is not None or can_connect(ready_at)):
            self.stop()
            raise RuntimeError("no server at %s: %s" % (ready_at, self.output()))
        if self.proc.poll() is not None:
            raise RuntimeError("server exited (%s): %s" % (self.proc.returncode, self.output()))

    def output(self):
        fd = self.log.fileno()
        return os.pread(fd, os.fstat(fd).st_size, 0).decode(errors="replace")

    def stop(self, sig=signal.SIGTERM):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            return self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


def binary_packet(opcode, key=b"", extras=b"", value=b""):
    body = extras + key + value
    return struct.pack(">BBHBBHIIQ", 0x80, opcode, len(key), len(extras), 0, 0, len(body), 0,
                       0) + body


def read_binary(conn):
    header = conn.read_exact(24)
    body_length = struct.unpack(">I", header[8:12])[0]
    return header, conn.read_exact(body_length)


@unittest.skipUnless(IS_ROOT, "-u needs root (CI runs as root)")
class DaemonTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp()
        os.chmod(self.dir, 0o777)  # the pid file is removed by the -u user
        self.addCleanup(lambda: subprocess.run(["rm", "-rf", self.dir]))
        self.pid_file = os.path.join(self.dir, "cuckood.pid")
        self.nobody = pwd.getpwnam("nobody")

    def start_daemon(self, args):
        result = subprocess.run([CUCKOOD_BIN] + args + ["--io=" + CUCKOOD_IO],
                                capture_output=True, timeout=30)
        self.assertEqual(result.returncode, 0, result.stderr)
        with open(self.pid_file) as f:
            text = f.read()
        self.assertRegex(text, r"^\d+\n$")
        pid = int(text)
        self.addCleanup(self.kill_quietly, pid)
        return pid, result

    def kill_quietly(self, pid):
        if not process_gone(pid):
            os.kill(pid, signal.SIGKILL)

    def test_debian_style_line(self):
        port = free_port()
        listen = "127.0.0.1,::1" if HAS_IPV6 else "127.0.0.1"
        pid, result = self.start_daemon(["-d", "-u", "nobody", "-m", "64", "-p", str(port), "-U",
                                         "0", "-l", listen, "-c", "1024", "-P", self.pid_file])
        self.assertIn(b"listening on 127.0.0.1:%d" % port, result.stderr)
        with open("/proc/%d/status" % pid) as f:
            status = f.read()
        self.assertRegex(status, r"\nUid:\t%d\t%d\t%d\t%d\n" % ((self.nobody.pw_uid,) * 4))
        self.assertRegex(status, r"\nGid:\t%d\t%d\t%d\t%d\n" % ((self.nobody.pw_gid,) * 4))
        self.assertEqual(os.getsid(pid), pid, "a new session")
        self.assertEqual(os.readlink("/proc/%d/cwd" % pid), "/")
        addresses = [("127.0.0.1", port)] + ([("::1", port)] if HAS_IPV6 else [])
        for address in addresses:
            c = connect(address)
            self.assertEqual(stats(c)["pid"], str(pid))
            self.assertEqual(c.request(b"set d 0 0 1\r\nx\r\n"), b"STORED\r\n")
            c.close()
        os.kill(pid, signal.SIGTERM)
        self.assertTrue(wait_for(lambda: process_gone(pid)), "daemon did not stop")
        self.assertTrue(wait_for(lambda: not os.path.exists(self.pid_file), 5),
                        "pid file left behind")

    def test_start_errors_reach_the_shell(self):
        holder = socket.socket()
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        try:
            result = subprocess.run([CUCKOOD_BIN, "-d", "-u", "nobody", "-p", str(port), "-l",
                                     "127.0.0.1", "-P", self.pid_file], capture_output=True,
                                    timeout=30)
            self.assertEqual(result.returncode, 1)
            self.assertIn(b"127.0.0.1:%d" % port, result.stderr)
            self.assertFalse(os.path.exists(self.pid_file))
        finally:
            holder.close()
        result = subprocess.run([CUCKOOD_BIN, "-d", "-u", "no-such-user-here", "-p",
                                 str(free_port())], capture_output=True, timeout=30)
        self.assertEqual(result.returncode, 67)  # memcached's EX_NOUSER
        self.assertIn(b"can't find the user no-such-user-here", result.stderr)

    def test_user_without_daemon_and_root_warning(self):
        port = free_port()
        with Process(["-u", "nobody", "-p", str(port), "-l", "127.0.0.1", "-P", self.pid_file],
                     ("127.0.0.1", port)) as server:
            # The listening socket accepts before the server has dropped its privileges.
            def status():
                with open("/proc/%d/status" % server.proc.pid) as f:
                    return f.read()
            uid = "\nUid:\t%d\t" % self.nobody.pw_uid
            self.assertTrue(wait_for(lambda: uid in status()), status())
            with open(self.pid_file) as f:
                self.assertEqual(int(f.read()), server.proc.pid)
        self.assertEqual(server.proc.returncode, 0, server.output())
        self.assertFalse(os.path.exists(self.pid_file))
        self.assertNotIn("running as root", server.output())
        with Process(["-p", str(port), "-l", "127.0.0.1"], ("127.0.0.1", port)) as server:
            pass
        self.assertIn("warning: running as root without -u", server.output())


class ListenTest(unittest.TestCase):
    def test_comma_and_semicolon_lists_and_repeats(self):
        port, other = free_port(), free_port()
        args = ["-p", str(port), "-l", "127.0.0.1;127.0.0.2", "-l", "127.0.0.3:%d" % other]
        with Process(args, ("127.0.0.1", port)) as server:
            for address in [("127.0.0.1", port), ("127.0.0.2", port), ("127.0.0.3", other)]:
                c = connect(address)
                self.assertEqual(c.request(b"mn\r\n"), b"MN\r\n")
                c.close()
            self.assertFalse(can_connect(("127.0.0.3", port)))
            c = connect(("127.0.0.1", port))
            self.assertEqual(stats(c, "settings")["inter"], "127.0.0.1;127.0.0.2,127.0.0.3:%d"
                             % other)
            c.close()
        self.assertEqual(server.proc.returncode, 0, server.output())
        self.assertIn("listening on 127.0.0.1:%d, 127.0.0.2:%d, 127.0.0.3:%d" % (port, port, other),
                      server.output())

    @unittest.skipUnless(HAS_IPV6, "no IPv6 loopback")
    def test_ipv6_forms(self):
        port, other = free_port(), free_port()
        args = ["-p", str(port), "-l", "127.0.0.1,::1", "-l", "[::1]:%d" % other]
        with Process(args, ("127.0.0.1", port)) as server:
            for address in [("127.0.0.1", port), ("::1", port), ("::1", other)]:
                c = connect(address)
                self.assertEqual(c.request(b"mn\r\n"), b"MN\r\n")
                c.close()

    def test_a_name_binds_every_address_it_resolves_to(self):
        port = free_port()
        addresses = sorted({ai[4][:2] for ai in socket.getaddrinfo(
            "localhost", port, type=socket.SOCK_STREAM)
            if ai[0] == socket.AF_INET or HAS_IPV6})
        with Process(["-p", str(port), "-l", "localhost"], addresses[0]):
            for address in addresses:
                self.assertTrue(can_connect(address), address)

    def test_any_free_port_reported_in_memcacheds_port_file(self):
        directory = tempfile.mkdtemp()
        self.addCleanup(lambda: subprocess.run(["rm", "-rf", directory]))
        port_file = os.path.join(directory, "ports")
        env = dict(os.environ, MEMCACHED_PORT_FILENAME=port_file)
        proc = subprocess.Popen([CUCKOOD_BIN, "-p", "-1", "-l", "127.0.0.1", "--io=" + CUCKOOD_IO],
                                env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            self.assertTrue(wait_for(lambda: os.path.exists(port_file)), "no port file")
            with open(port_file) as f:
                match = re.fullmatch(r"TCP INET: (\d+)\n", f.read())
            self.assertTrue(match)
            port = int(match.group(1))
            self.assertNotIn(port, (0, 11211))
            self.assertTrue(wait_for(lambda: can_connect(("127.0.0.1", port))))
        finally:
            proc.terminate()
            self.assertEqual(proc.wait(10), 0)

    def test_bad_list_is_refused(self):
        for bad in ["127.0.0.1:http", "[::1", "no-such-host.invalid"]:
            result = subprocess.run([CUCKOOD_BIN, "-p", str(free_port()), "-l", bad],
                                    capture_output=True, timeout=30)
            self.assertIn(result.returncode, (1, 2), bad)
            self.assertTrue(result.stderr.startswith(b"cuckood: "), result.stderr)


class UnixSocketTest(unittest.TestCase):
    def test_every_protocol_over_the_socket_with_its_mask(self):
        directory = tempfile.mkdtemp()
        self.addCleanup(lambda: subprocess.run(["rm", "-rf", directory]))
        path = os.path.join(directory, "cuckood.sock")
        port = free_port()
        with Process(["-s", path, "-a", "640", "-p", str(port)], path) as server:
            mode = os.lstat(path).st_mode
            self.assertTrue(stat.S_ISSOCK(mode))
            self.assertEqual(stat.S_IMODE(mode), 0o640)
            self.assertFalse(can_connect(("127.0.0.1", port)), "-s disables TCP")
            text = connect(path)
            self.assertEqual(text.request(b"set u 5 0 3\r\nabc\r\n"), b"STORED\r\n")
            self.assertEqual(text.request(b"get u\r\n", b"END\r\n"),
                             b"VALUE u 5 3\r\nabc\r\nEND\r\n")
            settings = stats(text, "settings")
            self.assertEqual(settings["domain_socket"], path)
            self.assertEqual(settings["umask"], "640")
            meta = connect(path)
            self.assertEqual(meta.request(b"ms m 2 T0\r\nhi\r\n"), b"HD\r\n")
            self.assertEqual(meta.request(b"mg m v f\r\n", b"hi\r\n"), b"VA 2 f0\r\nhi\r\n")
            binary = connect(path)
            binary.send(binary_packet(0x01, b"b", struct.pack(">II", 7, 0), b"bin"))
            header, _ = read_binary(binary)
            self.assertEqual(header[6:8], b"\x00\x00")  # stored
            binary.send(binary_packet(0x00, b"u"))
            header, body = read_binary(binary)
            self.assertEqual(header[6:8], b"\x00\x00")
            self.assertEqual(body, struct.pack(">I", 5) + b"abc")
            for c in (text, meta, binary):
                c.close()
        self.assertEqual(server.proc.returncode, 0, server.output())
        self.assertIn("listening on %s" % path, server.output())

    def test_stale_socket_file_is_replaced(self):
        directory = tempfile.mkdtemp()
        self.addCleanup(lambda: subprocess.run(["rm", "-rf", directory]))
        path = os.path.join(directory, "s")
        stale = socket.socket(socket.AF_UNIX)
        stale.bind(path)
        stale.close()
        with Process(["-s", path], path):
            self.assertTrue(can_connect(path))


class IdleTimeoutTest(unittest.TestCase):
    def test_idle_clients_are_closed_busy_ones_kept(self):
        # 2 s, pinged every 0.2 s: a loaded machine may delay a ping, not by 2 s.
        with Server(["-o", "idle_timeout=2", "-vv"]) as server:
            idle = server.connect()
            busy = server.connect()
            self.assertEqual(idle.request(b"mn\r\n"), b"MN\r\n")
            started = time.monotonic()
            while time.monotonic() - started < 3.5:
                self.assertEqual(busy.request(b"mn\r\n"), b"MN\r\n")
                time.sleep(0.2)
            self.assertTrue(idle.is_closed(timeout=5))
            self.assertEqual(busy.request(b"mn\r\n"), b"MN\r\n")
            values = stats(busy)
            self.assertGreaterEqual(int(values["idle_kicks"]), 1)
            self.assertEqual(stats(busy, "settings")["idle_timeout"], "2")
            busy.close()
            idle.close()
        self.assertRegex(server.output(), r"Closing idle fd \d+")

    def test_no_timeout_by_default(self):
        with Server() as server:
            c = server.connect()
            self.assertNotIn("idle_kicks", stats(c))
            self.assertEqual(stats(c, "settings")["idle_timeout"], "0")
            c.close()


class ReqsPerEventTest(unittest.TestCase):
    def test_deep_pipelines_yield_and_stay_in_order(self):
        with Server(["-R", "2", "-t", "1"]) as server:
            c = server.connect()
            before = int(stats(c)["conn_yields"])
            requests = b"".join(b"set k%d 0 0 1\r\n%d\r\n" % (i, i % 10) for i in range(200))
            requests += b"".join(b"get k%d\r\n" % i for i in range(200))
            c.send(requests + b"mn\r\n")
            answer = c.read_until(b"MN\r\n")
            expected = b"STORED\r\n" * 200 + b"".join(
                b"VALUE k%d 0 1\r\n%d\r\nEND\r\n" % (i, i % 10) for i in range(200)) + b"MN\r\n"
            self.assertEqual(answer, expected)
            self.assertGreater(int(stats(c)["conn_yields"]), before)
            self.assertEqual(stats(c, "settings")["reqs_per_event"], "2")
            c.close()

    def test_a_yielded_batch_is_answered_in_one_send(self):
        # The replies to one read's pipeline wait for the whole batch (net/connection.h,
        # send_due) rather than leaving reqs_per_event at a time: the client's socket counts
        # the server's data segments.
        with Server(["-R", "2", "-t", "1"]) as server:
            c = server.connect()
            self.assertEqual(c.request(b"mn\r\n"), b"MN\r\n")
            before = data_segments_in(c.sock)
            c.send(b"mn\r\n" * 200)
            self.assertEqual(c.read_until(b"MN\r\n" * 200), b"MN\r\n" * 200)
            self.assertLessEqual(data_segments_in(c.sock) - before, 2)
            self.assertGreater(int(stats(c)["conn_yields"]), 0)
            c.close()

    def test_sigterm_while_yielded_sends_every_answer_made(self):
        # A stopping server no longer resumes a yielded connection, and sends its held replies
        # at once: every reply the server logged (-vv) reaches the client.
        requests = 100000
        server = Server(["-R", "1", "-t", "1", "-vv"]).start()
        try:
            c = server.connect()
            c.send(b"mn\r\n" * requests)
            received = [c.read_exact(4)]  # decoding is under way
            reader = threading.Thread(target=lambda: received.append(read_until_closed(c)))
            reader.start()
            self.assertEqual(server.stop(), 0)
            reader.join(10)
            received = b"".join(received)
            logged = len(re.findall(r"^>\d+ MN$", server.output(), re.M))
            if logged == requests:
                self.skipTest("the stop came after the last request")
            self.assertEqual(received, b"MN\r\n" * (len(received) // 4))
            self.assertEqual(len(received) // 4, logged)
            c.close()
        finally:
            server.stop()

    def test_a_flooding_client_does_not_starve_another(self):
        with Server(["-R", "1", "-t", "1"]) as server:
            flood = server.connect()
            flood.send(b"mn\r\n" * 200000 + b"version\r\n")
            other = server.connect()
            self.assertEqual(other.request(b"mn\r\n"), b"MN\r\n")
            self.assertTrue(flood.read_until(b"VERSION").endswith(b"VERSION"))
            self.assertGreater(int(stats(other)["conn_yields"]), 0)
            flood.close()
            other.close()


class BindingProtocolTest(unittest.TestCase):
    """Bytes of the other protocol are read as memcached reads them: memcached is the oracle."""

    CASES = [
        (["-B", "ascii"], [binary_packet(0x0a), b"\r\nversion\r\n"]),
        (["-B", "ascii"], [binary_packet(0x00, b"abc") + b"\r\n", b"mn\r\n"]),
        (["-B", "binary"], [b"get aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n"]),
        (["-B", "binary"], [binary_packet(0x0a)]),
        (["-B", "auto"], [b"mn\r\n"]),
    ]

    @staticmethod
    def exchange(server, payloads):
        c = server.connect()
        # The answer is complete once the server is quiet this long; generous, because both
        # servers' answers are compared and a loaded machine may delay either.
        c.sock.settimeout(1.0)
        out = b""
        for data in payloads:
            c.send(data)
            try:
                while True:
                    chunk = c.sock.recv(65536)
                    if not chunk:
                        return out + b"<closed>"
                    out += chunk
            except socket.timeout:
                pass
        c.close()
        return out.replace(b"VERSION 1.6.18-cuckood-0.1", b"VERSION 1.6.18")

    def test_same_answers_as_memcached(self):
        for args, payloads in self.CASES:
            with Server(args, binary=MEMCACHED_BIN) as reference:
                theirs = self.exchange(reference, payloads)
            with Server(args) as server:
                ours = self.exchange(server, payloads)
                if args[1] != "binary":
                    c = server.connect()
                    self.assertIn(args[1], stats(c, "settings")["binding_protocol"])
                    c.close()
            self.assertEqual(ours, theirs, args)

    def test_listener_protocol_prefix(self):
        port = free_port()
        with Process(["-p", str(port), "-l", "proto[binary]:127.0.0.1"], ("127.0.0.1", port)):
            c = connect(("127.0.0.1", port))
            c.send(b"get aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n")
            self.assertTrue(c.is_closed())
            c.close()


class SignalTest(unittest.TestCase):
    def test_sighup_is_survived(self):
        server = Server().start()
        try:
            server.proc.send_signal(signal.SIGHUP)
            self.assertTrue(wait_for(lambda: "SIGHUP" in server.output(), 5), server.output())
            c = server.connect()
            self.assertEqual(c.request(b"mn\r\n"), b"MN\r\n")
            c.close()
            self.assertIsNone(server.proc.poll())
        finally:
            self.assertEqual(server.stop(), 0)

    def test_sigusr1_is_a_graceful_stop(self):
        server = Server().start()
        c = server.connect()
        self.assertEqual(c.request(b"set g 0 0 1\r\ng\r\n"), b"STORED\r\n")
        server.proc.send_signal(signal.SIGUSR1)
        self.assertEqual(server.proc.wait(10), 0, server.output())
        self.assertTrue(c.is_closed(timeout=5))
        self.assertTrue(wait_for(lambda: not can_connect(("127.0.0.1", server.port)), 5))
        self.assertIn("Gracefully stopping", server.output())
        c.close()


# Every flag and -o sub-option cuckood accepts without acting on it, with a value memcached
# takes (server/flag_table.cc's no-effect rows).
NO_EFFECT_FLAGS = [
    ["-e", "/nonexistent/mem"], ["-N", "1"],
]
NO_EFFECT_SUB_OPTIONS = [
    "maxconns_fast", "no_maxconns_fast", "no_hashexpand", "slab_reassign", "no_slab_reassign",
    "slab_automove", "slab_automove=2", "no_slab_automove", "slab_automove_ratio=0.5",
    "slab_automove_window=3", "slab_automove_freeratio=0.01", "slab_sizes=100-200-300",
    "tail_repair_time=60", "hash_algorithm=jenkins", "lru_crawler_sleep=100",
    "lru_crawler_tocrawl=10",
    "lru_maintainer", "no_lru_maintainer", "hot_lru_pct=20", "warm_lru_pct=40",
    "hot_max_factor=0.2", "warm_max_factor=2.0", "temporary_ttl=61",
    "worker_logbuf_size=64", "track_sizes", "no_inline_ascii_resp", "inline_ascii_resp",
    "drop_privileges", "no_drop_privileges", "relaxed_privileges",
    "resp_obj_mem_limit", "read_buf_mem_limit=1", "sock_cookie_id=1", "ssl_kernel_tls",
    "ext_page_size=8", "ext_wbuf_size=2", "ext_threads=1", "ext_io_depth=2",
    "ext_path=/nonexistent:64m", "ext_item_size=512", "ext_item_age=2", "ext_low_ttl=60",
    "ext_recache_rate=10000", "ext_compact_under=1", "ext_drop_under=1", "ext_max_sleep=100000",
    "ext_max_frag=0.9", "ext_drop_unread",
]


def huge_page_mappings(pid):
    """The sizes (kB) of the process's mappings the kernel was asked to back with huge pages
    (madvise MADV_HUGEPAGE: "hg" in smaps' VmFlags)."""
    sizes, size = [], 0
    with open("/proc/%d/smaps" % pid) as f:
        for line in f:
            if line.startswith("Size:"):
                size = int(line.split()[1])
            elif line.startswith("VmFlags:") and " hg" in line:
                sizes.append(size)
    return sizes


class AcceptedFlagsTest(unittest.TestCase):
    def test_every_no_effect_flag_starts_the_server_and_says_why(self):
        cases = NO_EFFECT_FLAGS + [["-o", option] for option in NO_EFFECT_SUB_OPTIONS]
        for args in cases:
            with self.subTest(args=args):
                server = Server(["-t", "1"] + args).start()
                try:
                    c = server.connect()
                    self.assertEqual(c.request(b"mn\r\n"), b"MN\r\n")
                    c.close()
                finally:
                    self.assertEqual(server.stop(), 0, server.output())
                lines = [line for line in server.output().splitlines()
                         if "accepted, no effect in cuckood" in line]
                self.assertEqual(len(lines), 1, server.output())

    def test_implemented_flags_show_in_stats_and_limits(self):
        args = ["-k", "-r", "-L", "-D", "#", "-b", "77", "-M", "-C", "-F", "-X", "-A", "-t", "2",
                "-c", "100", "-m", "32", "-I", "2m", "-o", "hashpower=16", "-R", "7", "-B", "ascii",
                "-f", "2", "-n", "64", "-o", "slab_chunk_max=16384,no_modern"]
        with Server(args) as server:
            # The port accepts as soon as it is bound; -k locks once the workers exist, before
            # the "listening" line.
            self.assertTrue(wait_for(lambda: "listening on" in server.output(), 10))
            c = server.connect()
            values = stats(c, "settings")
            c.close()
            with open("/proc/%d/limits" % server.proc.pid) as f:
                limits = f.read()
            with open("/proc/%d/status" % server.proc.pid) as f:
                status = f.read()
        self.assertEqual(server.proc.returncode, 0, server.output())
        self.assertNotIn("accepted, no effect", server.output())
        self.assertEqual(values["tcp_backlog"], "77")
        self.assertEqual(values["stat_key_prefix"], "#")
        self.assertEqual(values["detail_enabled"], "yes")
        self.assertEqual(values["hashpower_init"], "16")
        self.assertEqual(values["reqs_per_event"], "7")
        self.assertEqual(values["binding_protocol"], "ascii")
        self.assertEqual(values["maxconns"], "100")
        self.assertEqual(values["item_size_max"], str(2 << 20))
        self.assertEqual(values["growth_factor"], "2.00")
        self.assertEqual(values["chunk_size"], "64")
        self.assertEqual(values["slab_chunk_max"], "16384")
        self.assertEqual(values["lru_crawler"], "no")
        self.assertRegex(limits, r"Max core file size\s+(unlimited|[1-9])")
        # Locking 32 MB needs the privilege (or a high RLIMIT_MEMLOCK).
        if IS_ROOT:
            self.assertNotIn("mlockall() failed", server.output())
            if not harness.SANITIZED:  # the sanitizers' mlockall is a no-op (it would lock the shadow)
                self.assertRegex(status, r"VmLck:\s+[1-9]")

    def test_item_memory_asks_for_huge_pages_unless_told_not_to(self):
        for args, advised in ((["-m", "64"], True), (["-m", "64", "--no-huge-pages"], False),
                              (["-m", "64", "--no-huge-pages", "-L"], True)):
            with self.subTest(args=args), Server(args) as server:
                c = server.connect()
                self.assertEqual(c.request(b"set k 0 0 1\r\nv\r\n"), b"STORED\r\n")
                c.close()
                self.assertEqual(bool(huge_page_mappings(server.proc.pid)), advised,
                                 server.output())

    def test_unknown_sub_option_fails_as_memcached(self):
        ours = subprocess.run([CUCKOOD_BIN, "-o", "no_such_option=1"], capture_output=True,
                              timeout=30)
        theirs = subprocess.run([MEMCACHED_BIN, "-u", "nobody", "-o", "no_such_option=1"],
                                capture_output=True, timeout=30)
        self.assertEqual(ours.returncode, theirs.returncode)
        self.assertEqual(ours.stderr, theirs.stderr)
        self.assertEqual(ours.stderr, b'Illegal suboption "no_such_option=1"\n')


if __name__ == "__main__":
    unittest.main()
