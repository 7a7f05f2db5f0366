"""Differential test: the request streams of differential/*.cases go to /usr/bin/memcached
(1.6.18, the reference) and to the built cuckood, both started with the same flags, and the
replies are compared byte for byte.

Each case runs once per split mode (one write per step, byte by byte, 7-byte writes unless the
case says otherwise) against a server pair: both replies are turned into transcripts (text
lines, binary packets one per line), the MASKS below are applied to both, the documented
differences (differential/deliberate.diffs, then differential/known_bugs.diffs) rewrite
memcached's transcript into what cuckood is documented to answer, and the result must equal
cuckood's transcript. A documented difference that no case shows any more fails the test too,
so the lists stay true. The format is in differential/README.md.

Environment: CUCKOOD_BIN, CUCKOOD_IO as for every integration test (harness.py);
CUCKOOD_DIFF_ONLY=<glob> runs only the matching cases; CUCKOOD_DIFF_TIMES=1 prints each run's
time.
"""

import concurrent.futures
import difflib
import fnmatch
import glob
import hashlib
import os
import re
import selectors
import socket
import sys
import time
import unittest

import harness
from diff_cases import (HEADER, OPCODE_NAMES, OPCODES, CaseError, parse_cases,
                        parse_differences)

CASE_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "differential")
BASE_ARGS = ("-U", "0", "-m", "64", "-t", "2")
TIMEOUT = 10.0

# The masks: what legitimately differs between two correct servers, rewritten the same way on
# both sides before the transcripts are compared. Each one is narrow: it rewrites one field of
# one kind of reply, and leaves it alone when its value has an unexpected shape.
MASKS = {
    "cas": "cas uniques come from each server's own counter (memcached: one global sequence; "
           "cuckood: per-worker blocks), so only their equalities mean something: every cas "
           "(text gets/VALUE, meta c flag and me's cas=, binary header) is renumbered #1, #2, "
           "... by first appearance in the case on each side; binary cas 0 stays 0",
    "version": "cuckood reports 1.6.18-cuckood-<v>: the memcached version it implements plus "
               "its own; VERSION, binary Version and STAT version become <version> when they "
               "are 1.6.18 or 1.6.18-cuckood-<v>",
    "stat pid": "a process id",
    "stat uptime": "seconds since the server started",
    "stat time": "the server's clock",
    "stat rusage_user": "CPU time used by the process",
    "stat rusage_system": "CPU time used by the process",
    "stat tcpport": "each server listens on its own free port: masked when it is that port",
    "stat items:1:age": "seconds since class 1's oldest item was accessed, on each server's "
                        "own one-second clock",
    "metadump la": "an item's last access in `lru_crawler metadump`: a time on each server's "
                   "own clock",
    "stat curr_connections": "in a case of several connections only: a server counts a closed "
                             "connection until its close completes, which races with the client "
                             "seeing EOF and opening the next one",
    "stats conns fd": "`stats conns` names each connection by its fd, which each process numbers "
                      "its own way: renumbered #1, #2, ... by first appearance on each side",
    "stats conns port": "in `stats conns` addresses, the server's own port becomes <port> and a "
                        "client's (ephemeral) port <client port>",
    "stats conns secs": "secs_since_last_cmd counts whole seconds of each server's clock since "
                        "the connection's last command: <secs>",
}

STAT_MASKS = {name[5:] for name in MASKS if name.startswith("stat ")}
VERSION_RE = re.compile(rb"1\.6\.18(-cuckood-[0-9A-Za-z.+~-]+)?")
META_LINE_RE = re.compile(rb"(VA \d+|HD|EN|NF|NS|EX|MN)(( \S+)*)")
VALUE_RE = re.compile(rb"VALUE (\S+) (\d+) (\d+)( (\d+))?")
VA_RE = re.compile(rb"VA (\d+)(?: .*)?")
ME_CAS_RE = re.compile(rb"(ME \S+ exp=-?\d+ la=\d+ cas=)(\d+)( .*)")
METADUMP_RE = re.compile(rb"(key=\S+ exp=-?\d+ la=)(\d+)( cas=)(\d+)( .*)", re.S)
STAT_RE = re.compile(rb"STAT (\S+) (.*)")
CONNS_STAT_RE = re.compile(rb"(\d+):(addr|listen_addr|state|secs_since_last_cmd)")
ADDRESS_PORT_RE = re.compile(rb"(tcp6?:.*):(\d+)")
DATA_SHOWN = 64  # data blocks longer than this appear in transcripts as length + digest


