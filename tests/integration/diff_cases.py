"""The case language of the differential test (test_memcached_diff.py): parses the request
streams in differential/*.cases and the documented differences in differential/*.diffs.
The format is described in differential/README.md; this module only reads it.

A case holds connections, a connection holds steps, a step holds requests. A request is kept
as a list of parts, literal bytes or a reference to a cas value that only the server's earlier
replies can give (`{cas1}`), so that it is rendered per server at run time.
"""

import codecs
import fnmatch
import os
import re
import shlex
import struct

# Binary opcodes by the names protocol_binary.h gives them.
OPCODES = {
    "GET": 0x00, "SET": 0x01, "ADD": 0x02, "REPLACE": 0x03, "DELETE": 0x04, "INCREMENT": 0x05,
    "DECREMENT": 0x06, "QUIT": 0x07, "FLUSH": 0x08, "GETQ": 0x09, "NOOP": 0x0A, "VERSION": 0x0B,
    "GETK": 0x0C, "GETKQ": 0x0D, "APPEND": 0x0E, "PREPEND": 0x0F, "STAT": 0x10, "SETQ": 0x11,
    "ADDQ": 0x12, "REPLACEQ": 0x13, "DELETEQ": 0x14, "INCREMENTQ": 0x15, "DECREMENTQ": 0x16,
    "QUITQ": 0x17, "FLUSHQ": 0x18, "APPENDQ": 0x19, "PREPENDQ": 0x1A, "VERBOSITY": 0x1B,
    "TOUCH": 0x1C, "GAT": 0x1D, "GATQ": 0x1E, "SASL_LIST_MECHS": 0x20, "SASL_AUTH": 0x21,
    "SASL_STEP": 0x22, "GATK": 0x23, "GATKQ": 0x24,
}
OPCODE_NAMES = {v: k for k, v in OPCODES.items()}
HEADER = struct.Struct(">BBHBBHIIQ")
EXTRA_TYPES = {"u8": ">B", "u16": ">H", "u32": ">I", "u64": ">Q", "i32": ">i"}
DEFAULT_SPLITS = (None, 1, 7)  # one write per step, byte by byte, 7-byte writes


class CaseError(Exception):
    def __init__(self, where, message):
        super().__init__("%s: %s" % (where, message))


class CasRef:
    """`{casN+K}`: this server's N-th distinct cas value (numbered as the cas mask numbers
    them), plus K."""

    def __init__(self, index, offset):
        self.index, self.offset = index, offset

    def value(self, cas_values, where):
        if self.index > len(cas_values):
            raise CaseError(where, "{cas%d} used before the server showed %d cas values"
                            % (self.index, self.index))
        return cas_values[self.index - 1] + self.offset


def unescape(text):
    """Python-style escapes (\\r \\n \\t \\xNN \\\\) to bytes; other characters as UTF-8."""
    return codecs.escape_decode(text.encode("utf-8"))[0]


TEMPLATE = re.compile(r"\{\{|\}\}|\{([^{}]*)\}")


