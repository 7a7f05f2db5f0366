#include "cache/epoch.h"

#include <algorithm>

namespace cuckood::cache {

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
  pending_.store(retired_.size(), std::memory_order_relaxed);
}

uint64_t EpochDomain::oldest_active() const noexcept {
  uint64_t oldest = UINT64_MAX;
  for (const auto& p : participants_) {
    // seq_cst: the scan side of the Dekker pair described in EpochGuard.
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
    const uint64_t oldest = oldest_active();
    auto safe = [&](const Retired& r) { return r.epoch < oldest; };
    auto split = std::stable_partition(retired_.begin(), retired_.end(),
                                       [&](const Retired& r) { return !safe(r); });
    ready.assign(std::make_move_iterator(split), std::make_move_iterator(retired_.end()));
    retired_.erase(split, retired_.end());
    pending_.store(retired_.size(), std::memory_order_relaxed);
  }
  // Run outside the lock: a release may retire or take other locks.
  for (auto& r : ready) r.release();
  return ready.size();
}

}  // namespace cuckood::cache