class Masker:
    """One side's masking state for one case: the cas numbering and which masks fired."""

    def __init__(self, port, connections):
        self.port = port
        self.connections = connections
        self.cas_values = []
        self.cas_ids = {}
        self.fds = {}
        self.fired = set()

    def cas(self, value):
        self.fired.add("cas")
        if value not in self.cas_ids:
            self.cas_values.append(value)
            self.cas_ids[value] = len(self.cas_values)
        return self.cas_ids[value]

    def version(self, text):
        if VERSION_RE.fullmatch(text):
            self.fired.add("version")
            return b"<version>"
        return text

    def stat(self, name, value):
        if name == b"version":
            return self.version(value)
        if name == b"tcpport" and value != b"%d" % self.port:
            return value
        if name == b"curr_connections" and self.connections == 1:
            return value
        if name.decode(errors="replace") in STAT_MASKS:
            self.fired.add("stat " + name.decode())
            return b"<" + name + b">"
        return value

    def conns_stat(self, fd, field, value):
        """A `stats conns` line's name and value with the "stats conns" masks applied."""
        self.fired.add("stats conns fd")
        fd_id = self.fds.setdefault(fd, len(self.fds) + 1)
        if field == b"secs_since_last_cmd":
            self.fired.add("stats conns secs")
            value = b"<secs>"
        m = ADDRESS_PORT_RE.fullmatch(value)
        if m and field in (b"addr", b"listen_addr"):
            self.fired.add("stats conns port")
            own = int(m.group(2)) == self.port
            value = m.group(1) + (b":<port>" if own else b":<client port>")
        return b"#%d:%s" % (fd_id, field), value

    def text_line(self, line):
        m = VALUE_RE.fullmatch(line)
        if m and m.group(5):
            return line[:m.start(5)] + b"#%d" % self.cas(int(m.group(5)))
        m = META_LINE_RE.fullmatch(line)
        if m:
            flags = [b"c#%d" % self.cas(int(f[1:])) if re.fullmatch(rb"c\d+", f) else f
                     for f in m.group(2).split()]
            return b" ".join([m.group(1)] + flags)
        m = ME_CAS_RE.fullmatch(line)
        if m:
            return m.group(1) + b"#%d" % self.cas(int(m.group(2))) + m.group(3)
        m = METADUMP_RE.fullmatch(line)
        if m:
            self.fired.add("metadump la")
            return (m.group(1) + b"<la>" + m.group(3) + b"#%d" % self.cas(int(m.group(4))) +
                    m.group(5))
        if line.startswith(b"VERSION "):
            return b"VERSION " + self.version(line[8:])
        m = STAT_RE.fullmatch(line)
        if m:
            conns = CONNS_STAT_RE.fullmatch(m.group(1))
            if conns:
                return b"STAT %s %s" % self.conns_stat(conns.group(1), conns.group(2), m.group(2))
            return b"STAT " + m.group(1) + b" " + self.stat(m.group(1), m.group(2))
        return line


def escape(data):
    """Bytes as transcript text: printable ASCII as is, the rest escaped as in case files;
    trailing spaces as \\x20 so that an editor cannot lose them."""
    out = []
    for b in data:
        c = chr(b)
        if c == "\\":
            out.append("\\\\")
        elif c == "\r":
            out.append("\\r")
        elif c == "\n":
            out.append("\\n")
        elif c == "\t":
            out.append("\\t")
        elif 0x20 <= b < 0x7F:
            out.append(c)
        else:
            out.append("\\x%02x" % b)
    text = "".join(out)
    stripped = text.rstrip(" ")
    return stripped + "\\x20" * (len(text) - len(stripped))


def show_data(data):
    if len(data) <= DATA_SHOWN:
        return escape(data)
    return "{%d bytes sha1:%s}" % (len(data), hashlib.sha1(data).hexdigest()[:16])


def text_transcript(data, masker):
    lines = []
    pos = 0
    while pos < len(data):
        end = data.find(b"\r\n", pos)
        if end < 0:
            lines.append("<| " + escape(data[pos:]))
            break
        line = data[pos:end]
        pos = end + 2
        lines.append("< " + escape(masker.text_line(line)))
        m = VALUE_RE.fullmatch(line) or VA_RE.fullmatch(line)
        if m:
            n = int(m.group(3) if m.re is VALUE_RE else m.group(1))
            block = data[pos:pos + n]
            pos += len(block)
            if len(block) == n and data[pos:pos + 2] == b"\r\n":
                pos += 2
                lines.append("< " + show_data(block))
            else:
                lines.append("<| " + show_data(block))
    return lines


