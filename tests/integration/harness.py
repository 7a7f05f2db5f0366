"""Shared plumbing of the integration tests: start the built cuckood (or the reference
memcached) on a free loopback port, talk to it over raw sockets, stop it cleanly.

Environment (set by ctest, see CMakeLists.txt here):
  CUCKOOD_BIN        path of the built server
  CUCKOOD_IO         io engine to test: uring or epoll
  CUCKOOD_SANITIZER  set by scripts/sanitize.sh when CUCKOOD_BIN is instrumented (asan, tsan):
                     checks of what instrumentation changes skip themselves (SANITIZED):
                     the server's RSS (shadow memory, ASan's quarantine), mlockall (a no-op)

Ports: free_port() binds port 0 and closes the socket, so until the server binds it another
process may take the port (a parallel test's server, or any client's ephemeral port). A
server counts as started only once its own process holds a listening socket on the port (a
connect could reach somebody else's; one probe connection follows), and one that lost its
port is restarted on a new one.

Sanitizers: reports go to the server's log. stop() raises SanitizerReport when the log holds
one, whatever the exit status; servers a test never stopped are stopped and checked when the
test process exits, and a report among them fails the process.
"""

import atexit
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest

CUCKOOD_BIN = os.environ.get("CUCKOOD_BIN", os.path.join(os.path.dirname(__file__), "../../build/cuckood"))
CUCKOOD_IO = os.environ.get("CUCKOOD_IO", "uring")
MEMCACHED_BIN = "/usr/bin/memcached"
SANITIZED = bool(os.environ.get("CUCKOOD_SANITIZER"))

PORT_ATTEMPTS = 5
# Both servers' words for a port somebody else holds (cuckood exits 1, memcached 71).
PORT_IN_USE = "Address already in use"
# In cuckood's start-up line, logged once it serves.
STARTUP_LINE = " listening on "
# The first line of an ASan, LSan, TSan or UBSan report.
SANITIZER_REPORT = re.compile(r"(?:ERROR|WARNING|FATAL): \w*Sanitizer|: runtime error: ")

_running = set()  # started and not yet stopped, for the check at exit


class SanitizerReport(AssertionError):
    pass


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(predicate, timeout=10.0, interval=0.02):
    """Polls `predicate` until it is true or `timeout` seconds have passed; returns its last
    value."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return predicate()


def _listening_inodes(port):
    """Inodes of the TCP sockets listening on `port`, on any address."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(table) as f:
                next(f)  # the header
                for line in f:
                    fields = line.split()
                    if fields[3] == "0A" and int(fields[1].rsplit(":", 1)[1], 16) == port:
                        inodes.add(fields[9])
        except FileNotFoundError:
            pass
    return inodes


def _socket_inodes(pid):
    inodes = set()
    fd_dir = "/proc/%d/fd" % pid
    try:
        fds = os.listdir(fd_dir)
    except OSError:
        return inodes
    for fd in fds:
        try:
            target = os.readlink(os.path.join(fd_dir, fd))
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[len("socket:["):-1])
    return inodes


def wait_listening(proc, port, timeout=10.0):
    """Waits until process `proc` listens on TCP `port`. Returns None once it does and no
    other process does, else why not: "exited", "shared" (another process listens there too,
    e.g. a SO_REUSEPORT group of the same user) or "timeout"."""
    deadline = time.monotonic() + timeout
    while True:
        if proc.poll() is not None:
            return "exited"
        listening = _listening_inodes(port)
        ours = listening & _socket_inodes(proc.pid)
        if ours:
            return None if ours == listening else "shared"
        if time.monotonic() >= deadline:
            return "timeout"
        time.sleep(0.02)


def rss_kib(pid):
    """The resident set size of process `pid`, in KiB."""
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS for pid %d" % pid)


