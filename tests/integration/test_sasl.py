"""-S binary SASL, configured as memcached's: a directory named by SASL_CONF_PATH holding
memcached.conf (mech_list, sasldb_path) and a sasldb whose users saslpasswd2 -a memcached made.
pylibmc authenticates with username/password; a wrong password and unauthenticated requests are
refused; the raw replies to the SASL opcodes and to an unauthenticated request are compared
byte for byte with /usr/bin/memcached -S started on the same configuration; start-up checks
exit as memcached's do."""
import os
import socket
import stat
import struct
import subprocess
import tempfile
import unittest

import pylibmc

import harness
from harness import Server
from test_auth import start_status
from test_binary import HEADER, packet, read_response

SASLPASSWD = "/usr/sbin/saslpasswd2"
GET, SET, DELETE, VERSION, STAT = 0x00, 0x01, 0x04, 0x0B, 0x10
LIST_MECHS, AUTH, STEP = 0x20, 0x21, 0x22
SUCCESS, INVALID, AUTH_ERROR, AUTH_CONTINUE = 0x00, 0x04, 0x20, 0x21

USER, PASSWORD = "alice", "s3cret"


def make_sasl_config(directory, mechanisms="plain"):
    """memcached.conf and a sasldb with USER in `directory`; returns its path."""
    os.chmod(directory, 0o755)  # memcached reads it as nobody
    sasldb = os.path.join(directory, "sasldb2")
    with open(os.path.join(directory, "memcached.conf"), "w") as f:
        f.write("mech_list: %s\nsasldb_path: %s\n" % (mechanisms, sasldb))
    subprocess.run([SASLPASSWD, "-a", "memcached", "-c", "-p", "-f", sasldb, USER],
                   input=PASSWORD.encode(), check=True)
    os.chmod(sasldb, stat.S_IRUSR | stat.S_IWUSR | stat.S_IRGRP | stat.S_IROTH)
    return directory


def plain(user, password):
    return b"\0" + user.encode() + b"\0" + password.encode()


def exchange(server, requests):
    """The raw bytes a fresh connection gets for `requests`, sent one at a time (each
    answered, or the connection closed, before the next); "<closed>" marks a close."""
    c = server.connect()
    out = b""
    try:
        for request in requests:
            c.send(request)
            header = c.read_exact(24)
            out += header + c.read_exact(struct.unpack(">I", header[8:12])[0])
        if c.is_closed(0.3):
            out += b"<closed>"
    except (EOFError, OSError):
        out += b"<closed>"
    c.close()
    return out


def have_sasl_tools():
    return os.access(SASLPASSWD, os.X_OK)


