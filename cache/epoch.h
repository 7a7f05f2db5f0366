// Epoch-based reclamation for the cache: item segments and retired index tables are reused or
// freed only after every thread that might still hold a pointer into them has left the
// critical section in which it found that pointer.
//
// Why per-operation critical sections rather than pure QSBR: the Cache contract makes every
// operation boundary a quiescent point (an ItemView never outlives its visitor call), so a
// thread that blocks in epoll/io_uring, or a test thread that never calls quiescent(), must not
// stall reclamation: with pure QSBR it would, and the memory bound would turn into kNoMemory.
//
// Entering costs one plain store to the participant's own cache line and a load of the epoch
// (a read-mostly line, written once per retire()); leaving is a release store. No fence and no
// shared write: the store-load ordering a Dekker-style handshake needs is paid by the rare
// reclaimer instead (an asymmetric fence). reclaim() issues membarrier(PRIVATE_EXPEDITED)
// before it scans the participants, which runs a full barrier on every CPU currently running a
// thread of this process (and a context switch is one for the others). One barrier covers every
// retire() before it, so a reclaim() issues one only when something was retired since the last
// (retirements are per segment or per index table, rare next to operations), and repeated
// reclaim() calls waiting on a slow reader do not repeat it. Where membarrier is unavailable
// (old kernel, seccomp, valgrind) readers fall back to a full fence on entry.
// Participants are registered explicitly (one per worker context, one for the background
// reclaimer); a thread that never registers cannot enter.
//
// Why the global epoch still advances on every retire() rather than once per reclaim pass:
// retirements are per segment (one per segment_size bytes written) or per table doubling, so
// the epoch line is written rarely and readers keep it cached; deferring the advance would
// hold every release back by an extra pass and let critical sections that began after the
// unlink delay it, to save a write that is already rare.
//
// Protocol: a retirer first unlinks the object (so no new reader can find it), then calls
// retire(), which stamps the object with the current global epoch E and advances the epoch to
// E+1. The object is released once every participant is either outside a critical section (0)
// or announced an epoch > E (it loaded the epoch after the unlink, so it cannot see the object),
// as seen by a scan that follows a barrier issued after the retire().
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
  // kAsymmetric falls back to kSymmetric where membarrier is unavailable; kSymmetric (a full
  // fence per entry) is for tests of the fallback.
  enum class Fence : uint8_t { kAsymmetric, kSymmetric };

  explicit EpochDomain(Fence fence = Fence::kAsymmetric);
  // Runs every pending release: callers guarantee that no participant is inside any more.
  ~EpochDomain();
  EpochDomain(const EpochDomain&) = delete;
  EpochDomain& operator=(const EpochDomain&) = delete;

  // Whether readers enter without a fence (the reclaimer issues membarrier instead).
  bool asymmetric() const noexcept { return asymmetric_; }

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
  // Issues at most one membarrier, and only if something was retired since the last one.
  size_t reclaim() noexcept;

  // Releases still waiting for a grace period. Lock-free (a cheap test before reclaim()).
  size_t pending() const noexcept { return pending_.load(std::memory_order_relaxed); }

 private:
  friend class EpochGuard;
  uint64_t oldest_active() const noexcept;  // the smallest announced epoch, or UINT64_MAX

  // Read by every EpochGuard: alone on a line that only retire() writes.
  alignas(64) std::atomic<uint64_t> epoch_{1};
  bool asymmetric_;
  alignas(64) mutable std::mutex mutex_;  // guards the members below (all touched rarely)
  std::vector<std::unique_ptr<EpochParticipant>> participants_;
  struct Retired {
    uint64_t epoch;
    std::function<void()> release;
  };
  std::vector<Retired> retired_;
  bool barrier_needed_ = false;     // a retire() happened since the last membarrier
  std::atomic<size_t> pending_{0};  // retired_.size(), readable without the lock
};

inline EpochGuard::EpochGuard(const EpochDomain& domain, EpochParticipant& participant) noexcept
    : participant_(participant) {
  // Acquire: a reader that sees epoch E+1 sees the unlink that preceded the retire() of E.
  const uint64_t epoch = domain.epoch_.load(std::memory_order_acquire);
  if (domain.asymmetric_) {
    // Release (a plain mov) so that a scan reading this value also sees every earlier critical
    // section of ours finished; the compiler barrier keeps the index loads after the store.
    // The CPU may still let those loads pass the store: the reclaimer's membarrier covers that
    // (either the scan sees this announcement, or our loads see the unlink).
    participant.active.store(epoch, std::memory_order_release);
    std::atomic_signal_fence(std::memory_order_seq_cst);
  } else {
    // seq_cst store, then seq_cst loads of index slots: either the retirer's scan (seq_cst load
    // after its unlink) sees this announcement, or our loads see the unlink (Dekker style).
    participant.active.store(epoch, std::memory_order_seq_cst);
  }
}

inline EpochGuard::~EpochGuard() {
  // Release: every read of protected memory happens before the retirer sees us leave.
  participant_.active.store(0, std::memory_order_release);
}

}  // namespace cuckood::cache
