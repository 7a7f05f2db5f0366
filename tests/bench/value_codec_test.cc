#include "bench/load/value_codec.h"

#include <gtest/gtest.h>

#include <string>

namespace cuckood::load {
namespace {

std::string key(uint64_t n, int size = 16) {
  std::string k(static_cast<size_t>(size), '?');
  format_key(n, size, k.data());
  return k;
}

std::string value(const std::string& k, size_t len) {
  std::string v(len, '?');
  fill_value(k, len, v.data());
  return v;
}

TEST(ValueCodec, KeysAreZeroPaddedNumbers) {
  EXPECT_EQ(key(42, 8), "k0000042");
  EXPECT_EQ(key(0, 2), "k0");
  EXPECT_EQ(key(9999999, 8), "k9999999");
}

TEST(ValueCodec, ValueEncodesKeyAndLength) {
  EXPECT_EQ(value("k01", 20), "k01:20;k01:20;k01:20");
  EXPECT_EQ(value("k01", 3), "k01");
}

TEST(ValueCodec, RoundTripsEverySize) {
  const std::string k = key(12345);
  for (size_t len = 1; len <= 600; ++len) EXPECT_TRUE(verify_value(k, value(k, len))) << len;
  EXPECT_TRUE(verify_value(k, value(k, 100 * 1024)));
  EXPECT_TRUE(verify_value(k, value(k, 1 << 20)));
}

TEST(ValueCodec, DetectsAnotherKeysValue) {
  const std::string a = key(1), b = key(2);
  for (size_t len : {16, 32, 100, 102400}) EXPECT_FALSE(verify_value(a, value(b, len))) << len;
}

TEST(ValueCodec, DetectsTruncationAndExtension) {
  const std::string k = key(7);
  const std::string v = value(k, 1000);
  EXPECT_FALSE(verify_value(k, v.substr(0, 999)));
  EXPECT_FALSE(verify_value(k, v.substr(0, 500)));
  EXPECT_FALSE(verify_value(k, v + v[0]));
  EXPECT_FALSE(verify_value(k, v.substr(1)));  // shifted by one
}

TEST(ValueCodec, DetectsAnyCorruptedByte) {
  const std::string k = key(99);
  const std::string good = value(k, 300);
  for (size_t i = 0; i < good.size(); ++i) {
    std::string bad = good;
    bad[i] ^= 0x20;
    EXPECT_FALSE(verify_value(k, bad)) << "byte " << i;
  }
}

}  // namespace
}  // namespace cuckood::load
