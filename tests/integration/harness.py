"""Shared plumbing of the integration tests: start the built cuckood (or the reference
memcached) on a free loopback port, talk to it over raw sockets, stop it cleanly.

Environment (set by ctest, see CMakeLists.txt here):
  CUCKOOD_BIN  path of the built server
  CUCKOOD_IO   io engine to test: uring or epoll
"""

import os
import signal
import socket
import subprocess
import tempfile
import time
import unittest

CUCKOOD_BIN = os.environ.get("CUCKOOD_BIN", os.path.join(os.path.dirname(__file__), "../../build/cuckood"))
CUCKOOD_IO = os.environ.get("CUCKOOD_IO", "uring")
MEMCACHED_BIN = "/usr/bin/memcached"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """A server process on 127.0.0.1:<free port>. Use as a context manager or start()/stop()."""

    def __init__(self, args=(), binary=None, io=None, port=None):
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

    def start(self, timeout=10.0):
        self.proc = subprocess.Popen(self.command(), stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("server exited early (%s): %s" % (self.proc.returncode, self.output()))
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return self
            except OSError:
                time.sleep(0.02)
        self.stop()
        raise RuntimeError("server did not listen on port %d: %s" % (self.port, self.output()))

    def stop(self, timeout=10.0):
        """SIGTERM, wait; returns the exit code (kills after `timeout`)."""
        if self.proc is None or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else None
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise

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
