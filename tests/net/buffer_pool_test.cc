// net/buffer_pool.h: which buffers are kept, in what order they come back, and the bound.
#include "net/buffer_pool.h"

#include <gtest/gtest.h>

#include <string>

namespace cuckood::net {
namespace {

std::string buffer_of(size_t capacity) {
  std::string s;
  s.reserve(capacity);
  s = "some content";
  return s;
}

TEST(BufferPoolTest, KeepsLargeBuffersAndHandsBackTheLatestCleared) {
  BufferPool pool;
  EXPECT_TRUE(pool.empty());
  EXPECT_TRUE(pool.take().empty());
  std::string a = buffer_of(200 * 1024);
  std::string b = buffer_of(300 * 1024);
  const char* b_memory = b.data();
  pool.give(a);
  pool.give(b);
  EXPECT_TRUE(a.empty());
  EXPECT_TRUE(b.empty());
  EXPECT_GE(pool.bytes(), 500u * 1024);
  const std::string taken = pool.take();
  EXPECT_EQ(taken.data(), b_memory) << "not the most recently given buffer";
  EXPECT_TRUE(taken.empty());
  EXPECT_GE(taken.capacity(), 300u * 1024);
  EXPECT_FALSE(pool.empty());
}

TEST(BufferPoolTest, TakeWithMinimumSkipsSmallerBuffers) {
  BufferPool pool;
  std::string big = buffer_of(1 << 20);
  std::string small = buffer_of(100 * 1024);
  pool.give(big);
  pool.give(small);
  EXPECT_GE(pool.take(512 * 1024).capacity(), size_t{1} << 20);
  EXPECT_TRUE(pool.take(512 * 1024).empty()) << "only a smaller buffer is left";
  EXPECT_GE(pool.take().capacity(), 100u * 1024);
  EXPECT_TRUE(pool.empty());
  EXPECT_EQ(pool.bytes(), 0u);
}

TEST(BufferPoolTest, SmallHugeAndExcessBuffersAreFreed) {
  BufferPool pool;
  std::string small = buffer_of(4096);
  pool.give(small);
  EXPECT_TRUE(pool.empty());
  std::string huge = buffer_of(BufferPool::kMaxCapacity + 1);
  pool.give(huge);
  EXPECT_TRUE(pool.empty());
  EXPECT_EQ(huge.capacity(), std::string().capacity()) << "memory not given back";
  for (int i = 0; i < 100; ++i) {
    std::string b = buffer_of(1 << 20);
    pool.give(b);
  }
  EXPECT_LE(pool.bytes(), BufferPool::kMaxBytes);
  EXPECT_GT(pool.bytes(), BufferPool::kMaxBytes / 2);
}

TEST(BufferPoolTest, ReleaseAllFreesTheSparesAndSaysWhetherLargeMemoryWasFreed) {
  BufferPool pool;
  EXPECT_FALSE(pool.release_all()) << "nothing was ever freed";
  std::string kept = buffer_of(1 << 20);
  pool.give(kept);
  EXPECT_TRUE(pool.release_all());
  EXPECT_TRUE(pool.empty());
  EXPECT_EQ(pool.bytes(), 0u);
  EXPECT_FALSE(pool.release_all()) << "already released";
  std::string huge = buffer_of(BufferPool::kMaxCapacity + 1);
  pool.give(huge);  // freed at once, never kept
  EXPECT_TRUE(pool.release_all());
  std::string small = buffer_of(4096);
  pool.give(small);
  EXPECT_FALSE(pool.release_all()) << "a small buffer is not worth a trim";
}

}  // namespace
}  // namespace cuckood::net
