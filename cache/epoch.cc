#include "cache/epoch.h"

#include <linux/membarrier.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>

namespace cuckood::cache {

namespace {

long membarrier(int command) noexcept {
  return syscall(__NR_membarrier, command, 0u, 0);
}

// Registers the process for expedited private membarriers, once; false if the kernel (or a
// seccomp filter, or valgrind) does not offer them.
bool membarrier_available() noexcept {
  static const bool available = [] {
    const long commands = membarrier(MEMBARRIER_CMD_QUERY);
    if (commands < 0 || (commands & MEMBARRIER_CMD_PRIVATE_EXPEDITED) == 0) return false;
    return membarrier(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED) == 0;
  }();
  return available;
}

}  // namespace

EpochDomain::EpochDomain(Fence fence)
    : asymmetric_(fence == Fence::kAsymmetric && membarrier_available()) {}

EpochDomain::~EpochDomain() {
  for (auto& retired : retired_) retired.release();
}

EpochParticipant* EpochDomain::register_participant() {
  std::lock_guard lock(mutex_);
  participants_.push_back(std::make_unique<EpochParticipant>());
  return participants_.back().get();
}

void EpochDomain::unregister_participant(EpochParticipant* participant) noexcept {
  std::lock_guard lock(mutex_);
  auto it = std::find_if(participants_.begin(), participants_.end(),
                         [&](const auto& p) { return p.get() == participant; });
  if (it != participants_.end()) participants_.erase(it);
}

void EpochDomain::retire(std::function<void()> release) noexcept {
  // fetch_add is seq_cst: it is ordered after the caller's unlink, so a participant that
  // announces the new epoch loaded it after the unlink and cannot reach the object.
  const uint64_t stamp = epoch_.fetch_add(1, std::memory_order_seq_cst);
  std::lock_guard lock(mutex_);
  retired_.push_back({stamp, std::move(release)});
  barrier_needed_ = true;
  pending_.store(retired_.size(), std::memory_order_relaxed);
}

uint64_t EpochDomain::oldest_active() const noexcept {
  uint64_t oldest = UINT64_MAX;
  for (const auto& p : participants_) {
    // seq_cst: the scan side of the handshake described in EpochGuard.
    const uint64_t announced = p->active.load(std::memory_order_seq_cst);
    if (announced != 0) oldest = std::min(oldest, announced);
  }
  return oldest;
}

size_t EpochDomain::reclaim() noexcept {
  std::vector<Retired> ready;
  {
    std::lock_guard lock(mutex_);
    if (retired_.empty()) return 0;
    if (asymmetric_ && barrier_needed_) {
      // Every unlink retired so far happened before this call (retire() took the mutex we
      // hold). After it, each reader's announcement is visible to the scan below, or the
      // reader's critical section began after the barrier and cannot see an unlinked object.
      // Documented never to fail once registered: a failure would leave readers unfenced.
      if (membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED) != 0) std::abort();
      barrier_needed_ = false;
    }
    const uint64_t oldest = oldest_active();
    auto safe = [&](const Retired& r) { return r.epoch < oldest; };
    auto split = std::stable_partition(retired_.begin(), retired_.end(),
                                       [&](const Retired& r) { return !safe(r); });
    ready.assign(std::make_move_iterator(split), std::make_move_iterator(retired_.end()));
    retired_.erase(split, retired_.end());
    if (!ready.empty()) pending_.store(retired_.size(), std::memory_order_relaxed);
  }
  // Run outside the lock: a release may retire or take other locks.
  for (auto& r : ready) r.release();
  return ready.size();
}

}  // namespace cuckood::cache