class Server:
    """A server process on 127.0.0.1:<free port>. Use as a context manager or start()/stop().
    `env`: variables added to the server's environment."""

    def __init__(self, args=(), binary=None, io=None, port=None, env=None,
                 tolerated_report=None):
        """`tolerated_report`: a compiled pattern of a sanitizer report known to be the
        sanitizer's own artefact in that test; check_log ignores the reports it matches."""
        self.env = dict(os.environ, **env) if env else None
        self.tolerated_report = tolerated_report
        self.fixed_port = port is not None
        self.port = port or free_port()
        self.binary = binary or CUCKOOD_BIN
        self.io = io or CUCKOOD_IO
        self.args = list(args)
        self.proc = None
        self.log = tempfile.TemporaryFile()

    def command(self):
        cmd = [self.binary, "-p", str(self.port), "-l", "127.0.0.1"]
        if self.binary == MEMCACHED_BIN:
            if os.geteuid() == 0:
                cmd += ["-u", "nobody"]
        else:
            cmd += ["--io=" + self.io]
        return cmd + self.args

    def start(self, timeout=10.0, preexec_fn=None):
        """Starts the server and waits until it listens. A port picked here (none was given)
        that another process took first is replaced, up to PORT_ATTEMPTS times. `preexec_fn`
        runs in the child before the exec (rlimits, seccomp)."""
        for attempt in range(1 if self.fixed_port else PORT_ATTEMPTS):
            if attempt:
                self.port = free_port()
                self.log.close()
                self.log = tempfile.TemporaryFile()
            self.proc = subprocess.Popen(self.command(), stdout=self.log, stderr=subprocess.STDOUT,
                                         preexec_fn=preexec_fn, env=self.env)
            _running.add(self)
            failure = wait_listening(self.proc, self.port, timeout)
            if failure is None:
                # And one connection, opened and closed: tests that count connections
                # (total_connections, -v logs) count this probe.
                socket.create_connection(("127.0.0.1", self.port), timeout=timeout).close()
                if self.binary != MEMCACHED_BIN:
                    # cuckood logs its "listening on" line once its workers have started, which
                    # may be after they answer (a slow, sanitized start): tests read that line.
                    wait_for(lambda: STARTUP_LINE in self.output() or self.proc.poll() is not None,
                             timeout)
                return self
            self.stop()
            if self.fixed_port:
                break
            if failure == "shared" or (failure == "exited" and PORT_IN_USE in self.output()):
                sys.stderr.write("harness: port %d taken by another process (%s), trying another\n"
                                 % (self.port, failure))
                continue
            break
        if failure == "exited":
            raise RuntimeError("server exited early (%s): %s" % (self.proc.returncode, self.output()))
        if failure == "shared":
            raise RuntimeError("another process listens on port %d too" % self.port)
        raise RuntimeError("server did not listen on port %d: %s" % (self.port, self.output()))

    def stop(self, timeout=10.0):
        """SIGTERM, wait; returns the exit code (kills after `timeout`). Raises SanitizerReport
        if the server's log holds a sanitizer report."""
        if self.proc is None:
            return None
        _running.discard(self)
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                self.check_log()
                raise
        self.check_log()
        return self.proc.returncode

    def check_log(self):
        """Raises SanitizerReport if the log holds a sanitizer report."""
        out = self.output()
        if self.tolerated_report:
            out = self.tolerated_report.sub("", out)
        found = SANITIZER_REPORT.search(out)
        if found:
            start = out.rfind("\n", 0, found.start()) + 1
            raise SanitizerReport("%s (exit status %s) reported:\n%s"
                                  % (self.binary, self.proc.returncode, out[start:start + 20000]))

    def output(self):
        # pread, not seek + read: the server writes through the same open file, so its offset
        # is shared; a seek(0) here would make the server's next line overwrite its first.
        fd = self.log.fileno()
        return os.pread(fd, os.fstat(fd).st_size, 0).decode(errors="replace")

    def address(self):
        return "127.0.0.1:%d" % self.port

    def connect(self, timeout=5.0):
        return Conn(socket.create_connection(("127.0.0.1", self.port), timeout=timeout))

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


class Conn:
    """A raw client connection with helpers to read memcached responses."""

    def __init__(self, sock):
        self.sock = sock
        self.buf = b""

    def send(self, data):
        self.sock.sendall(data)

    def _fill(self):
        chunk = self.sock.recv(1 << 20)
        if not chunk:
            raise EOFError("connection closed by server")
        self.buf += chunk

    def read_exact(self, n):
        while len(self.buf) < n:
            self._fill()
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def read_line(self):
        while b"\r\n" not in self.buf:
            self._fill()
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line + b"\r\n"

    def read_until(self, terminator):
        while terminator not in self.buf:
            self._fill()
        idx = self.buf.index(terminator) + len(terminator)
        out, self.buf = self.buf[:idx], self.buf[idx:]
        return out

    def request(self, data, terminator=b"\r\n"):
        """Sends `data`, returns the response up to and including `terminator`."""
        self.send(data)
        return self.read_until(terminator)

    def is_closed(self, timeout=2.0):
        """True if the server closes the connection (EOF) within `timeout`."""
        self.sock.settimeout(timeout)
        try:
            return self.sock.recv(1) == b""
        except ConnectionResetError:
            return True
        except socket.timeout:
            return False

    def close(self):
        self.sock.close()


class ServerTestCase(unittest.TestCase):
    """One cuckood per test class (args in SERVER_ARGS); self.conn() opens raw connections."""

    SERVER_ARGS = ()

    @classmethod
    def setUpClass(cls):
        cls.server = Server(cls.SERVER_ARGS).start()

    @classmethod
    def tearDownClass(cls):
        code = cls.server.stop()
        assert code == 0, "server exit code %s: %s" % (code, cls.server.output())

    def conn(self):
        c = self.server.connect()
        self.addCleanup(c.close)
        return c

    def flush(self):
        c = self.conn()
        self.assertEqual(c.request(b"flush_all\r\n"), b"OK\r\n")


@atexit.register
def _stop_leftovers():
    """Stops what a test left running and checks the logs of servers whose test waited for
    the process itself: a sanitizer report there fails the test process."""
    reports = []
    for server in list(_running):
        try:
            server.stop()
        except SanitizerReport as e:
            reports.append(str(e))
        except Exception:  # a hung server was killed; its test has failed already
            pass
    if reports:
        sys.stderr.write("\n".join(reports) + "\n")
        sys.stderr.flush()
        os._exit(1)
