"""-Y text authentication, side by side with /usr/bin/memcached: the same request streams to
both servers started with the same -Y file must get the same bytes back; start-up checks
(missing or malformed file, -Y with binary or UDP) exit as memcached exits; SIGHUP reloads the
file. (-S: test_sasl.py; -Z: test_tls.py.)"""
import os
import signal
import stat
import subprocess
import tempfile
import unittest

import harness
from harness import Server, wait_for

# Each step is one request, sent once the previous one is answered, on a fresh connection per
# stream. (memcached answers requests pipelined to an unauthenticated connection wrongly: it
# stalls after the first reply, or overwrites a reply with the next one; cuckood answers each
# in order, tests/proto/text_auth_test.cc.)
STREAMS = [
    ("refused before authentication",
     [b"get foo\r\n", b"version\r\n", b"delete foo\r\n", b"incr n 1\r\n", b"mg foo v\r\n",
      b"stats\r\n", b"\x80\x00\x00\x00\r\n"]),
    ("a set is an attempt: a one-token block is malformed",
     [b"set foo 0 0 2\r\nhi\r\n", b"get foo\r\n"]),
    ("a wrong password, then the right one, then served",
     [b"set foo 0 0 7\r\nfoo bab\r\n", b"set foo 0 0 7\r\nfoo bar\r\n",
      b"set toast 0 0 2\r\nhi\r\n", b"get toast\r\n"]),
    ("any key, flags and exptime; extra tokens in the block ignored",
     [b"set x 5 100 16\r\nbaaaz quux extra\r\n", b"set k 0 0 1\r\nv\r\n"]),
    ("a block without its \\r\\n", [b"set a 0 0 7\r\nfoo barXY", b"get a\r\n"]),
    ("a set line too short", [b"set a 0 0\r\n", b"set a 0 0 x\r\n", b"gets a 0 0 7\r\n"]),
    ("authenticated, then a pipeline", [b"set a 0 0 7\r\nfoo bar\r\nget x\r\n", b"get y\r\n"]),
]


def write(path, text):
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, stat.S_IRUSR | stat.S_IWUSR | stat.S_IRGRP | stat.S_IROTH)


def read_replies(conn, count):
    lines = []
    try:
        while len(lines) < count:
            line = conn.read_line()
            lines.append(line)
            if line.startswith(b"VALUE"):
                lines.append(conn.read_line())
                lines.append(conn.read_line())
    except (EOFError, OSError):
        lines.append(b"<closed>")
    return b"".join(lines)


def start_status(binary, args, timeout=10, env=None):
    """Exit status and output of a server that must refuse to start (`env`: its whole
    environment, default this process's)."""
    cmd = [binary, "-p", str(harness.free_port()), "-l", "127.0.0.1"] + args
    if binary == harness.MEMCACHED_BIN and os.geteuid() == 0:
        cmd += ["-u", "nobody"]
    elif binary != harness.MEMCACHED_BIN:
        cmd += ["--io=" + harness.CUCKOOD_IO]
    try:
        done = subprocess.run(cmd, capture_output=True, timeout=timeout, env=env)
    except subprocess.TimeoutExpired:
        return None, "still running"
    return done.returncode, (done.stdout + done.stderr).decode(errors="replace")


class AuthAsMemcachedTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not os.access(harness.MEMCACHED_BIN, os.X_OK):
            raise unittest.SkipTest("no %s (scripts/install-deps.sh installs it)"
                                    % harness.MEMCACHED_BIN)
        cls.dir = tempfile.TemporaryDirectory()
        os.chmod(cls.dir.name, 0o755)  # memcached reads the file as nobody
        cls.authfile = os.path.join(cls.dir.name, "authfile")
        write(cls.authfile, "foo:bar\nbaaaz:quux\n")
        cls.cuckood = Server(["-Y", cls.authfile]).start()
        cls.memcached = Server(["-Y", cls.authfile], binary=harness.MEMCACHED_BIN).start()

    @classmethod
    def tearDownClass(cls):
        cls.cuckood.stop()
        cls.memcached.stop()
        cls.dir.cleanup()

    def both(self, steps, replies=1):
        answers = []
        for server in (self.memcached, self.cuckood):
            c = server.connect()
            transcript = b""
            for step in steps:
                c.send(step)
                transcript += read_replies(c, replies)
            answers.append(transcript)
            c.close()
        return answers

    def test_streams_answer_as_memcached(self):
        for name, steps in STREAMS:
            with self.subTest(name):
                expected, got = self.both(steps)
                self.assertEqual(got, expected)

    def test_auth_is_per_connection(self):
        a = self.cuckood.connect()
        b = self.cuckood.connect()
        self.assertEqual(a.request(b"set foo 0 0 7\r\nfoo bar\r\n"), b"STORED\r\n")
        self.assertEqual(b.request(b"get foo\r\n"), b"CLIENT_ERROR unauthenticated\r\n")
        self.assertEqual(a.request(b"set s 0 0 2\r\nhi\r\n"), b"STORED\r\n")
        self.assertEqual(b.request(b"set foo 0 0 10\r\nbaaaz quux\r\n"), b"STORED\r\n")
        self.assertEqual(b.request(b"get s\r\n", b"END\r\n"), b"VALUE s 0 2\r\nhi\r\nEND\r\n")
        a.close()
        b.close()

    def test_settings_and_counters_as_memcached(self):
        def figures(server):
            c = server.connect()
            c.request(b"set a 0 0 7\r\nfoo bab\r\n")
            c.request(b"set a 0 0 7\r\nfoo bar\r\n")
            settings = c.request(b"stats settings\r\n", b"END\r\n").decode()
            general = c.request(b"stats\r\n", b"END\r\n").decode()
            c.close()
            pick = lambda text, name: [l for l in text.split("\r\n") if l.startswith("STAT %s " % name)]
            return (pick(settings, "auth_enabled_ascii") + pick(settings, "auth_enabled_sasl") +
                    pick(settings, "binding_protocol"), pick(general, "auth_errors"))
        ours, theirs = figures(self.cuckood), figures(self.memcached)
        self.assertEqual(ours[0], theirs[0])
        self.assertEqual(ours[0][0], "STAT auth_enabled_ascii %s" % self.authfile)
        self.assertEqual(ours[1], ["STAT auth_errors 1"])

    def test_a_long_line_without_newline_closes_as_memcached(self):
        expected, got = self.both([b"x" * 3000])
        self.assertEqual(got, expected)
        self.assertEqual(got, b"<closed>")


class AuthFileReloadTest(unittest.TestCase):
    def test_sighup_reloads_and_a_bad_file_keeps_the_old_credentials(self):
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "authfile")
            write(path, "old:pw\n")
            server = Server(["-Y", path]).start()
            try:
                def authenticates(user, password):
                    c = server.connect()
                    block = ("%s %s" % (user, password)).encode()
                    reply = c.request(b"set a 0 0 %d\r\n%s\r\n" % (len(block), block))
                    c.close()
                    return reply == b"STORED\r\n"
                self.assertTrue(authenticates("old", "pw"))
                write(path, "new:pw2\n")
                server.proc.send_signal(signal.SIGHUP)
                self.assertTrue(wait_for(lambda: authenticates("new", "pw2"), 5))
                self.assertFalse(authenticates("old", "pw"))
                write(path, "malformed\n")
                server.proc.send_signal(signal.SIGHUP)
                self.assertTrue(wait_for(lambda: "malformed entry" in server.output(), 5))
                self.assertTrue(authenticates("new", "pw2"))
            finally:
                self.assertEqual(server.stop(), 0)


class StartUpChecksTest(unittest.TestCase):
    def test_unusable_files_and_combinations_exit_as_memcached(self):
        if not os.access(harness.MEMCACHED_BIN, os.X_OK):
            self.skipTest("no memcached")
        with tempfile.TemporaryDirectory() as d:
            os.chmod(d, 0o755)
            good = os.path.join(d, "good")
            bad = os.path.join(d, "bad")
            write(good, "foo:bar\n")
            write(bad, "foo:bar\nnocolon\n")
            cases = [
                (["-Y", os.path.join(d, "missing")], "Could not open authfile"),
                (["-Y", bad], "has a malformed entry"),
                (["-Y", good, "-B", "binary"], "cannot allow the BINARY protocol"),
                (["-Y", good, "-B", "auto"], "cannot allow the BINARY protocol"),
                (["-Y", good, "-U", "11311"], "Cannot use UDP with ascii authentication"),
            ]
            for args, message in cases:
                with self.subTest(args=args):
                    ours, our_output = start_status(harness.CUCKOOD_BIN, args)
                    theirs, _ = start_status(harness.MEMCACHED_BIN, args)
                    self.assertEqual(ours, theirs, our_output)
                    self.assertIn(message, our_output)


if __name__ == "__main__":
    unittest.main()
