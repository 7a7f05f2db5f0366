// EpochDomain: a retired object is released only after every critical section that could have
// seen it has ended; idle participants never hold releases back.
#include "cache/epoch.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdio>
#include <thread>
#include <vector>

namespace cuckood::cache {
namespace {

TEST(EpochTest, IdleParticipantsDoNotDelayRelease) {
  EpochDomain epoch;
  epoch.register_participant();
  epoch.register_participant();
  int released = 0;
  epoch.retire([&] { ++released; });
  EXPECT_EQ(epoch.pending(), 1u);
  EXPECT_EQ(epoch.reclaim(), 1u);
  EXPECT_EQ(released, 1);
  EXPECT_EQ(epoch.pending(), 0u);
}

TEST(EpochTest, AnOlderCriticalSectionDelaysReleaseUntilItEnds) {
  EpochDomain epoch;
  EpochParticipant* reader = epoch.register_participant();
  int released = 0;
  {
    EpochGuard guard(epoch, *reader);
    epoch.retire([&] { ++released; });
    EXPECT_EQ(epoch.reclaim(), 0u);
    EXPECT_EQ(released, 0);
  }
  EXPECT_EQ(epoch.reclaim(), 1u);
  EXPECT_EQ(released, 1);
}

TEST(EpochTest, ANewerCriticalSectionDoesNotDelayRelease) {
  EpochDomain epoch;
  EpochParticipant* reader = epoch.register_participant();
  int released = 0;
  epoch.retire([&] { ++released; });
  EpochGuard guard(epoch, *reader);  // entered after the retire: cannot see the object
  EXPECT_EQ(epoch.reclaim(), 1u);
  EXPECT_EQ(released, 1);
}

TEST(EpochTest, UnregisteredParticipantNoLongerCounts) {
  EpochDomain epoch;
  EpochParticipant* reader = epoch.register_participant();
  reader->active.store(1);  // as if it died inside a critical section
  int released = 0;
  epoch.retire([&] { ++released; });
  EXPECT_EQ(epoch.reclaim(), 0u);
  epoch.unregister_participant(reader);
  EXPECT_EQ(epoch.reclaim(), 1u);
}

TEST(EpochTest, SymmetricDomainNeverUsesMembarrier) {
  EpochDomain epoch(EpochDomain::Fence::kSymmetric);
  EXPECT_FALSE(epoch.asymmetric());
  int released = 0;
  epoch.retire([&] { ++released; });
  EXPECT_EQ(epoch.reclaim(), 1u);
  EXPECT_EQ(released, 1);
}

TEST(EpochTest, PendingReleasesRunAtDestruction) {
  int released = 0;
  {
    EpochDomain epoch;
    EpochParticipant* reader = epoch.register_participant();
    EpochGuard guard(epoch, *reader);
    epoch.retire([&] { ++released; });
  }
  EXPECT_EQ(released, 1);
}

// Readers dereference a shared object inside critical sections while a writer swaps and
// retires it; a released object is poisoned, so a premature release shows up as a bad read
// (and as a use-after-free under ASan, a race under TSan).
// Both reader fences: the asymmetric one (membarrier in reclaim(), where the kernel offers it)
// and the full fence per entry that is its fallback.
class EpochFenceTest : public ::testing::TestWithParam<EpochDomain::Fence> {};

INSTANTIATE_TEST_SUITE_P(Fences, EpochFenceTest,
                         ::testing::Values(EpochDomain::Fence::kAsymmetric,
                                           EpochDomain::Fence::kSymmetric),
                         [](const auto& info) {
                           return info.param == EpochDomain::Fence::kAsymmetric ? "Asymmetric"
                                                                                : "Symmetric";
                         });

TEST_P(EpochFenceTest, ConcurrentReadersNeverSeeAReleasedObject) {
  struct Box {
    std::atomic<int> value{42};
  };
  EpochDomain epoch(GetParam());
  if (GetParam() == EpochDomain::Fence::kAsymmetric && !epoch.asymmetric()) {
    std::printf("membarrier unavailable: the asymmetric domain uses the full fence\n");
  }
  std::atomic<Box*> shared{new Box};
  std::atomic<bool> done{false};
  std::atomic<int> bad{0};
  std::vector<std::thread> readers;
  for (int t = 0; t < 2; ++t) {
    readers.emplace_back([&] {
      EpochParticipant* me = epoch.register_participant();
      while (!done.load(std::memory_order_relaxed)) {
        EpochGuard guard(epoch, *me);
        Box* box = shared.load(std::memory_order_seq_cst);
        if (box->value.load(std::memory_order_relaxed) != 42) bad.fetch_add(1);
      }
      epoch.unregister_participant(me);
    });
  }
  for (int i = 0; i < 20'000; ++i) {
    Box* old = shared.exchange(new Box, std::memory_order_seq_cst);
    epoch.retire([old] {
      old->value.store(-1, std::memory_order_relaxed);
      delete old;
    });
    if (i % 64 == 0) epoch.reclaim();
  }
  done = true;
  for (auto& r : readers) r.join();
  epoch.reclaim();
  delete shared.load();
  EXPECT_EQ(bad.load(), 0);
}

}  // namespace
}  // namespace cuckood::cache
