"""--debug-time and `debugtime`: tests move the server's clock instead of sleeping, so expiry,
delayed flush_all, touch and last access are checked at exact second offsets. One worker (-t 1):
another worker would see a moved clock only from its next event-loop turn."""

import unittest

import harness


class DebugtimeTest(harness.ServerTestCase):
    SERVER_ARGS = ("-t", "1", "--debug-time")

    def setUp(self):
        self.c = self.conn()
        self.assertEqual(self.c.request(b"flush_all\r\n"), b"OK\r\n")

    def move(self, seconds):
        self.assertEqual(self.c.request(b"debugtime %d\r\n" % seconds), b"OK\r\n")

    def get(self, key):
        reply = self.c.request(b"get " + key + b"\r\n", b"END\r\n")
        return None if reply == b"END\r\n" else reply.split(b"\r\n")[1]

    def test_items_expire_at_their_deadline(self):
        self.assertEqual(self.c.request(b"set k 0 100 1\r\nv\r\n"), b"STORED\r\n")
        self.move(99)
        self.assertEqual(self.get(b"k"), b"v")
        self.move(1)
        self.assertIsNone(self.get(b"k"))

    def test_touch_and_gat_move_the_deadline(self):
        self.assertEqual(self.c.request(b"set k 0 10 1\r\nv\r\n"), b"STORED\r\n")
        self.move(5)
        self.assertEqual(self.c.request(b"touch k 20\r\n"), b"TOUCHED\r\n")
        self.move(19)
        self.assertEqual(self.c.request(b"gat 5 k\r\n", b"END\r\n"), b"VALUE k 0 1\r\nv\r\nEND\r\n")
        self.move(5)
        self.assertIsNone(self.get(b"k"))

    def test_delayed_flush_takes_effect_a_second_before_its_deadline(self):
        # memcached: `flush_all N` invalidates items stored before now + N - 1, once that comes.
        self.assertEqual(self.c.request(b"set k 0 0 1\r\nv\r\n"), b"STORED\r\n")
        self.assertEqual(self.c.request(b"flush_all 10\r\n"), b"OK\r\n")
        self.move(8)
        self.assertEqual(self.get(b"k"), b"v")
        self.move(1)
        self.assertIsNone(self.get(b"k"))

    def test_last_access_and_ttl_in_meta(self):
        self.assertEqual(self.c.request(b"ms k 1 T300\r\nv\r\n"), b"HD\r\n")
        self.move(7)
        self.assertEqual(self.c.request(b"mg k l t h\r\n"), b"HD l7 t293 h0\r\n")
        # An access is recorded once the last one is 60 s old (memcached's ITEM_UPDATE_INTERVAL).
        self.assertEqual(self.c.request(b"mg k l\r\n"), b"HD l7\r\n")
        self.move(100)
        self.assertEqual(self.c.request(b"mg k l\r\n"), b"HD l107\r\n")
        self.assertEqual(self.c.request(b"mg k l\r\n"), b"HD l0\r\n")
        reply = self.c.request(b"me k\r\n")
        self.assertTrue(reply.startswith(b"ME k exp=-193 la=0 cas="), reply)

    def test_pause_and_resume(self):
        self.assertEqual(self.c.request(b"debugtime p\r\n"), b"OK\r\n")
        self.assertEqual(self.c.request(b"set k 0 2 1\r\nv\r\n"), b"STORED\r\n")
        self.assertEqual(self.c.request(b"mg k t\r\n"), b"HD t2\r\n")
        self.move(1)
        self.assertEqual(self.c.request(b"mg k t\r\n"), b"HD t1\r\n")
        self.assertEqual(self.c.request(b"debugtime r\r\n"), b"OK\r\n")


class WithoutDebugTimeTest(harness.ServerTestCase):
    def test_debugtime_is_an_unknown_command(self):
        c = self.conn()
        self.assertEqual(c.request(b"debugtime 10\r\n"), b"ERROR\r\n")
        self.assertEqual(c.request(b"debugtime p\r\n"), b"ERROR\r\n")


if __name__ == "__main__":
    unittest.main()