@unittest.skipUnless(have_sasl_tools(), "no saslpasswd2 (scripts/install-deps.sh test installs it)")
class SaslTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.TemporaryDirectory()
        cls.env = {"SASL_CONF_PATH": make_sasl_config(cls.dir.name, "plain cram-md5")}
        cls.cuckood = Server(["-S"], env=cls.env).start()
        cls.memcached = None
        if os.access(harness.MEMCACHED_BIN, os.X_OK):
            cls.memcached = Server(["-S"], binary=harness.MEMCACHED_BIN, env=cls.env).start()

    @classmethod
    def tearDownClass(cls):
        code = cls.cuckood.stop()
        if cls.memcached:
            cls.memcached.stop()
        cls.dir.cleanup()
        assert code == 0, cls.cuckood.output()

    def client(self, password=PASSWORD):
        mc = pylibmc.Client([self.cuckood.address()], binary=True, username=USER,
                            password=password)
        self.addCleanup(mc.disconnect_all)
        return mc

    def test_pylibmc_authenticates_with_username_and_password(self):
        mc = self.client()
        mc.set("sasl-key", b"value")
        self.assertEqual(mc.get("sasl-key"), b"value")
        mc.set_multi({"a": b"1", "b": b"2"})
        self.assertEqual(mc.get_multi(["a", "b", "missing"]), {"a": b"1", "b": b"2"})
        self.assertEqual(mc.incr("a", 2), 3)
        self.assertTrue(mc.delete("b"))

    def test_a_wrong_password_is_refused(self):
        self.client().set("kept", b"v")
        with self.assertRaisesRegex(pylibmc.Error, "AUTHENTICATION FAILURE"):
            self.client(password="wrong").get("kept")

    def test_an_unauthenticated_request_is_refused_and_closed(self):
        c = self.cuckood.connect()
        self.addCleanup(c.close)
        c.send(packet(GET, b"kept", opaque=7) + packet(VERSION))
        r = read_response(c)
        self.assertEqual((r.opcode, r.status, r.opaque, r.value), (GET, AUTH_ERROR, 7, b"Auth failure."))
        self.assertTrue(c.is_closed())

    def test_authentication_is_per_connection(self):
        a = self.cuckood.connect()
        b = self.cuckood.connect()
        self.addCleanup(a.close)
        self.addCleanup(b.close)
        a.send(packet(AUTH, b"PLAIN", value=plain(USER, PASSWORD)))
        self.assertEqual(read_response(a).value, b"Authenticated")
        b.send(packet(SET, b"k", struct.pack(">II", 0, 0), b"v"))
        self.assertEqual(read_response(b).status, AUTH_ERROR)
        a.send(packet(SET, b"k", struct.pack(">II", 0, 0), b"v"))
        self.assertEqual(read_response(a).status, SUCCESS)

    def test_a_challenge_mechanism_continues(self):
        c = self.cuckood.connect()
        self.addCleanup(c.close)
        c.send(packet(AUTH, b"CRAM-MD5"))
        r = read_response(c)
        self.assertEqual(r.status, AUTH_CONTINUE)
        self.assertTrue(r.value.startswith(b"<"), r)
        c.send(packet(STEP, b"CRAM-MD5", value=b"alice 0123456789abcdef0123456789abcdef"))
        self.assertEqual(read_response(c).status, AUTH_ERROR)

    def test_raw_replies_are_memcached_s(self):
        if not self.memcached:
            self.skipTest("no memcached")
        good = packet(AUTH, b"PLAIN", value=plain(USER, PASSWORD), opaque=2)
        bad = packet(AUTH, b"PLAIN", value=plain(USER, "wrong"), opaque=3)
        streams = {
            "list mechs": [packet(LIST_MECHS, opaque=1)],
            "auth ok, then served": [good, packet(GET, b"nope", opaque=4)],
            "auth fail, then refused and closed": [bad, packet(GET, b"nope", opaque=5)],
            "unauthenticated get": [packet(GET, b"nope", opaque=6)],
            "unauthenticated stat": [packet(STAT, opaque=6)],
            "step without auth": [packet(STEP, b"PLAIN", value=plain(USER, PASSWORD), opaque=7)],
            "mechanism name too long": [packet(AUTH, b"X" * 40, value=plain(USER, PASSWORD))],
            "unknown mechanism": [packet(AUTH, b"NOPE", value=b"x")],
            "auth, list mechs, get": [good, packet(LIST_MECHS), packet(GET, b"nope")],
            "list mechs with a body": [packet(LIST_MECHS, value=b"x")],
            "auth without a mechanism": [packet(AUTH, value=b"x")],
            "a key over 250 bytes": [packet(GET, b"k" * 251)],
        }
        for name, requests in streams.items():
            with self.subTest(name):
                self.assertEqual(exchange(self.cuckood, requests),
                                 exchange(self.memcached, requests))

    def test_text_commands_are_not_served_as_by_memcached(self):
        # -S fixes the binary protocol: a text line is read as a binary header with a bad
        # magic, and the connection closed without a word.
        if not self.memcached:
            self.skipTest("no memcached")

        def raw(server):
            c = server.connect()
            c.send(b"get foo\r\nversion\r\nstats\r\n")
            closed = c.is_closed()
            out, c.buf = c.buf, b""
            c.close()
            return out, closed

        self.assertEqual(raw(self.cuckood), raw(self.memcached))
        self.assertEqual(raw(self.cuckood), (b"", True))

    def test_counters_and_settings_as_memcached(self):
        if not self.memcached:
            self.skipTest("no memcached")

        def figures(server):
            requests = [packet(AUTH, b"PLAIN", value=plain(USER, "wrong")),
                        packet(STEP, b"PLAIN", value=b"x"),
                        packet(AUTH, b"PLAIN", value=plain(USER, PASSWORD))]
            c = server.connect()
            for r in requests:
                c.send(r)
                read_response(c)
            c.send(packet(STAT) + packet(STAT, b"settings"))
            stats = {}
            ends = 0
            while ends < 2:
                r = read_response(c)
                if not r.key:
                    ends += 1
                stats[r.key.decode()] = r.value.decode()
            c.close()
            return {k: stats[k] for k in ("auth_enabled_sasl", "binding_protocol")}, \
                (int(stats["auth_cmds"]), int(stats["auth_errors"]))

        before_ours = figures(self.cuckood)[1]
        before_theirs = figures(self.memcached)[1]
        ours, theirs = figures(self.cuckood), figures(self.memcached)
        self.assertEqual(ours[0], theirs[0])
        self.assertEqual(ours[0], {"auth_enabled_sasl": "yes", "binding_protocol": "binary"})
        self.assertEqual([o - b for o, b in zip(ours[1], before_ours)],
                         [t - b for t, b in zip(theirs[1], before_theirs)])
        self.assertEqual([o - b for o, b in zip(ours[1], before_ours)], [3, 2])


