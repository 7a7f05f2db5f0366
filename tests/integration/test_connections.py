"""Connections as the protocol layer sees them (issue 12): `stats conns` over TCP and a unix
socket, `watch` (fetchers, mutations, evictions, connevents, a slow watcher's skipped lines,
-W), bytes_read/bytes_written counted where memcached counts them, and the listen state
(accepting_conns, listen_disabled_num, time_in_listen_disabled_us) of the EMFILE back-off.
Each runs on both engines (CUCKOOD_IO)."""

import os
import re
import resource
import shutil
import socket
import struct
import tempfile
import time
import unittest

from harness import Server, wait_for
from test_cmdline import Process, connect, stats

LINE = r"ts=\d+\.\d+ gid=\d+ "


def conns(conn):
    """`stats conns` as {fd: {field: value}}, in the order the server listed the fds."""
    conn.send(b"stats conns\r\n")
    text = conn.read_until(b"END\r\n").decode()
    rows = {}
    for fd, field, value in re.findall(r"^STAT (\d+):(\w+) (.*)\r$", text, re.M):
        rows.setdefault(int(fd), {})[field] = value
    return rows, [int(fd) for fd in re.findall(r"^STAT (\d+):addr ", text, re.M)]


def fd_of(rows, sock):
    """The server's fd of the client connection `sock` (found by its TCP port)."""
    port = sock.getsockname()[1]
    found = [fd for fd, row in rows.items() if row["addr"].endswith(":%d" % port)]
    assert len(found) == 1, (port, rows)
    return found[0]


def watch(server, kinds=b""):
    watcher = server.connect()
    watcher.sock.settimeout(10)
    request = b"watch " + kinds if kinds else b"watch"
    assert watcher.request(request + b"\r\n") == b"OK\r\n"
    return watcher


def log_line(watcher):
    return watcher.read_until(b"\n").decode().rstrip("\n")


def event_of(watcher, port):
    """The next connection event of the client on `port`, skipping other connections' (the
    harness's probe connection may close after the watcher attached)."""
    while True:
        line = log_line(watcher)
        if "rport=%d " % port in line:
            return line


class StatsConnsTest(unittest.TestCase):
    def test_tcp(self):
        with Server(["-t", "2"]) as server:
            idle = server.connect()
            self.assertEqual(idle.request(b"version\r\n")[:8], b"VERSION ")
            fresh = server.connect()
            nread = server.connect()
            nread.send(b"set foo 0 0 6\r\n")
            watcher = watch(server)
            asker = server.connect()
            time.sleep(0.2)  # let the set's header reach the server
            rows, order = conns(asker)
            self.assertEqual(order, sorted(order))
            listener = [fd for fd, row in rows.items() if row["state"] == "conn_listening"]
            self.assertEqual(len(listener), 1, rows)  # one per address, as memcached
            self.assertEqual(rows[listener[0]]["addr"], "tcp:127.0.0.1:%d" % server.port)
            self.assertNotIn("listen_addr", rows[listener[0]])
            expected = {idle: "conn_read", fresh: "conn_new_cmd", nread: "conn_nread",
                        watcher: "conn_watch", asker: "conn_parse_cmd"}
            for conn, state in expected.items():
                row = rows[fd_of(rows, conn.sock)]
                self.assertEqual(row["state"], state, row)
                self.assertEqual(row["addr"], "tcp:127.0.0.1:%d" % conn.sock.getsockname()[1])
                self.assertEqual(row["listen_addr"], "tcp:127.0.0.1:%d" % server.port)
                self.assertRegex(row["secs_since_last_cmd"], r"^\d+$")
            self.assertEqual(len(rows), 6)
            gone = fd_of(rows, fresh.sock)
            fresh.close()
            self.assertTrue(wait_for(lambda: gone not in conns(asker)[0]))
            for conn in expected:
                conn.close()

    def test_unix_socket(self):
        directory = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, directory)
        path = os.path.join(directory, "s")
        with Process(["-s", path], path):
            busy = connect(path)
            busy.send(b"set foo 0 0 6\r\n")
            time.sleep(1.1)  # secs_since_last_cmd becomes non-zero, as stats-conns.t checks
            asker = connect(path)
            rows, _ = conns(asker)
            listener = [row for row in rows.values() if row["state"] == "conn_listening"]
            self.assertEqual(listener, [{"addr": "unix:" + path, "state": "conn_listening",
                                         "secs_since_last_cmd": listener[0]["secs_since_last_cmd"]}])
            clients = [row for row in rows.values() if row["state"] != "conn_listening"]
            self.assertEqual(sorted(row["state"] for row in clients),
                             ["conn_nread", "conn_parse_cmd"])
            for row in clients:
                self.assertEqual(row["addr"], "?:<AF 0>")  # memcached's words for a unix peer
                self.assertEqual(row["listen_addr"], "unix:" + path)
            nread = [row for row in clients if row["state"] == "conn_nread"][0]
            self.assertGreaterEqual(int(nread["secs_since_last_cmd"]), 1)
            busy.close()
            asker.close()

    def test_binary_stat_conns_is_not_a_group(self):
        with Server() as server:
            conn = server.connect()
            conn.send(struct.pack(">BBHBBHIIQ", 0x80, 0x10, 5, 0, 0, 0, 5, 9, 0) + b"conns")
            header = conn.read_exact(24)
            status, length = struct.unpack(">HI", header[6:12])
            self.assertEqual(status, 1)
            self.assertEqual(conn.read_exact(length), b"Not found")
            conn.close()