def binary_transcript(data, masker):
    lines = []
    pos = 0
    while pos + 24 <= len(data):
        magic, op, keylen, extlen, dtype, status, bodylen, opaque, cas = HEADER.unpack(
            data[pos:pos + 24])
        if magic != 0x81 or pos + 24 + bodylen > len(data) or keylen + extlen > bodylen:
            break
        body = data[pos + 24:pos + 24 + bodylen]
        pos += 24 + bodylen
        extras, key, value = body[:extlen], body[extlen:extlen + keylen], body[extlen + keylen:]
        if op == OPCODES["VERSION"]:
            value = masker.version(value)
        elif op == OPCODES["STAT"] and key:
            value = masker.stat(key, value)
        fields = ["op=%s" % OPCODE_NAMES.get(op, "0x%02x" % op), "st=0x%04x" % status,
                  "opq=0x%x" % opaque, "cas=%s" % ("#%d" % masker.cas(cas) if cas else "0")]
        if dtype:
            fields.append("dt=0x%02x" % dtype)
        if extras:
            fields.append("x=" + extras.hex())
        if key:
            fields.append("k=" + escape(key))
        if value:
            fields.append("v=" + show_data(value))
        lines.append("< " + " ".join(fields))
    if pos < len(data):
        lines.append("<| " + show_data(data[pos:]))
    return lines


def sync_request(binary, n):
    """What the runner appends to a step to learn that its replies are complete: a request
    whose reply no case can produce (a miss of a reserved key echoing a unique opaque)."""
    if binary:
        return (HEADER.pack(0x80, OPCODES["NOOP"], 0, 0, 0, 0, 0, 0x5E000000 + n, 0),
                HEADER.pack(0x81, OPCODES["NOOP"], 0, 0, 0, 0, 0, 0x5E000000 + n, 0))
    return (b"mg __diff_sync__ k O%d\r\n" % n, b"EN k__diff_sync__ O%d\r\n" % n)


def exchange(sock, data, chunk, until):
    """Sends `data` in writes of `chunk` bytes (all at once if None) while reading replies, so
    that a server blocked on a full send buffer cannot deadlock us. With `until` bytes, reads
    until the replies end with them; with None, half-closes and reads to EOF. Returns
    (replies, how it ended: "sync", "eof" or "timeout")."""
    sock.setblocking(False)
    sel = selectors.DefaultSelector()
    sel.register(sock, selectors.EVENT_READ | selectors.EVENT_WRITE)
    pos = 0
    buf = b""
    deadline = time.monotonic() + TIMEOUT
    sending = True
    try:
        while True:
            if not sending and until is not None and buf.endswith(until):
                return buf[:-len(until)], "sync"
            if time.monotonic() > deadline:
                return buf, "timeout"
            for _, events in sel.select(0.5):
                if events & selectors.EVENT_READ:
                    try:
                        got = sock.recv(1 << 20)
                    except ConnectionResetError:
                        got = b""
                    except BlockingIOError:
                        continue
                    if not got:
                        return buf, "eof"
                    buf += got
                if sending and events & selectors.EVENT_WRITE:
                    try:
                        pos += sock.send(data[pos:pos + chunk] if chunk else data[pos:])
                    except BlockingIOError:
                        pass
                    except OSError:  # the server closed: what it answered is still readable
                        pos = len(data)
                    if pos >= len(data):
                        sending = False
                        if until is None:
                            try:
                                sock.shutdown(socket.SHUT_WR)
                            except OSError:
                                pass
                        sel.modify(sock, selectors.EVENT_READ)
    finally:
        sel.close()


def run_case(case, split, port):
    """Runs `case` against the server on `port`; returns (transcript lines, masker, bytes of
    requests sent)."""
    masker = Masker(port, len(case.conns))
    lines = []
    syncs = 0
    sent = 0
    for conn_index, conn in enumerate(case.conns):
        if conn_index:
            lines.append("== conn")
        binary = case.binary(conn)
        sock = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            for step_index, step in enumerate(conn):
                data = b"".join(r.render(masker.cas_values) for r in step)
                sent += len(data)
                last = step_index == len(conn) - 1
                expect = None
                if not last:
                    syncs += 1
                    request, expect = sync_request(binary, syncs)
                    data += request
                replies, end = exchange(sock, data, split, expect)
                lines += (binary_transcript if binary else text_transcript)(replies, masker)
                if end == "timeout":
                    lines.append("(timeout)")
                    break
                if end == "eof" and not last:
                    lines.append("(closed)")
                    break
                if not last:
                    lines.append("--")
        finally:
            sock.close()
    return lines, masker, sent


