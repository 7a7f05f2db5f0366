// A fresh single-worker server for the fuzz targets: a protocol Session over a cache of
// `CacheType` (tests/proto/worker_fixture.h, fake clock), fed a FuzzInput (fuzz_input.h) the
// way net/ would hand it over, segment by segment, the clock moving between segments.
//
// After each clock move a CuckooCache runs one pass of its background reclaimer, as the
// server's once-a-second thread would, so that expired items are also taken back eagerly.
// The thread itself runs a pass only once its cache is a second old, at a moment of its own:
// a server that lived that long (background_pass_possible()) may show other `stats` figures,
// and under memory pressure other evictions, than one fed alike; the targets do not compare
// its answers.
//
// Threading: one thread. Not copyable.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdlib>
#include <string>
#include <string_view>

#include "proto/output.h"
#include "proto/session.h"
#include "proto/settings.h"
#include "proto/text_protocol.h"
#include "tests/fuzz/fuzz_input.h"
#include "tests/proto/worker_fixture.h"

namespace cuckood::fuzz {

// Aborts (a finding) when process() claims more bytes than it was given.
inline void check_consumed(size_t consumed, size_t offered) {
  if (consumed > offered) std::abort();
}

template <class CacheType>
class FuzzServer {
 public:
  explicit FuzzServer(const proto::Settings& settings, uint64_t hash_seed = 7)
      : fixture_(settings, hash_seed), session_(fixture_.worker()) {}

  // Each segment in one read (with what the previous read left unconsumed), every value
  // copied; returns everything the session answered.
  std::string feed_whole(const FuzzInput& input) {
    std::string pending;
    std::string output;
    for (const Segment& segment : input.segments) {
      if (session_.should_close()) break;
      advance(segment.advance);
      pending.append(segment.bytes);
      const size_t consumed = session_.process(pending, output);
      check_consumed(consumed, pending.size());
      pending.erase(0, consumed);
    }
    return output;
  }

  // Each segment in reads of input.chunk bytes, keeping what process() leaves unconsumed,
  // until the input ends or the session asks to close; values of `slice_from` bytes and more
  // go out as pinned slices, flattened and released after every read as net/ sends them.
  // `closed_on_long_line` tells whether it closed holding a line too long to wait for.
  std::string feed_in_chunks(const FuzzInput& input, size_t slice_from, bool& closed_on_long_line) {
    std::string pending;
    std::string sent;
    proto::Output output;
    output.enable_slices(fixture_.cache(), fixture_.ctx(), slice_from);
    for (const Segment& segment : input.segments) {
      if (session_.should_close()) break;
      advance(segment.advance);
      for (size_t pos = 0; pos < segment.bytes.size() && !session_.should_close();
           pos += input.chunk) {
        pending.append(segment.bytes.substr(pos, input.chunk));
        const size_t consumed = session_.process(pending, output);
        check_consumed(consumed, pending.size());
        pending.erase(0, consumed);
        if constexpr (requires { fixture_.cache().replies_part(); }) {
          if (comparable_size_ == std::string::npos && fixture_.cache().replies_part()) {
            comparable_size_ = sent.size();  // the replies of this read may differ already
          }
        }
        sent += output.flatten();
        output.clear();  // unpins, as a completed send does
        fixture_.quiescent();
      }
    }
    closed_on_long_line = session_.should_close() &&
                          pending.size() > proto::kMaxLineWithoutNewline &&
                          pending.find('\n') == std::string::npos;
    return sent;
  }

  CacheType& cache() { return fixture_.cache(); }
  // The worker, clock and cache under the session, for targets that feed the worker another
  // way (net/'s Connection).
  proto::testing::WorkerFixture<CacheType>& fixture() { return fixture_; }

  // Moves the fake clock as between two segments (and lets a CuckooCache reclaim, see above).
  void advance(cache::Time seconds) {
    if (seconds == 0) return;
    fixture_.advance(seconds);
    if constexpr (requires { fixture_.cache().reclaim_now(); }) fixture_.cache().reclaim_now();
  }

  // This server has lived long enough for a CuckooCache's background reclaimer to have run
  // (see above).
  bool background_pass_possible() const {
    return std::chrono::steady_clock::now() - started_ >= kBackgroundPassAfter;
  }

  // How many bytes of feed_in_chunks' answer are comparable with another cache's: all (npos)
  // unless the cache says that from some request on two implementations part by design
  // (comparable_cache.h), then the answers to the reads before that request.
  size_t comparable_size() const noexcept { return comparable_size_; }

 private:
  // CuckooCache's reclaimer waits a second before its first pass; a margin for the time
  // between its start and started_.
  static constexpr auto kBackgroundPassAfter = std::chrono::milliseconds(900);

  const std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
  proto::testing::WorkerFixture<CacheType> fixture_;
  proto::Session session_;
  size_t comparable_size_ = std::string::npos;
};

}  // namespace cuckood::fuzz