class WatchTest(unittest.TestCase):
    def test_fetchers_and_mutations_name_the_client(self):
        with Server(["-t", "2"]) as server:
            watcher = watch(server, b"fetchers mutations")
            client = server.connect()
            cfd = fd_of(conns(client)[0], client.sock)
            self.assertEqual(client.request(b"set foo 0 0 5\r\nhello\r\n"), b"STORED\r\n")
            self.assertEqual(client.request(b"get foo\r\n", b"END\r\n"),
                             b"VALUE foo 0 5\r\nhello\r\nEND\r\n")
            self.assertRegex(log_line(watcher), LINE + "type=item_get key=foo status=not_found "
                             "clsid=0 cfd=%d size=0$" % cfd)
            self.assertRegex(log_line(watcher), LINE + "type=item_store key=foo status=stored "
                             "cmd=set ttl=0 clsid=1 cfd=%d size=5$" % cfd)
            self.assertRegex(log_line(watcher), LINE + "type=item_get key=foo status=found "
                             "clsid=1 cfd=%d size=5$" % cfd)
            self.assertEqual(int(stats(client)["log_watchers"]), 1)
            watcher.close()
            self.assertTrue(wait_for(lambda: stats(client)["log_watchers"] == "0"))
            client.close()

    def test_connevents_and_their_reasons(self):
        with Server(["-t", "2"]) as server:
            watcher = watch(server, b"connevents")

            def opened_then_closed(reason, end):
                client = server.connect()
                port = client.sock.getsockname()[1]
                self.assertEqual(client.request(b"version\r\n")[:8], b"VERSION ")
                new = event_of(watcher, port)
                end(client)
                client.close()
                self.assertRegex(new, LINE + r"type=conn_new rip=127\.0\.0\.1 rport=%d "
                                 r"transport=tcp cfd=\d+$" % port)
                cfd = new.rsplit("=", 1)[1]
                self.assertRegex(event_of(watcher, port), LINE + r"type=conn_close rip=127\.0\.0\.1 "
                                 r"rport=%d transport=tcp reason=%s cfd=%s$" % (port, reason, cfd))

            def quit(client):
                client.send(b"quit\r\n")
                self.assertTrue(client.is_closed())

            def eof(client):
                client.sock.shutdown(socket.SHUT_WR)
                self.assertTrue(client.is_closed())

            def protocol_error(client):  # a line far too long: memcached closes with an error
                try:
                    client.send(b"x" * (3 << 20))
                except (ConnectionResetError, BrokenPipeError):
                    return  # closed while the line was still being sent
                self.assertTrue(client.is_closed(timeout=5))

            opened_then_closed("normal", quit)
            opened_then_closed("normal", eof)
            opened_then_closed("error", protocol_error)
            watcher.close()

    def test_idle_timeout_reason(self):
        with Server(["-o", "idle_timeout=1"]) as server:
            watcher = watch(server, b"connevents")
            client = server.connect()
            port = client.sock.getsockname()[1]
            self.assertRegex(event_of(watcher, port), LINE + "type=conn_new ")
            self.assertTrue(client.is_closed(timeout=5))
            self.assertRegex(event_of(watcher, port),
                             LINE + "type=conn_close .* reason=idle_timeout ")
            self.assertFalse(watcher.is_closed(timeout=2))  # a watcher is never idle
            watcher.close()
            client.close()

    def test_evictions(self):
        with Server(["-m", "2", "-I", "64k", "-t", "1"]) as server:
            watcher = watch(server, b"evictions")
            client = server.connect()
            value = b"v" * 10000
            for i in range(400):
                client.send(b"set key%d 0 0 %d noreply\r\n%s\r\n" % (i, len(value), value))
            self.assertEqual(client.request(b"mn\r\n"), b"MN\r\n")
            line = log_line(watcher)
            self.assertRegex(line, LINE + r"type=eviction key=key\d+ fetch=no ttl=-1 la=\d+ "
                             r"clsid=1 size=10000$")
            self.assertGreater(int(stats(client)["evictions"]), 0)
            watcher.close()
            client.close()

    def test_slow_watcher_skips_lines(self):
        with Server(["-o", "watcher_logbuf_size=8"]) as server:
            watcher = server.connect()
            watcher.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            self.assertEqual(watcher.request(b"watch\r\n"), b"OK\r\n")
            client = server.connect()
            key = b"k" * 200
            for _ in range(20):
                client.send(b"get %s\r\n" % key * 1000)
                for _ in range(1000):
                    client.read_until(b"END\r\n")
            self.assertTrue(wait_for(lambda: int(stats(client)["log_watcher_skipped"]) > 0))
            # The skip is told before the next line that fits once the watcher reads again.
            watcher.sock.settimeout(10)
            seen = ""
            deadline = time.monotonic() + 10
            while "skipped=" not in seen and time.monotonic() < deadline:
                client.request(b"get after\r\n", b"END\r\n")
                seen += watcher.sock.recv(1 << 20).decode(errors="replace")
            self.assertRegex(seen, r"(^|\n)skipped=\d+\n" + LINE + "type=item_get ")
            watcher.close()
            client.close()

    def test_disabled_by_W(self):
        with Server(["-W"]) as server:
            conn = server.connect()
            self.assertEqual(conn.request(b"watch mutations\r\n"),
                             b"CLIENT_ERROR watch commands not allowed\r\n")
            self.assertEqual(conn.request(b"version\r\n")[:8], b"VERSION ")
            conn.close()


