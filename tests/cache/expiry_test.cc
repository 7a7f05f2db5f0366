// expiry_deadline and is_expired: memcached's exptime rule (protocol.txt, "Expiration times").
#include "cache/expiry.h"

#include <gtest/gtest.h>

namespace cuckood::cache {
namespace {

constexpr Time kNow = 1'700'000'000;

TEST(ExpiryDeadline, ZeroMeansNever) {
  EXPECT_EQ(expiry_deadline(0, kNow), 0u);
  EXPECT_FALSE(is_expired(expiry_deadline(0, kNow), UINT32_MAX));
}

TEST(ExpiryDeadline, UpTo30DaysIsRelative) {
  EXPECT_EQ(expiry_deadline(1, kNow), kNow + 1);
  EXPECT_EQ(expiry_deadline(kMaxRelativeExptime, kNow), kNow + kMaxRelativeExptime);
}

TEST(ExpiryDeadline, Beyond30DaysIsAbsolute) {
  EXPECT_EQ(expiry_deadline(kMaxRelativeExptime + 1, kNow), Time{kMaxRelativeExptime + 1});
  EXPECT_TRUE(is_expired(expiry_deadline(kMaxRelativeExptime + 1, kNow), kNow));
  EXPECT_EQ(expiry_deadline(kNow + 100, kNow), kNow + 100);
}

TEST(ExpiryDeadline, AbsoluteBeyond32BitsSaturates) {
  EXPECT_EQ(expiry_deadline(int64_t{1} << 40, kNow), UINT32_MAX);
}

TEST(ExpiryDeadline, NegativeIsAlreadyExpired) {
  EXPECT_TRUE(is_expired(expiry_deadline(-1, kNow), kNow));
  EXPECT_TRUE(is_expired(expiry_deadline(INT64_MIN, kNow), kNow));
}

TEST(IsExpired, DeadlineIsTheFirstExpiredSecond) {
  EXPECT_FALSE(is_expired(kNow + 10, kNow + 9));
  EXPECT_TRUE(is_expired(kNow + 10, kNow + 10));
  EXPECT_TRUE(is_expired(kNow + 10, kNow + 11));
}

}  // namespace
}  // namespace cuckood::cache
