"""-Z TLS, side by side with /usr/bin/memcached -Z (Debian's build has TLS): the same request
streams over TLS get the same bytes back from both (get/set, large values, pipelines);
a `notls:` listener beside a TLS one speaks plaintext; a plaintext client on a TLS port gets
nothing; -o ssl_verify_mode=2 with -o ssl_ca_cert admits a client with a certificate signed by
that CA only; start-up errors exit as memcached's; `stats settings` prints memcached's ssl_*
lines. Certificates are made per run with `openssl req` in a temporary directory."""
import os
import socket
import ssl
import subprocess
import tempfile
import unittest

import harness
from harness import Server

STREAMS = [
    ("set then get", [b"set a 0 0 5\r\nhello\r\n", b"get a\r\n", b"gets missing\r\n"]),
    ("meta and arithmetic",
     [b"set n 0 0 2\r\n10\r\n", b"incr n 5\r\n", b"mg n v t\r\n", b"delete n\r\n",
      b"touch n 10\r\n"]),
    ("a pipeline in one write",
     [b"".join(b"set k%d 0 0 3\r\nv%02d\r\n" % (i, i) for i in range(50)) +
      b"".join(b"get k%d\r\n" % i for i in range(50))]),
    # (memcached -Z stalls reading a request that spans several TLS records, e.g. a set of
    # 50 KB: larger values are tested against cuckood alone, below.)
    ("a reply larger than a TLS record",
     [b"set big 0 0 12000\r\n" + b"x" * 12000 + b"\r\n", b"get big big big\r\n"]),
    ("an error closes nothing", [b"bogus\r\n", b"get a\r\n"]),
]


def make_certificates(directory):
    """A CA, a server certificate and a client certificate signed by that CA."""
    def run(*args):
        subprocess.run(["openssl"] + list(args), check=True, capture_output=True, cwd=directory)

    run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem",
        "-days", "2", "-subj", "/CN=test-ca")
    for name in ("server", "client", "stranger"):
        run("req", "-newkey", "rsa:2048", "-nodes", "-keyout", name + ".key", "-out",
            name + ".csr", "-subj", "/CN=" + name)
        signer = (["-signkey", name + ".key"] if name == "stranger"
                  else ["-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial"])
        run("x509", "-req", "-in", name + ".csr", "-out", name + ".pem", "-days", "2", *signer)


def client_context(cert=None, key=None):
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    if cert:
        context.load_cert_chain(cert, key)
    return context


def tls_conn(port, context=None, timeout=10.0):
    raw = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    return harness.Conn((context or client_context()).wrap_socket(raw))


def run_stream(port, steps):
    """Each step sent with a meta no-op behind it, the next once the no-op's MN arrives; the
    replies, one per step."""
    conn = tls_conn(port)
    replies = [conn.request(step + b"mn\r\n", b"MN\r\n") for step in steps]
    conn.close()
    return replies


class TlsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.TemporaryDirectory()
        d = cls.dir.name
        make_certificates(d)
        cls.path = staticmethod(lambda name: os.path.join(d, name))
        cls.base = ["-Z", "-o", "ssl_chain_cert=%s,ssl_key=%s" % (cls.path("server.pem"),
                                                                 cls.path("server.key"))]

    @classmethod
    def tearDownClass(cls):
        cls.dir.cleanup()

    def serve(self, args=(), binary=None):
        server = Server(self.base + list(args), binary=binary)
        # The harness probes the port with a plaintext connect: a TLS port closes it, as
        # memcached's does.
        server.start()
        self.addCleanup(server.stop)
        return server

    def test_streams_match_memcached(self):
        ours = self.serve()
        theirs = self.serve(binary=harness.MEMCACHED_BIN)
        for name, steps in STREAMS:
            with self.subTest(stream=name):
                expected = run_stream(theirs.port, steps)
                got = run_stream(ours.port, steps)
                self.assertEqual(got, expected)
                self.assertTrue(all(expected), expected)

    def test_large_pipeline_with_a_slow_reader(self):
        # Output far past the backpressure mark, encrypted as the client reads it.
        server = self.serve()
        conn = tls_conn(server.port)
        value = os.urandom(500000).hex().encode()[:900000]
        conn.send(b"set v 0 0 %d\r\n%s\r\n" % (len(value), value))
        self.assertEqual(conn.read_line(), b"STORED\r\n")
        conn.send(b"get v\r\n" * 40)
        for _ in range(40):
            self.assertEqual(conn.read_line(), b"VALUE v 0 %d\r\n" % len(value))
            self.assertEqual(conn.read_exact(len(value) + 2), value + b"\r\n")
            self.assertEqual(conn.read_line(), b"END\r\n")

    def test_notls_listener_beside_a_tls_one(self):
        plain_port = harness.free_port()
        server = self.serve(["-l", "notls:127.0.0.1:%d" % plain_port])
        plain = harness.Conn(socket.create_connection(("127.0.0.1", plain_port), timeout=10))
        self.assertEqual(plain.request(b"set p 0 0 1\r\nx\r\n"), b"STORED\r\n")
        secure = tls_conn(server.port)
        self.assertEqual(secure.request(b"get p\r\n", b"END\r\n"), b"VALUE p 0 1\r\nx\r\nEND\r\n")

    def test_plaintext_client_gets_nothing(self):
        for binary in (None, harness.MEMCACHED_BIN):
            with self.subTest(binary=binary or "cuckood"):
                server = self.serve(binary=binary)
                sock = socket.create_connection(("127.0.0.1", server.port), timeout=10)
                sock.sendall(b"set a 0 0 1\r\nx\r\nget a\r\nversion\r\n")
                received = b""
                try:
                    while chunk := sock.recv(4096):
                        received += chunk
                except ConnectionResetError:
                    pass
                self.assertEqual(received, b"")

    def test_client_certificate_required(self):
        server = self.serve(["-o", "ssl_verify_mode=2,ssl_ca_cert=" + self.path("ca.pem")])
        signed = client_context(self.path("client.pem"), self.path("client.key"))
        conn = tls_conn(server.port, signed)
        self.assertEqual(conn.request(b"version\r\n").split(b" ")[0], b"VERSION")
        for name, context in [
                ("no certificate", client_context()),
                ("not signed by the CA",
                 client_context(self.path("stranger.pem"), self.path("stranger.key")))]:
            with self.subTest(client=name):
                with self.assertRaises((ssl.SSLError, OSError, EOFError)):
                    refused = tls_conn(server.port, context)
                    refused.request(b"version\r\n")
        stats = tls_conn(server.port, signed).request(b"stats\r\n", b"END\r\n")
        errors = [l for l in stats.split(b"\r\n") if l.startswith(b"STAT ssl_handshake_errors ")]
        self.assertEqual(len(errors), 1)
        self.assertGreaterEqual(int(errors[0].split()[2]), 1)

    def test_stats_settings_match_memcached(self):
        args = ["-o", "ssl_verify_mode=1,ssl_min_version=3,ssl_ciphers=HIGH,ssl_wbuf_size=32"]
        lines = []
        for binary in (None, harness.MEMCACHED_BIN):
            server = self.serve(args, binary=binary)
            settings = tls_conn(server.port).request(b"stats settings\r\n", b"END\r\n")
            lines.append([l for l in settings.split(b"\r\n") if l.startswith(b"STAT ssl_")])
        self.assertEqual(lines[0], lines[1])
        self.assertEqual(len(lines[0]), 11)

    def test_start_errors_match_memcached(self):
        missing = self.path("missing.pem")
        cases = [
            ["-Z"],
            ["-Z", "-o", "ssl_chain_cert=" + missing],
            ["-Z", "-o", "ssl_chain_cert=" + self.path("server.pem")],
            ["-Z", "-o", "ssl_chain_cert=%s,ssl_key=%s" % (self.path("server.pem"),
                                                           self.path("client.key"))],
            ["-Z", "-o", "ssl_verify_mode=5"],
            ["-Z", "-o", "ssl_min_version=4"],
            ["-Z", "-o", "ssl_chain_cert"],
            self.base + ["-o", "ssl_ciphers=NOSUCHCIPHER"],
            ["-l", "notls:127.0.0.1"],
        ]
        for args in cases:
            with self.subTest(args=args):
                ours = start_status(harness.CUCKOOD_BIN, args)
                theirs = start_status(harness.MEMCACHED_BIN, args)
                self.assertEqual(ours[0], theirs[0], ours[1])
                self.assertEqual(last_line(ours[1]), last_line(theirs[1]))

    def test_help_lists_tls(self):
        help_text = subprocess.run([harness.CUCKOOD_BIN, "-h"], capture_output=True).stdout
        for word in (b"enable-ssl", b"ssl_chain_cert", b"ssl_verify_mode", b"notls"):
            self.assertIn(word, help_text)


def start_status(binary, args, timeout=10):
    cmd = [binary, "-p", str(harness.free_port())] + args
    if binary == harness.MEMCACHED_BIN and os.geteuid() == 0:
        cmd += ["-u", "nobody"]
    try:
        result = subprocess.run(cmd, capture_output=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return None, "still running"
    return result.returncode, (result.stdout + result.stderr).decode()


def last_line(output):
    """memcached's own line: the last one (OpenSSL's error queue dump comes first)."""
    lines = [l for l in output.splitlines() if l and not l.startswith("cuckood: ")]
    return lines[-1] if lines else ""


if __name__ == "__main__":
    unittest.main()