def owns_port(pid, port):
    """True if process `pid` holds the listening socket on 127.0.0.1:`port` (so that a server
    that lost a race for its free port, while another process took it, is not mistaken for
    ours)."""
    inodes = set()
    with open("/proc/net/tcp") as f:
        for row in f.readlines()[1:]:
            fields = row.split()
            if fields[1] == "0100007F:%04X" % port and fields[3] == "0A":
                inodes.add("socket:[%s]" % fields[9])
    fd_dir = "/proc/%d/fd" % pid
    try:
        return any(os.readlink(os.path.join(fd_dir, fd)) in inodes for fd in os.listdir(fd_dir))
    except OSError:
        return False


def start_server(args, binary):
    error = None
    for _ in range(10):
        server = harness.Server(args, binary=binary)
        try:
            server.start()
        except RuntimeError as e:
            error = e  # its port was taken meanwhile (or a bad flag: said after 10 tries)
            continue
        if owns_port(server.proc.pid, server.port):
            return server
        server.stop()
    raise RuntimeError("could not start %s %s on a free port: %s" % (binary, args, error))


class ServerPair:
    def __init__(self, args):
        full = list(BASE_ARGS) + list(args)
        self.memcached = start_server(full, harness.MEMCACHED_BIN)
        self.cuckood = start_server(full, harness.CUCKOOD_BIN)

    def prepare(self):
        """Every case starts on an empty cache at verbosity 0."""
        for server in (self.memcached, self.cuckood):
            conn = server.connect()
            reply = conn.request(b"flush_all\r\nverbosity 0\r\n", b"OK\r\nOK\r\n")
            conn.close()
            assert reply == b"OK\r\nOK\r\n", (server.binary, reply)

    def stop(self):
        """Stops cuckood (it must exit 0) and only signals memcached, which takes about a second
        to exit (reap() waits for it)."""
        self.memcached.proc.terminate()
        code = self.cuckood.stop()
        assert code == 0, "cuckood exit code %s: %s" % (code, self.cuckood.output())

    def reap(self):
        self.memcached.stop()
        for server in (self.memcached, self.cuckood):
            server.log.close()


def apply_differences(case_name, transcript, differences, mark=True):
    """memcached's transcript with every documented difference of this case rewritten to the
    cuckood answer; returns (expected lines, entries applied). `mark`: record which hunks
    matched (for the check that each still does)."""
    applied = []
    for entry in differences:
        for hunk in entry.hunks:
            if not hunk.applies_to(case_name):
                continue
            n = len(hunk.memcached)
            out, i, hit = [], 0, False
            while i < len(transcript):
                if len(transcript[i:i + n]) == n and matches(hunk.memcached, transcript[i:i + n]):
                    out += hunk.cuckood
                    i += n
                    hit = True
                else:
                    out.append(transcript[i])
                    i += 1
            if hit:
                hunk.used = hunk.used or mark
                transcript = out
                if entry not in applied:
                    applied.append(entry)
    return transcript, applied


def matches(expected, got):
    """Transcripts equal, a pattern line (from a ~: line) matching in full."""
    return len(expected) == len(got) and all(
        e == g if isinstance(e, str) else isinstance(g, str) and e.fullmatch(g)
        for e, g in zip(expected, got))


def shown_as(line, got_line):
    """A pattern line for the diff: the line it matched, else the pattern itself."""
    if isinstance(line, str):
        return line
    return got_line if got_line is not None and line.fullmatch(got_line) else "~" + line.pattern


def load_cases():
    cases = []
    for path in sorted(glob.glob(os.path.join(CASE_DIR, "*.cases"))):
        cases += parse_cases(path)
    names = [c.name for c in cases]
    duplicates = {n for n in names if names.count(n) > 1}
    if duplicates:
        raise CaseError(CASE_DIR, "duplicate case names %s" % sorted(duplicates))
    only = os.environ.get("CUCKOOD_DIFF_ONLY")
    return [c for c in cases if not only or fnmatch.fnmatchcase(c.name, only)]


