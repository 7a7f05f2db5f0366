// Epoch-based reclamation for the cache: item segments and retired index tables are reused or
// freed only after every thread that might still hold a pointer into them has left the
// critical section in which it found that pointer.
//
// Why per-operation critical sections rather than pure QSBR: the Cache contract makes every
// operation boundary a quiescent point (an ItemView never outlives its visitor call), so a
// thread that blocks in epoll/io_uring, or a test thread that never calls quiescent(), must not
// stall reclamation: with pure QSBR it would, and the memory bound would turn into kNoMemory.
// Entering costs one store to the participant's own cache line plus a full fence (no shared
// write); leaving is a release store. Participants are registered explicitly (one per worker
// context, one for the background reclaimer); a thread that never registers cannot enter.
//
// Protocol: a retirer first unlinks the object (so no new reader can find it), then calls
// retire(), which stamps the object with the current global epoch E and advances the epoch to
// E+1. The object is released once every participant is either outside a critical section (0)
// or announced an epoch > E (it loaded the epoch after the unlink, so it cannot see the object).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

namespace cuckood::cache {

class EpochDomain;

// One thread's announcement, alone on its cache line so that entering touches no shared line.
struct alignas(64) EpochParticipant {
  std::atomic<uint64_t> active{0};  // 0 = outside; else the epoch read on entry
};

// RAII critical section. Not reentrant: one guard per participant at a time.
class EpochGuard {
 public:
  EpochGuard(const EpochDomain& domain, EpochParticipant& participant) noexcept;
  ~EpochGuard();
  EpochGuard(const EpochGuard&) = delete;
  EpochGuard& operator=(const EpochGuard&) = delete;

 private:
  EpochParticipant& participant_;
};

class EpochDomain {
 public:
  EpochDomain() = default;
  // Runs every pending release: callers guarantee that no participant is inside any more.
  ~EpochDomain();
  EpochDomain(const EpochDomain&) = delete;
  EpochDomain& operator=(const EpochDomain&) = delete;

  // Thread-safe. The participant stays valid until unregister_participant().
  EpochParticipant* register_participant();
  void unregister_participant(EpochParticipant* participant) noexcept;

  // Thread-safe. `release` runs later on whichever thread calls reclaim() (or the destructor),
  // once no critical section that began before this call is still running. The caller may be
  // inside a critical section itself (its own entry is older, so it then delays the release).
  void retire(std::function<void()> release) noexcept;

  // Runs the releases that have become safe; returns how many ran. Thread-safe; each release
  // runs exactly once, possibly concurrently with releases run by another caller. From inside a
  // critical section it simply finds less to release (the caller's own entry holds them back).
  size_t reclaim() noexcept;

  // Releases still waiting for a grace period. Lock-free (a cheap test before reclaim()).
  size_t pending() const noexcept { return pending_.load(std::memory_order_relaxed); }

 private:
  friend class EpochGuard;
  uint64_t oldest_active() const noexcept;  // the smallest announced epoch, or UINT64_MAX

  std::atomic<uint64_t> epoch_{1};
  mutable std::mutex mutex_;  // guards participants_ and retired_ (both touched rarely)
  std::vector<std::unique_ptr<EpochParticipant>> participants_;
  struct Retired {
    uint64_t epoch;
    std::function<void()> release;
  };
  std::vector<Retired> retired_;
  std::atomic<size_t> pending_{0};  // retired_.size(), readable without the lock
};

inline EpochGuard::EpochGuard(const EpochDomain& domain, EpochParticipant& participant) noexcept
    : participant_(participant) {
  // seq_cst store, then seq_cst loads of index slots: either the retirer's scan (seq_cst load
  // after its unlink) sees this announcement, or our loads see the unlink (store-load order,
  // Dekker style). The stored value only needs to be <= the epoch current at the scan.
  participant.active.store(domain.epoch_.load(std::memory_order_seq_cst),
                           std::memory_order_seq_cst);
}

inline EpochGuard::~EpochGuard() {
  // Release: every read of protected memory happens before the retirer sees us leave.
  participant_.active.store(0, std::memory_order_release);
}

}  // namespace cuckood::cache
