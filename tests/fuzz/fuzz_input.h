// The input format of the fuzz targets (tests/fuzz/*_fuzz.cc), one for all so that they share
// the seed corpus in tests/fuzz/corpus:
//   byte 0     the read size of the chunked feeds (0 means 1);
//   the rest   protocol bytes, cut into segments by clock marks. A clock mark is the two bytes
//              kClockMark followed by one byte n: the three bytes are removed, and the fake
//              clock moves on by clock_step(n) seconds between the segment before the mark and
//              the one after it (so expiry, delayed flush_all, touch/gat deadlines and meta TTLs
//              come due while a session runs). Two bytes never seen in the text protocol; a
//              binary request that needs them in a length or a value loses them, a small price.
// A request cut by a mark completes in the later segment, after the clock moved, whatever the
// read size: every way of feeding a session applies the same moves to the same requests.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "cache/types.h"

namespace cuckood::fuzz {

inline constexpr std::string_view kClockMark = "\xfe\xfd";

// Seconds a clock mark's byte `n` moves the clock: 0–239 one by one (TTLs of a few seconds,
// flush_all delays), 240–255 powers of two from 2^8 to 2^23 s (minutes to 97 days: past the
// 30-day line between relative and absolute exptimes).
constexpr cache::Time clock_step(uint8_t n) noexcept {
  return n < 0xF0 ? n : cache::Time{1} << (n - 0xF0 + 8);
}

// The clock never moves more than this in all (about 34 years from the fixture's start), so it
// cannot wrap around: cache::Time is 32 bits.
inline constexpr cache::Time kMaxClockMove = cache::Time{1} << 30;

// Protocol bytes to hand over after the clock moved by `advance` seconds.
struct Segment {
  cache::Time advance = 0;
  std::string_view bytes;  // a view into the fuzzer's input
};

struct FuzzInput {
  size_t chunk = 1;  // read size of the chunked feeds
  std::vector<Segment> segments;
  bool clock_moves = false;  // some segment has advance > 0

  // The protocol bytes, marks removed, are binary requests (the session's first byte decides).
  bool binary() const noexcept {
    for (const Segment& s : segments) {
      if (!s.bytes.empty()) return static_cast<unsigned char>(s.bytes.front()) == 0x80;
    }
    return false;
  }
};

// Parses the fuzzer's bytes; `size` >= 1. Views into `data`, valid as long as it is.
inline FuzzInput parse_fuzz_input(const uint8_t* data, size_t size) {
  FuzzInput input;
  input.chunk = data[0] == 0 ? 1 : data[0];
  std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  cache::Time advance = 0;
  cache::Time moved = 0;
  for (;;) {
    const size_t mark = rest.find(kClockMark);
    if (mark == std::string_view::npos || rest.size() - mark < kClockMark.size() + 1) {
      input.segments.push_back({advance, rest});
      return input;
    }
    input.segments.push_back({advance, rest.substr(0, mark)});
    const cache::Time step = clock_step(static_cast<uint8_t>(rest[mark + kClockMark.size()]));
    advance = step < kMaxClockMove - moved ? step : kMaxClockMove - moved;
    moved += advance;
    input.clock_moves = input.clock_moves || advance != 0;
    rest.remove_prefix(mark + kClockMark.size() + 1);
  }
}

}  // namespace cuckood::fuzz