class MemcachedDiff(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not os.access(harness.MEMCACHED_BIN, os.X_OK):
            raise RuntimeError("%s is missing: scripts/install-deps.sh test installs it"
                               % harness.MEMCACHED_BIN)
        cls.cases = load_cases()
        cls.deliberate = parse_differences(os.path.join(CASE_DIR, "deliberate.diffs"),
                                           "deliberate")
        cls.known_bugs = parse_differences(os.path.join(CASE_DIR, "known_bugs.diffs"),
                                           "known bug")
        cls.pairs = {}
        cls.stopped = []  # fresh pairs, stopped, whose memcached is still to be reaped
        cls.pool = concurrent.futures.ThreadPoolExecutor(2)

    @classmethod
    def tearDownClass(cls):
        cls.pool.shutdown()
        for pair in cls.pairs.values():
            pair.stop()
        for pair in cls.stopped + list(cls.pairs.values()):
            pair.reap()

    def pair_for(self, case):
        if case.fresh:
            pair = ServerPair(case.args)
            self.stopped.append(pair)
            return pair
        if case.args not in self.pairs:
            self.pairs[case.args] = ServerPair(case.args)
        pair = self.pairs[case.args]
        pair.prepare()
        return pair

    def compare(self, case, split):
        """Returns None when the case matches, else a report of the difference."""
        differences = self.deliberate + self.known_bugs
        for attempt in range(3 if case.clock else 1):
            pair = self.pair_for(case)
            try:
                ours = self.pool.submit(run_case, case, split, pair.cuckood.port)
                (reference, reference_masker, sent), (got, masker, _) = (
                    run_case(case, split, pair.memcached.port), ours.result())
            finally:
                if case.fresh:
                    pair.stop()
            self.fired |= masker.fired | reference_masker.fired
            self.sent += sent
            expected, applied = apply_differences(case.name, reference, differences)
            for entry in applied:
                self.observed.setdefault(entry, set()).add(case.name)
            if matches(expected, got):
                return None
            gone = [entry for entry in applied if matches(apply_differences(
                case.name, reference, [e for e in differences if e is not entry], False)[0], got)]
            if gone:
                return "case %s: cuckood now answers as memcached where %s said it did not: " \
                       "remove it from the lists (or its hunk for this case)" % (
                           case.name, ", ".join(e.name for e in gone))
        expected = [shown_as(line, got[i] if i < len(got) else None)
                    for i, line in enumerate(expected)]
        diff = difflib.unified_diff(expected, got, "memcached%s" % (
            " after " + ", ".join(e.name for e in applied) if applied else ""), "cuckood",
            lineterm="", n=4)
        return "case %s (%s), split %s:\n%s" % (case.name, case.where, split or "whole",
                                                 "\n".join(diff))

    def test_cases_answer_as_memcached(self):
        self.fired, self.observed, self.sent = set(), {}, 0
        started = time.monotonic()
        runs = 0
        for case in self.cases:
            for split in case.splits:
                runs += 1
                with self.subTest(case=case.name, split=split or "whole"):
                    t0 = time.monotonic()
                    report = self.compare(case, split)
                    if os.environ.get("CUCKOOD_DIFF_TIMES"):
                        sys.stderr.write("%6.3f %s %s\n" % (time.monotonic() - t0, case.name,
                                                             split or "whole"))
                    if report:
                        self.fail(report)
        if not os.environ.get("CUCKOOD_DIFF_ONLY"):
            for entry in self.deliberate + self.known_bugs:
                for hunk in entry.hunks:
                    with self.subTest(entry=entry.name):
                        self.assertTrue(hunk.used, "%s (%s): no case shows this difference "
                                        "any more: %r" % (entry.name, entry.where,
                                                          hunk.memcached))
        requests = sum(c.request_count() for c in self.cases)
        sys.stderr.write("\n%d cases (%d requests), %d runs sending %d bytes to each server, "
                         "%.1f s; masks fired: %s; not fired: %s\n" % (
                             len(self.cases), requests, runs, self.sent,
                             time.monotonic() - started, ", ".join(sorted(self.fired)),
                             ", ".join(sorted(set(MASKS) - self.fired)) or "none"))
        for entry in self.known_bugs:
            if entry in self.observed:
                sys.stderr.write("KNOWN BUG, to fix: %s — %s (cases: %s)\n" % (
                    entry.name, " ".join(entry.reason), ", ".join(sorted(self.observed[entry]))))


if __name__ == "__main__":
    unittest.main()