@unittest.skipUnless(have_sasl_tools(), "no saslpasswd2")
class SaslStartUpTest(unittest.TestCase):
    def test_refused_combinations_exit_as_memcached(self):
        with tempfile.TemporaryDirectory() as d:
            env = dict(os.environ, SASL_CONF_PATH=make_sasl_config(d))
            cases = [(["-S", "-B", "auto"], "cannot allow the ASCII protocol while using SASL"),
                     (["-S", "-B", "ascii"], "cannot allow the ASCII protocol while using SASL"),
                     (["-S", "-U", str(harness.free_port())], "Cannot enable UDP while using binary SASL")]
            for args, message in cases:
                with self.subTest(args=args):
                    ours, output = start_status(harness.CUCKOOD_BIN, args, env=env)
                    self.assertEqual(ours, 64, output)
                    self.assertIn(message, output)
                    if os.access(harness.MEMCACHED_BIN, os.X_OK):
                        self.assertEqual(start_status(harness.MEMCACHED_BIN, args, env=env)[0], ours)

    def test_no_configuration_is_an_error_as_in_memcached(self):
        if any(os.path.exists(p) for p in ("/etc/sasl/memcached.conf", "/etc/sasl2/memcached.conf")):
            self.skipTest("this machine has a memcached SASL configuration")
        env = {k: v for k, v in os.environ.items() if k != "SASL_CONF_PATH"}
        ours, output = start_status(harness.CUCKOOD_BIN, ["-S"], env=env)
        self.assertEqual(ours, 1, output)
        self.assertIn("Error initializing sasl.", output)
        if os.access(harness.MEMCACHED_BIN, os.X_OK):
            theirs, their_output = start_status(harness.MEMCACHED_BIN, ["-S"], env=env)
            self.assertEqual(theirs, ours, their_output)

    def test_help_mentions_sasl(self):
        # memcached's t/binary-sasl.t runs only where -h mentions SASL.
        help_text = subprocess.run([harness.CUCKOOD_BIN, "-h"], capture_output=True).stdout
        self.assertIn(b"enable-sasl", help_text)


if __name__ == "__main__":
    unittest.main()
