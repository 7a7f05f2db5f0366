"""Meta commands (mg/ms/md/ma/me/mn) over raw sockets against the running server, with the
replies memcached 1.6.18 gives (CUCKOOD_REFERENCE=memcached runs them against it).
cas values differ between servers, so they are read back rather than spelled out."""

import re
import unittest

from test_text import REFERENCE, TextTestCase


class Meta(TextTestCase):
    def test_noop_and_quiet_pipeline(self):
        self.c.send(b"ms a 1 q\r\nA\r\nmg a v q\r\nmg miss v q\r\nmd miss q\r\nmn\r\n")
        self.assertEqual(self.c.read_until(b"MN\r\n"), b"VA 1\r\nA\r\nNF\r\nMN\r\n")

    def test_get_flags(self):
        self.assertEqual(self.ask(b"ms k 2 F5 T100\r\nhi\r\n"), b"HD\r\n")
        reply = self.ask(b"mg k s v f t k O9 c\r\n", b"hi\r\n")
        self.assertRegex(reply, rb"^VA 2 s2 f5 t(100|99) kk O9 c\d+\r\nhi\r\n$")
        unique = re.search(rb" c(\d+)", reply).group(1)
        self.assertEqual(self.ask(b"gets k\r\n", b"END\r\n").split(b"\r\n")[0],
                         b"VALUE k 5 2 " + unique)
        self.assertEqual(self.ask(b"mg k h\r\n"), b"HD h1\r\n")
        self.assertEqual(self.ask(b"mg miss k O1\r\n"), b"EN kmiss O1\r\n")

    def test_touch_and_vivify(self):
        # T2, not T1: the touch must reach k before it expires (see test_text's
        # test_gat_gats_touch_expiry); once c, set after k with T2, is gone, k lives by T100.
        self.ask(b"ms k 1 T2\r\nx\r\n")
        self.assertEqual(self.ask(b"mg k T100 v\r\n", b"x\r\n"), b"VA 1\r\nx\r\n")
        self.ask(b"ms c 1 T2\r\ny\r\n")
        self.assertEqual(self.ask(b"mg new N30 s t\r\n"), b"HD s0 t30 W\r\n")
        self.assertTrue(self.gone(b"c"))
        self.assertEqual(self.ask(b"mg k v\r\n", b"x\r\n"), b"VA 1\r\nx\r\n")

    def test_set_modes_and_cas(self):
        reply = self.ask(b"ms k 1 c\r\nx\r\n")
        unique = int(re.match(rb"HD c(\d+)\r\n", reply).group(1))
        self.assertEqual(self.ask(b"ms k 1 ME\r\ny\r\n"), b"NS\r\n")
        self.assertEqual(self.ask(b"ms k 1 MA\r\ny\r\n"), b"HD\r\n")
        self.assertEqual(self.ask(b"ms k 1 MP\r\nw\r\n"), b"HD\r\n")
        self.assertEqual(self.ask(b"ms k 1 C%d\r\nz\r\n" % unique), b"EX\r\n")
        self.assertEqual(self.ask(b"ms nokey 1 C%d\r\nz\r\n" % unique), b"NF\r\n")
        self.assertEqual(self.ask(b"ms nokey 1 MR\r\nz\r\n"), b"NS\r\n")
        self.assertEqual(self.ask(b"mg k v\r\n", b"wxy\r\n"), b"VA 3\r\nwxy\r\n")

    @unittest.skipIf(REFERENCE, "append-or-create (MA N) is newer than memcached 1.6.18")
    def test_append_or_create_with_vivify(self):
        # A miss creates the item from the value, its flags and N's TTL; a hit appends and
        # keeps both; without N the miss stays NS.
        self.assertEqual(self.ask(b"ms v 2 MA N100 F3\r\nab\r\n"), b"HD\r\n")
        self.assertEqual(self.ask(b"ms v 2 MA N0 F9\r\ncd\r\n"), b"HD\r\n")
        self.assertEqual(self.ask(b"ms v 1 MP N0\r\nz\r\n"), b"HD\r\n")
        self.assertRegex(self.ask(b"mg v v f t\r\n", b"zabcd\r\n"),
                         rb"^VA 5 f3 t(100|99)\r\nzabcd\r\n$")
        self.assertEqual(self.ask(b"ms p 1 MP N0\r\ny\r\n"), b"HD\r\n")
        self.assertEqual(self.ask(b"mg p v t\r\n", b"y\r\n"), b"VA 1 t-1\r\ny\r\n")
        self.assertEqual(self.ask(b"ms w 1 MA\r\nx\r\n"), b"NS\r\n")

    def test_base64_key(self):
        self.assertEqual(self.ask(b"ms AAEC 1 b k\r\nx\r\n"), b"HD kAAEC b\r\n")
        self.assertEqual(self.ask(b"mg AAEC b k v\r\n", b"x\r\n"), b"VA 1 kAAEC b\r\nx\r\n")
        self.assertEqual(self.ask(b"mg bad! b\r\n"), b"CLIENT_ERROR error decoding key\r\n")

    def test_delete(self):
        self.ask(b"ms k 1\r\nx\r\n")
        self.assertEqual(self.ask(b"md k C999999999 k\r\n"), b"EX kk\r\n")
        self.assertEqual(self.ask(b"md k O3\r\n"), b"HD O3\r\n")
        self.assertEqual(self.ask(b"md k\r\n"), b"NF\r\n")

    def test_arithmetic(self):
        self.assertEqual(self.ask(b"ma n\r\n"), b"NF\r\n")
        self.assertEqual(self.ask(b"ma n N0 J10 v\r\n", b"10\r\n"), b"VA 2\r\n10\r\n")
        self.assertEqual(self.ask(b"ma n D5 v t\r\n", b"15\r\n"), b"VA 2 t-1\r\n15\r\n")
        self.assertEqual(self.ask(b"ma n MD D100 v\r\n", b"0\r\n"), b"VA 1\r\n0\r\n")
        self.assertEqual(self.ask(b"ma n M+ D18446744073709551615 v\r\n", b"5\r\n"),
                         b"VA 20\r\n18446744073709551615\r\n")
        self.assertEqual(self.ask(b"ma n v\r\n", b"0\r\n"), b"VA 1\r\n0\r\n")  # wraps
        self.assertEqual(self.ask(b"ma n MX\r\n"), b"CLIENT_ERROR invalid mode for ma M token\r\n")
        self.ask(b"ms s 1\r\nx\r\n")
        self.assertEqual(self.ask(b"ma s\r\n"),
                         b"CLIENT_ERROR cannot increment or decrement non-numeric value\r\n")

    def test_debug(self):
        self.ask(b"ms m 1 T99\r\nx\r\n")
        self.assertRegex(self.ask(b"me m\r\n"),
                         rb"^ME m exp=-(99|98) la=\d+ cas=\d+ fetch=no cls=\d+ size=\d+\r\n$")
        self.assertEqual(self.ask(b"me nokey\r\n"), b"EN\r\n")

    def test_errors_keep_connection(self):
        self.assertEqual(self.ask(b"mg\r\n"), b"ERROR\r\n")
        self.assertEqual(self.ask(b"mg x Z\r\n"), b"CLIENT_ERROR invalid flag\r\n")
        self.assertEqual(self.ask(b"mg x v v\r\n"), b"CLIENT_ERROR duplicate flag\r\n")
        # An error after the length is known swallows the data block.
        self.assertEqual(self.ask(b"ms k 2 MX\r\nhi\r\nmn\r\n", b"MN\r\n"),
                         b"CLIENT_ERROR invalid mode for ms M token\r\nMN\r\n")
        self.assertEqual(self.ask(b"ms k 2 q\r\nhiX\r\n", b"ERROR\r\n"),
                         b"CLIENT_ERROR bad data chunk\r\nERROR\r\n")
        self.assertStillOpen()

    def test_too_large(self):
        value = b"v" * (2 * 1024 * 1024)
        self.c.send(b"ms big %d\r\n" % len(value) + value + b"\r\nmn\r\n")
        self.assertEqual(self.c.read_until(b"MN\r\n"),
                         b"SERVER_ERROR object too large for cache\r\nMN\r\n")

    def test_vivify_win_then_token_sent(self):
        self.assertEqual(self.ask(b"mg nv N30 s v\r\n", b"\r\n\r\n"), b"VA 0 s0 W\r\n\r\n")
        self.assertEqual(self.ask(b"mg nv N30 s\r\n"), b"HD s0 Z\r\n")
        other = self.conn()
        self.assertEqual(other.request(b"mg nv N30 s\r\n"), b"HD s0 Z\r\n")
        # The winner recaches; the new version is fresh: no W, X or Z.
        self.assertEqual(self.ask(b"ms nv 2 T60\r\nok\r\n"), b"HD\r\n")
        self.assertEqual(self.ask(b"mg nv N30 v\r\n", b"ok\r\n"), b"VA 2\r\nok\r\n")

    def test_recache_when_ttl_below(self):
        self.ask(b"ms r 1 T100\r\nx\r\n")
        self.assertEqual(self.ask(b"mg r R30 s\r\n"), b"HD s1\r\n")  # 100 s left: no win
        self.assertEqual(self.ask(b"mg r R200 s\r\n"), b"HD s1 W\r\n")
        self.assertEqual(self.ask(b"mg r R200 s\r\n"), b"HD s1 Z\r\n")
        self.assertEqual(self.ask(b"mg r s\r\n"), b"HD s1 Z\r\n")
        self.ask(b"ms n 1 T0\r\nx\r\n")
        self.assertEqual(self.ask(b"mg n R200 s\r\n"), b"HD s1\r\n")  # no deadline: no win

    def test_invalidate_serve_stale_and_revalidate(self):
        reply = self.ask(b"ms k 3 T0 c\r\nmoo\r\n")
        first = int(re.match(rb"HD c(\d+)\r\n", reply).group(1))
        self.assertEqual(self.ask(b"md k I T30\r\n"), b"HD\r\n")
        reply = self.ask(b"mg k s c v\r\n", b"moo\r\n")
        match = re.match(rb"VA 3 s3 c(\d+) X W\r\nmoo\r\n$", reply)
        self.assertTrue(match, reply)
        stale = int(match.group(1))
        self.assertNotEqual(stale, first)  # invalidating bumps the cas
        self.assertEqual(self.ask(b"mg k s\r\n"), b"HD s3 Z X\r\n")
        # An older cas with I stores the value, still stale, deadline and token kept.
        self.assertEqual(self.ask(b"ms k 1 I C%d\r\nf\r\n" % first), b"HD\r\n")
        self.assertRegex(self.ask(b"mg k t v\r\n", b"f\r\n"), rb"^VA 1 t(30|29) Z X\r\nf\r\n$")
        # Without I an older cas is refused; with the current one the value is fresh again.
        self.assertEqual(self.ask(b"ms k 1 C%d\r\ng\r\n" % first), b"EX\r\n")
        cas = int(re.search(rb" c(\d+)", self.ask(b"mg k c\r\n")).group(1))
        self.assertEqual(self.ask(b"ms k 1 T90 C%d\r\ng\r\n" % cas), b"HD\r\n")
        self.assertRegex(self.ask(b"mg k t v\r\n", b"g\r\n"), rb"^VA 1 t(90|89)\r\ng\r\n$")
        self.assertEqual(self.ask(b"md missing I\r\n"), b"NF\r\n")
        self.assertEqual(self.ask(b"md k I C1\r\n"), b"EX\r\n")

    def test_binary_key_is_returned_as_stored(self):
        self.ask(b"ms YWJj 1 b\r\nz\r\n")
        self.assertEqual(self.ask(b"mg abc k v\r\n", b"z\r\n"), b"VA 1 kYWJj b\r\nz\r\n")
        self.ask(b"ms plain 1\r\nz\r\n")
        self.assertEqual(self.ask(b"mg cGxhaW4= b k\r\n"), b"HD kplain\r\n")

    def test_no_update_keeps_the_hit_state(self):
        self.ask(b"ms u 1\r\nx\r\n")
        self.assertEqual(self.ask(b"mg u u h\r\n"), b"HD h0\r\n")
        self.assertEqual(self.ask(b"mg u h\r\n"), b"HD h0\r\n")
        self.assertEqual(self.ask(b"mg u u h\r\n"), b"HD h1\r\n")

    def test_one_winner_among_concurrent_clients(self):
        clients = [self.conn() for _ in range(8)]
        for round_ in range(20):
            key = b"race%d" % round_
            self.ask(b"ms %s 1 T0\r\nx\r\n" % key)
            self.assertEqual(self.ask(b"md %s I\r\n" % key), b"HD\r\n")
            for c in clients:
                c.send(b"mg %s R30 s\r\n" % key)
            replies = [c.read_until(b"\r\n") for c in clients]
            self.assertEqual(sum(r.endswith(b" W\r\n") for r in replies), 1, replies)
            self.assertEqual(sum(r == b"HD s1 Z X\r\n" for r in replies), len(clients) - 1)


if __name__ == "__main__":
    unittest.main()