def parse_bytes(text, where):
    """Escaped text with templates into parts: bytes and CasRef."""
    parts = []
    pos = 0
    for m in TEMPLATE.finditer(text):
        literal = text[pos:m.start()]
        pos = m.end()
        if literal:
            parts.append(unescape(literal))
        if m.group(1) is None:
            parts.append(m.group(0)[0].encode())
            continue
        body = m.group(1)
        cas = re.fullmatch(r"cas(\d+)(?:([+-])(\d+))?", body)
        rep = re.fullmatch(r"rep:(\d+):(.+)", body, re.S)
        if cas:
            offset = int(cas.group(3) or 0) * (-1 if cas.group(2) == "-" else 1)
            parts.append(CasRef(int(cas.group(1)), offset))
        elif rep:
            unit = unescape(rep.group(2))
            n = int(rep.group(1))
            parts.append((unit * (n // len(unit) + 1))[:n])
        elif re.fullmatch(r"pat:\d+", body):
            n = int(body[4:])
            parts.append((bytes(range(256)) * (n // 256 + 1))[:n])
        else:
            raise CaseError(where, "unknown template {%s}" % body)
    if text[pos:]:
        parts.append(unescape(text[pos:]))
    return parts


def render_parts(parts, cas_values, where):
    out = b""
    for p in parts:
        out += b"%d" % p.value(cas_values, where) if isinstance(p, CasRef) else p
    return out


class TextRequest:
    def __init__(self, parts, where):
        self.parts, self.where = parts, where

    def render(self, cas_values):
        return render_parts(self.parts, cas_values, self.where)

    def first_byte(self):
        first = next((p for p in self.parts if isinstance(p, bytes) and p), b"")
        return first[:1]


class BinaryRequest:
    """`bin OPCODE field=value ...`: one binary request packet."""

    FIELDS = {"key", "value", "extras", "opaque", "cas", "magic", "datatype", "vbucket",
              "keylen", "extlen", "bodylen", "cut"}

    def __init__(self, line, where):
        self.where = where
        lex = shlex.shlex(line, posix=True)
        lex.whitespace_split = True
        lex.escape = ""  # backslashes are ours (unescape), not shlex's
        words = list(lex)
        if len(words) < 2:
            raise CaseError(where, "bin needs an opcode")
        op = words[1]
        self.opcode = OPCODES[op.upper()] if op.upper() in OPCODES else int(op, 0)
        self.fields = {}
        for word in words[2:]:
            name, eq, value = word.partition("=")
            if not eq or name not in self.FIELDS:
                raise CaseError(where, "bad field %r" % word)
            self.fields[name] = value
        self.key = parse_bytes(self.fields.get("key", ""), where)
        self.value = parse_bytes(self.fields.get("value", ""), where)
        self.extras = self.parse_extras(self.fields.get("extras", ""))

    def parse_extras(self, spec):
        out = b""
        for item in filter(None, spec.split(",")):
            kind, _, number = item.partition(":")
            if kind == "hex":
                out += bytes.fromhex(number)
            elif kind in EXTRA_TYPES:
                out += struct.pack(EXTRA_TYPES[kind], int(number, 0))
            else:
                raise CaseError(self.where, "bad extras item %r" % item)
        return out

    def number(self, name, default, cas_values):
        text = self.fields.get(name)
        if text is None:
            return default
        parts = parse_bytes(text, self.where)
        return int(render_parts(parts, cas_values, self.where), 0)

    def render(self, cas_values):
        key = render_parts(self.key, cas_values, self.where)
        value = render_parts(self.value, cas_values, self.where)
        body = self.extras + key + value
        n = lambda name, default: self.number(name, default, cas_values)
        packet = HEADER.pack(n("magic", 0x80), self.opcode, n("keylen", len(key)),
                             n("extlen", len(self.extras)), n("datatype", 0), n("vbucket", 0),
                             n("bodylen", len(body)), n("opaque", 0), n("cas", 0)) + body
        return packet[:n("cut", len(packet))]

    def first_byte(self):
        return bytes([int(self.fields.get("magic", "0x80"), 0) & 0xFF])


class Case:
    def __init__(self, name, where):
        self.name, self.where = name, where
        self.splits = DEFAULT_SPLITS
        self.args = ()
        self.fresh = False
        self.clock = None  # the reason this case's replies may move with the server's clock
        self.conns = [[[]]]  # connections → steps → requests

    def add(self, request):
        self.conns[-1][-1].append(request)

    def binary(self, conn):
        """A connection speaks binary when its first byte is a binary magic, as memcached
        decides."""
        first = next((r.first_byte() for step in conn for r in step if r.first_byte()), b"")
        return first == b"\x80"

    def request_count(self):
        return sum(len(step) for conn in self.conns for step in conn)


def read_lines(path):
    with open(path, encoding="utf-8") as f:
        return f.read().split("\n")


def parse_cases(path):
    cases = []
    case = None
    for number, raw in enumerate(read_lines(path), 1):
        where = "%s:%d" % (os.path.basename(path), number)
        line = raw.rstrip("\n")
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        word = stripped.split()[0]
        if word == "case":
            case = Case(stripped.split(None, 1)[1], where)
            cases.append(case)
            continue
        if case is None:
            raise CaseError(where, "%r outside a case" % word)
        started = case.request_count() > 0
        if line.lstrip().startswith(">|"):
            case.add(TextRequest(parse_bytes(line.lstrip()[3:], where), where))
        elif line.lstrip().startswith(">"):
            case.add(TextRequest(parse_bytes(line.lstrip()[2:], where) + [b"\r\n"], where))
        elif word == "bin":
            case.add(BinaryRequest(stripped, where))
        elif word == "--":
            if not case.conns[-1][-1]:
                raise CaseError(where, "empty step")
            case.conns[-1].append([])
        elif word == "conn":
            case.conns.append([[]])
        elif started:
            raise CaseError(where, "option %r after the first request" % word)
        elif word == "split":
            case.splits = tuple(None if s == "whole" else int(s) for s in stripped.split()[1:])
        elif word == "args":
            case.args = tuple(stripped.split()[1:])
        elif word == "fresh":
            case.fresh = True
        elif word == "clock":
            case.clock = stripped.split(None, 1)[1]
        elif word == "note":
            pass
        else:
            raise CaseError(where, "unknown line %r" % stripped)
    for case in cases:
        if any(not step for conn in case.conns for step in conn):
            raise CaseError(case.where, "case %s has an empty step or connection" % case.name)
    return cases


class Hunk:
    def __init__(self, cases):
        self.cases = cases  # globs of the case names it applies to
        self.memcached, self.cuckood = [], []
        self.used = False

    def applies_to(self, case_name):
        return any(fnmatch.fnmatchcase(case_name, pattern) for pattern in self.cases)


class Difference:
    """One documented difference: in the listed cases, memcached's (masked) transcript lines
    `memcached` stand where cuckood answers `cuckood`. A line given as `memcached~:` or
    `cuckood~:` is a regular expression the line must match in full: on memcached's side to
    name a family of lines, on cuckood's for a value that a bug makes vary. A `drop:` line is
    a hunk of its own: every line of memcached's it matches (`drop~:`: as a regular
    expression) is one cuckood does not send."""

    def __init__(self, kind, name, where):
        self.kind, self.name, self.where = kind, name, where
        self.reason = []
        self.hunks = []


def parse_differences(path, kind):
    """An entry's `case:` lines scope the hunks that follow them, up to the next `case:`."""
    entries = []
    entry = None
    side = None
    scope = []
    for number, raw in enumerate(read_lines(path), 1):
        where = "%s:%d" % (os.path.basename(path), number)
        line = raw.rstrip("\n")
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        word, _, rest = stripped.partition(" ")
        if word == "difference":
            entry = Difference(kind, rest.strip(), where)
            entries.append(entry)
            side = None
            scope = []
            continue
        if entry is None:
            raise CaseError(where, "%r outside an entry" % word)
        if word == "reason:":
            entry.reason.append(rest.strip())
        elif word == "case:":
            scope = (scope if side == "case" else []) + rest.split()
            side = "case"
        elif word in ("drop:", "drop~:"):
            if not scope:
                raise CaseError(where, "no case: before the first hunk")
            entry.hunks.append(Hunk(scope))
            text = line.split(":", 1)[1][1:]
            entry.hunks[-1].memcached.append(re.compile(text) if "~" in word else text)
            side = "drop"
        elif word in ("memcached:", "memcached~:", "cuckood:", "cuckood~:"):
            new_side = word.rstrip(":~")
            if not scope:
                raise CaseError(where, "no case: before the first hunk")
            if new_side == "memcached" and side != "memcached":
                entry.hunks.append(Hunk(scope))
            if new_side == "cuckood" and side not in ("memcached", "cuckood"):
                raise CaseError(where, "cuckood: before memcached:")
            side = new_side
            text = line.split(":", 1)[1][1:]
            getattr(entry.hunks[-1], side).append(re.compile(text) if "~" in word else text)
        else:
            raise CaseError(where, "unknown line %r" % stripped)
    for entry in entries:
        if not entry.reason or not entry.hunks:
            raise CaseError(entry.where, "%s needs reason:, case: and memcached: or drop: lines"
                            % entry.name)
    return entries
