// libFuzzer target over net/'s Connection, driven as an engine drives it: arbitrary reads
// (the input's first byte is the read size), partial sends of any length, reads held while the
// connection is paused by its backlog (and the one in-flight read io_uring may still deliver
// then), -R yields resumed on later turns, an EOF from the peer, and resets that destroy the
// connection with replies unsent and item memory still pinned. The schedule (send lengths,
// -R, EOF, reset, in-flight reads) comes from a generator seeded with the input's hash, so an
// input always replays the same way.
// Under ASan + UBSan it finds crashes, leaks and use-after-free in the byte flow (iovecs,
// slices, pins, buffer pool); beyond that, what the client received must be what a Session fed
// each segment in one read answers (tests/fuzz/split_compare.h), or the start of it when the
// connection closed early or was reset. As in session_fuzz, answers are not compared once a
// server lived long enough for the background reclaimer to run.
//
// Build and run: `bash scripts/fuzz.sh [seconds]` (clang, -fsanitize=fuzzer).
#include <sys/uio.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "cache/cuckoo_cache.h"
#include "net/buffer_pool.h"
#include "net/connection.h"
#include "tests/fuzz/difference.h"
#include "tests/fuzz/fuzz_input.h"
#include "tests/fuzz/fuzz_server.h"
#include "tests/fuzz/split_compare.h"

namespace {

using namespace cuckood;
using fuzz::StatMask;

// A connection that has not finished after this many turns is stuck: a finding.
constexpr size_t kMaxTurns = 1'000'000;

// splitmix64: the schedule's random numbers, seeded with the input's hash.
class Schedule {
 public:
  explicit Schedule(uint64_t seed) : state_(seed) {}
  uint64_t next() {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9;
    z = (z ^ (z >> 27)) * 0x94d049bb133111eb;
    return z ^ (z >> 31);
  }
  bool one_in(uint64_t n) { return next() % n == 0; }
  // How much of `total` unsent bytes one send takes: all, or a short send (1 to total).
  size_t send_length(size_t total) { return one_in(2) ? total : 1 + next() % total; }

 private:
  uint64_t state_;
};

uint64_t fnv1a(const uint8_t* data, size_t size) {
  uint64_t h = 0xcbf29ce484222325;
  for (size_t i = 0; i < size; ++i) h = (h ^ data[i]) * 0x100000001b3;
  return h;
}

// -m 4 -I 64k as session_fuzz, and -R from the schedule (0: unlimited).
proto::Settings settings_for(Schedule& schedule) {
  proto::Settings settings;
  settings.memory_limit = size_t{4} << 20;
  settings.max_item_size = size_t{64} << 10;
  settings.reqs_per_event = static_cast<int>(schedule.next() % 5);
  return settings;
}

// As session_fuzz's rule, and conn_yields: a Session fed directly never yields.
StatMask connection_rule(std::string_view name) {
  if (name == "rusage_user" || name == "rusage_system" || name == "uptime" ||
      name == "bytes_read" || name == "bytes_written" || name == "total_malloced" ||
      name == "conn_yields") {
    return StatMask::kValue;
  }
  return StatMask::kKeep;
}

// Drives one Connection over a FuzzServer's worker as an engine would; collects what a client
// would have received.
class Engine {
 public:
  Engine(fuzz::FuzzServer<cache::CuckooCache>& server, Schedule& schedule)
      : server_(server),
        schedule_(schedule),
        conn_(std::make_unique<net::Connection>(7, server.fixture().worker(), pool_)),
        reset_after_(schedule.one_in(4) ? schedule.next() % 64 : SIZE_MAX) {}

  // Feeds the input segment by segment; every segment's requests are answered before the
  // clock moves for the next, as in FuzzServer::feed_whole.
  void run(const fuzz::FuzzInput& input) {
    for (const fuzz::Segment& segment : input.segments) {
      if (done()) return;
      server_.advance(segment.advance);
      for (size_t pos = 0; pos < segment.bytes.size(); pos += input.chunk) {
        arrived_.push_back(segment.bytes.substr(pos, input.chunk));
      }
      while (!done() && busy()) turn();
    }
    if (done()) return;
    if (schedule_.one_in(2)) conn_->peer_closed();
    while (!done() && busy()) turn();
  }

