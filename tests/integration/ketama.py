"""libketama's consistent hashing, written from its description, as the tests' independent
account of where a key belongs: libmemcached's weighted ketama (pylibmc's "ketama_weighted")
and twemproxy's ketama with hash md5 both build this continuum.

Each of n equally weighted servers, named "host:port", gets 160 points: the md5 digests of
"host:port-0" ... "host:port-39", each cut into four little-endian 32-bit points. A key belongs
to the server of the first point at or after the first four bytes (little-endian) of its md5
digest, wrapping past the last point to the first."""

import bisect
import hashlib

POINTS_PER_SERVER = 160
POINTS_PER_DIGEST = 4


def _points(name):
    for i in range(POINTS_PER_SERVER // POINTS_PER_DIGEST):
        digest = hashlib.md5(("%s-%d" % (name, i)).encode()).digest()
        for part in range(POINTS_PER_DIGEST):
            yield int.from_bytes(digest[part * 4:part * 4 + 4], "little")


class Continuum:
    def __init__(self, names):
        self.points = sorted((point, name) for name in names for point in _points(name))
        self.values = [point for point, _ in self.points]

    def server(self, key):
        """The name of the server `key` belongs to."""
        hashed = int.from_bytes(hashlib.md5(key.encode()).digest()[:4], "little")
        index = bisect.bisect_left(self.values, hashed)
        return self.points[index % len(self.points)][1]
