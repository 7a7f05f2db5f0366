// One soak client slot: a blocking connection (text or binary), the owned keys whose history it
// knows (soak_model.h), and what it counted. Each turn sends one request or a pipelined batch
// in one write, reads every reply in order and judges it; now and then it closes the connection
// and opens a new one (never with a request in flight, so its owned keys' history stays exact).
// Used by one thread.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "bench/load/buffer.h"
#include "bench/load/options.h"
#include "bench/load/rng.h"
#include "bench/load/soak_model.h"
#include "bench/load/soak_wire.h"

namespace cuckood::load::soak {

struct SoakCounters {
  std::array<uint64_t, kOpCount> ops{};
  uint64_t verified_reads = 0;   // hits whose value was checked and right
  uint64_t misses = 0;           // get misses (eviction)
  uint64_t wrong = 0;            // a value, counter or verdict the key could not legitimately give
  uint64_t server_errors = 0;    // ERROR / CLIENT_ERROR / SERVER_ERROR or a binary error status
  uint64_t protocol_errors = 0;  // a reply we could not parse or match
  uint64_t io_errors = 0;        // connect/send/recv failed or timed out
  uint64_t reconnects = 0;

  uint64_t operations() const noexcept;
  void add(const SoakCounters& o) noexcept;
};

class SoakClient {
 public:
  SoakClient(const Options& options, int slot, uint64_t seed);
  ~SoakClient();
  SoakClient(const SoakClient&) = delete;
  SoakClient& operator=(const SoakClient&) = delete;

  // Runs turns until `end_ns` (now_ns() clock) or until the connection cannot be restored.
  void run(uint64_t end_ns);

  const SoakCounters& counters() const noexcept { return counters_; }

 private:
  // A request of the current batch and the storage its views point into.
  struct Slot {
    Request request;
    std::string key;
    std::string value;
    KeyModel* model = nullptr;  // owned key, else shared
  };

  bool open();
  void close() noexcept;
  void plan(Slot& s);
  bool exchange(std::vector<Slot>& batch);
  void judge(const Slot& s, const SoakReply& reply);
  // Prints one wrong reply and what the key should have shown (stderr).
  void show_wrong(const Slot& s, const SoakReply& reply) const;

  const Options& opt_;
  const int slot_;
  const WireProtocol protocol_;
  Rng rng_;
  int fd_ = -1;
  uint32_t opaque_ = 0;
  uint64_t version_ = 0;
  std::vector<KeyModel> append_keys_;
  std::vector<KeyModel> counter_keys_;
  Buffer out_;
  Buffer in_;
  SoakCounters counters_;
};

}  // namespace cuckood::load::soak