  const std::string& received() const { return received_; }
  // The connection closed by itself (quit, an error, a long line) or was reset: what the
  // client got may be only the start of the reference answer.
  bool stopped_early() const { return reset_ || closed_; }

 private:
  bool done() const { return reset_ || closed_; }
  bool busy() const { return !arrived_.empty() || conn_->has_unsent() || conn_->yielded(); }

  // One loop turn: a read if the engine is reading (or the one in flight when it stopped),
  // the turn's send, a resume of a yielded connection, quiescence.
  void turn() {
    if (++turns_ > kMaxTurns) {
      std::fprintf(stderr, "connection_fuzz: the connection is stuck\n");
      std::abort();
    }
    if (turns_ > reset_after_) {
      conn_.reset();  // unsent replies and their pins go with it
      reset_ = true;
      return;
    }
    const bool reading = conn_->wants_input();
    if (reading) in_flight_used_ = false;
    if (!arrived_.empty() && (reading || (!in_flight_used_ && schedule_.one_in(4)))) {
      if (!reading) in_flight_used_ = true;
      conn_->receive(arrived_.front());
      arrived_.pop_front();
    } else if (!reading && !conn_->has_unsent() && !conn_->yielded()) {
      arrived_.clear();  // closing: the engine reads no more
    }
    // As the engines send, and sometimes regardless (as a stopping engine does).
    if (conn_->send_due() || (conn_->has_unsent() && schedule_.one_in(4))) {
      const std::span<const iovec> iov = conn_->unsent();
      size_t total = 0;
      for (const iovec& v : iov) total += v.iov_len;
      const size_t n = schedule_.send_length(total);
      size_t left = n;
      for (const iovec& v : iov) {
        const size_t take = v.iov_len < left ? v.iov_len : left;
        received_.append(static_cast<const char*>(v.iov_base), take);
        left -= take;
        if (left == 0) break;
      }
      conn_->sent(n);
    }
    if (conn_->yielded()) conn_->resume();
    server_.fixture().quiescent();
    if (conn_->finished()) {
      closed_ = true;
      conn_.reset();
    }
  }

  fuzz::FuzzServer<cache::CuckooCache>& server_;
  Schedule& schedule_;
  net::BufferPool pool_;  // before the connection, which gives its buffers back to it
  std::unique_ptr<net::Connection> conn_;
  std::deque<std::string_view> arrived_;  // reads the engine has not made yet
  std::string received_;
  size_t turns_ = 0;
  const size_t reset_after_;  // turns before the peer resets (SIZE_MAX: never)
  bool in_flight_used_ = false;
  bool reset_ = false;
  bool closed_ = false;
};

// Counted per execution, printed at exit (libFuzzer exits through exit()).
struct Tally {
  size_t executions = 0;
  fuzz::AgreementCounts agreed;
  size_t slow = 0;
  ~Tally() {
    std::fprintf(stderr,
                 "connection_fuzz: %zu executions; answers equal in %zu, a prefix in %zu "
                 "(closed early or reset), equal up to a watch/metadump refusal in %zu, not "
                 "compared in %zu (a server lived over a second) and %zu (input < 2 bytes)\n",
                 executions, agreed.equal, agreed.prefix, agreed.pipelined, slow,
                 executions - agreed.equal - agreed.prefix - agreed.pipelined - slow);
  }
};
Tally tally;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ++tally.executions;
  if (size < 2) return 0;
  const fuzz::FuzzInput input = fuzz::parse_fuzz_input(data, size);
  Schedule schedule(fnv1a(data, size));
  const proto::Settings settings = settings_for(schedule);
  fuzz::FuzzServer<cache::CuckooCache> reference_server(settings);
  const std::string reference = reference_server.feed_whole(input);
  fuzz::FuzzServer<cache::CuckooCache> server(settings);
  std::string received;
  bool stopped_early;
  {
    Engine engine(server, schedule);
    engine.run(input);
    received = engine.received();
    stopped_early = engine.stopped_early();
  }
  fuzz::show_reply("reference", reference);
  fuzz::show_reply("connection", received);
  if (reference_server.background_pass_possible() || server.background_pass_possible()) {
    ++tally.slow;
    return 0;
  }
  if (tally.agreed.add(fuzz::compare_with_reference(reference, received, input.binary(),
                                                    stopped_early, connection_rule))) {
    return 0;
  }
  fuzz::abort_on_difference("what the connection's client received", reference, received,
                            input.binary(), connection_rule);
}
