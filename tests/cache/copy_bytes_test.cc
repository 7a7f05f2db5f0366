// cache/copy_bytes.h: append_bytes and copy_bytes give exactly what std::string::append and
// memcpy give, in and out of the slow-copy window, for small and large ranges (speed is measured in
// bench, not here).
#include "cache/copy_bytes.h"

#include <gtest/gtest.h>

#include <cstring>
#include <string>

namespace cuckood::cache {
namespace {

TEST(CopyBytesTest, SlowWindowIsOneToSixtyThreeBytesAheadModuloAPage) {
  alignas(4096) static char page[3 * 4096];
  const char* source = page;
  EXPECT_FALSE(slow_copy_distance(page, source));
  EXPECT_TRUE(slow_copy_distance(page + 1, source));
  EXPECT_TRUE(slow_copy_distance(page + 16, source));
  EXPECT_TRUE(slow_copy_distance(page + 4096 + 63, source));
  EXPECT_FALSE(slow_copy_distance(page + 64, source));
  EXPECT_FALSE(slow_copy_distance(page + 4096, source));
  EXPECT_FALSE(slow_copy_distance(page, page + 16));  // behind the source: not the slow case
}

// An empty value's view may be {nullptr, 0}: nothing is copied and memcpy never sees the null
// (UBSan reports memcpy(d, nullptr, 0); the session fuzzer found it).
TEST(CopyBytesTest, EmptyViewWithNullDataCopiesNothing) {
  char destination[4] = {'a', 'b', 'c', 'd'};
  copy_bytes(destination, std::string_view());
  EXPECT_EQ(std::string_view(destination, 4), "abcd");
  std::string out = "x";
  append_bytes(out, std::string_view());
  EXPECT_EQ(out, "x");
}

TEST(CopyBytesTest, SameBytesAsAppendAtEveryOffset) {
  std::string source(3 * kLargeCopy + 777, '\0');
  for (size_t i = 0; i < source.size(); ++i) source[i] = static_cast<char>(i * 131 + i / 251);
  for (size_t size : {size_t{0}, size_t{1}, kLargeCopy - 1, kLargeCopy, kLargeCopy + kCopyPiece + 3,
                      source.size()}) {
    for (size_t prefix = 0; prefix < 80; prefix += 3) {
      const std::string_view bytes = std::string_view(source).substr(0, size);
      std::string expected(prefix, 'p');
      expected.append(bytes);
      std::string out(prefix, 'p');
      append_bytes(out, bytes);
      ASSERT_EQ(out, expected) << "size " << size << " prefix " << prefix;
    }
  }
}

TEST(CopyBytesTest, CopiesInPiecesWhenTheDistanceIsInTheWindow) {
  // Force the window: the destination 16 bytes past the source modulo a page.
  std::string source(20000, 'v');
  for (size_t i = 0; i < source.size(); ++i) source[i] = static_cast<char>('a' + i % 26);
  std::string out;
  out.reserve(64 * 1024);
  const auto distance = [&] {
    return (reinterpret_cast<uintptr_t>(out.data() + out.size()) -
            reinterpret_cast<uintptr_t>(source.data())) %
           4096;
  };
  out.assign((4096 + 16 - distance()) % 4096, 'x');
  ASSERT_TRUE(slow_copy_distance(out.data() + out.size(), source.data()));
  const std::string prefix = out;
  append_bytes(out, source);
  EXPECT_EQ(out, prefix + source);
}

TEST(CopyBytesTest, CopyBytesMatchesMemcpyInAndOutOfTheWindow) {
  alignas(4096) static char source[3 * 4096];
  for (size_t i = 0; i < sizeof(source); ++i) source[i] = static_cast<char>(i * 7 + i / 4096);
  alignas(4096) static char destination[4 * 4096];
  for (size_t shift : {size_t{0}, size_t{1}, size_t{16}, size_t{63}, size_t{64}, size_t{100}}) {
    for (size_t size : {size_t{10}, kLargeCopy, kLargeCopy + kCopyPiece / 2, sizeof(source)}) {
      std::memset(destination, 0, sizeof(destination));
      copy_bytes(destination + shift, std::string_view(source, size));
      ASSERT_EQ(std::memcmp(destination + shift, source, size), 0) << shift << " " << size;
      ASSERT_EQ(destination[shift + size], 0) << "wrote past the end";
    }
  }
}

}  // namespace
}  // namespace cuckood::cache
