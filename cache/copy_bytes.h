// Appending a large byte range without hitting glibc's slow `rep movsb` case.
//
// glibc 2.36 copies blocks from x86_rep_movsb_threshold up (4 KiB with AVX2) with `rep movsb`.
// On the AMD EPYC the benchmarks run on, that is 10-50x slower whenever the destination lies 1-63
// bytes past the source modulo 4 KiB (4K aliasing): 50 µs instead of 2.5 µs per 100 KB (warm),
// 36 µs instead of 7 µs (cold source). Receive-ring buffers are page-aligned and malloc'd buffers
// start 16 bytes into a page, so every 16 KiB chunk of a large value copied into the input
// buffer hit it (~40 µs per 100 KB set, perf: memmove 65% of a set-only run). In that window
// this copies in 2 KiB pieces, below every threshold glibc uses, which keeps it on its vector
// loop (7 µs per 100 KB at worst); elsewhere it is a plain append. The rest of glibc's memcpy
// is untouched (a GLIBC_TUNABLES setting would need every start-up to carry it).
//
// Header-only, no dependency: used by cache (values into items), proto (values into responses)
// and net (input assembly).
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace cuckood::cache {

inline constexpr size_t kLargeCopy = 4096;  // below this glibc never uses `rep movsb`
inline constexpr size_t kCopyPiece = 2048;

// Whether copying from `source` to `destination` falls in the slow window described above.
inline bool slow_copy_distance(const char* destination, const char* source) noexcept {
  const uintptr_t distance =
      reinterpret_cast<uintptr_t>(destination) - reinterpret_cast<uintptr_t>(source);
  const uintptr_t in_page = distance % 4096;
  return in_page != 0 && in_page < 64;
}

// memcpy(destination, bytes.data(), bytes.size()), the same result, at vector-loop speed.
inline void copy_bytes(char* destination, std::string_view bytes) noexcept {
  if (bytes.empty()) return;  // an empty view may have a null data(): memcpy's UB
  if (bytes.size() < kLargeCopy || !slow_copy_distance(destination, bytes.data())) {
    std::memcpy(destination, bytes.data(), bytes.size());
    return;
  }
  for (size_t pos = 0; pos < bytes.size(); pos += kCopyPiece) {
    const size_t piece = std::min(kCopyPiece, bytes.size() - pos);
    std::memcpy(destination + pos, bytes.data() + pos, piece);
  }
}

// out.append(bytes), the same result, at vector-loop speed whatever the two addresses.
inline void append_bytes(std::string& out, std::string_view bytes) {
  if (bytes.size() < kLargeCopy) {
    out.append(bytes);
    return;
  }
  out.reserve(out.size() + bytes.size());  // the destination address is final from here
  if (!slow_copy_distance(out.data() + out.size(), bytes.data())) {
    out.append(bytes);
    return;
  }
  for (size_t pos = 0; pos < bytes.size(); pos += kCopyPiece) {
    out.append(bytes.substr(pos, kCopyPiece));
  }
}

}  // namespace cuckood::cache
