// encode_age/decode_age: exact seconds first, then coarser tiers, never rounding an age up.
#include "cache/access_stamp.h"

#include <gtest/gtest.h>

namespace cuckood::cache {
namespace {

TEST(AccessStamp, ExactWithinTheFirstSpan) {
  for (Time age : {Time{0}, Time{1}, Time{59}, Time{60}, Time{3600}, kExactSpan - 1}) {
    EXPECT_EQ(decode_age(encode_age(age)), age) << age;
  }
}

TEST(AccessStamp, LaterAgesRoundDownToTheirTierUnit) {
  Time start = 0;
  for (unsigned tier = 0; tier < kStampTiers; ++tier) {
    const Time unit = Time{1} << (4 * tier);
    for (Time offset : {Time{0}, unit - 1, unit, 5 * unit + unit / 2, kExactSpan * unit - 1}) {
      const Time age = start + offset;
      const Time decoded = decode_age(encode_age(age));
      EXPECT_LE(decoded, age) << age;
      EXPECT_LT(age - decoded, unit) << age;
    }
    start += kExactSpan * unit;
  }
}

TEST(AccessStamp, StampsGrowWithAgeAndSaturate) {
  uint16_t previous = 0;
  for (Time age = 0; age < 80'000'000; age += 997) {
    const uint16_t stamp = encode_age(age);
    EXPECT_GE(stamp, previous) << age;
    previous = stamp;
  }
  EXPECT_EQ(encode_age(UINT32_MAX), UINT16_MAX);
}

}  // namespace
}  // namespace cuckood::cache