class ByteCountTest(unittest.TestCase):
    def test_counted_on_read_and_write(self):
        with Server(["-t", "1"]) as server:
            conn = server.connect()
            version = conn.request(b"version\r\n")
            values = stats(conn)
            # memcached counts a read when it reads it (this `stats` included) and a write
            # when it is sent (this reply not yet).
            self.assertEqual(int(values["bytes_read"]), len(b"version\r\n") + len(b"stats\r\n"))
            self.assertEqual(int(values["bytes_written"]), len(version))
            conn.send(b"stats reset\r\n")
            self.assertEqual(conn.read_line(), b"RESET\r\n")
            values = stats(conn)
            self.assertEqual(int(values["bytes_read"]), len(b"stats\r\n"))
            self.assertEqual(int(values["bytes_written"]), len(b"RESET\r\n"))
            conn.close()


class ListenStateTest(unittest.TestCase):
    def test_out_of_descriptors_pauses_accepting(self):
        limit = 48

        def few_descriptors():
            resource.setrlimit(resource.RLIMIT_NOFILE, (limit, limit))

        server = Server(["-t", "1"])
        server.start(preexec_fn=few_descriptors)
        try:
            first = server.connect()
            values = stats(first)
            self.assertEqual(values["accepting_conns"], "1")
            self.assertEqual(values["listen_disabled_num"], "0")
            self.assertEqual(values["time_in_listen_disabled_us"], "0")
            clients = [socket.create_connection(("127.0.0.1", server.port)) for _ in range(limit)]
            self.assertTrue(wait_for(lambda: stats(first)["accepting_conns"] == "0"))
            self.assertGreaterEqual(int(stats(first)["listen_disabled_num"]), 1)
            for c in clients:
                c.close()
            self.assertTrue(wait_for(lambda: stats(first)["accepting_conns"] == "1"))
            self.assertGreater(int(stats(first)["time_in_listen_disabled_us"]), 0)
            first.close()
        finally:
            self.assertEqual(server.stop(), 0)


if __name__ == "__main__":
    unittest.main()
