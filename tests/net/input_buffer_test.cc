// net/input_buffer.h: the partial-request buffer — one reservation for an announced value,
// amortised consumption, memory given back when emptied.
#include "net/input_buffer.h"

#include <gtest/gtest.h>

#include <string>

namespace cuckood::net {
namespace {

TEST(InputBufferTest, AppendConsumeKeepsOrder) {
  InputBuffer b;
  EXPECT_TRUE(b.empty());
  b.append("get a\r\nget", 0);
  b.consume(7);
  EXPECT_EQ(b.view(), "get");
  b.append(" b\r\n", 0);
  EXPECT_EQ(b.view(), "get b\r\n");
  b.consume(b.size());
  EXPECT_TRUE(b.empty());
  EXPECT_EQ(b.size(), 0u);
}

TEST(InputBufferTest, AnnouncedValueIsReservedOnce) {
  constexpr size_t kWanted = 1 << 20;
  InputBuffer b;
  const std::string chunk(16 * 1024, 'x');
  b.append(chunk, kWanted);
  EXPECT_GE(b.capacity(), kWanted);
  const char* data = b.view().data();
  while (b.size() + chunk.size() <= kWanted) b.append(chunk, kWanted);
  EXPECT_EQ(b.view().data(), data) << "reallocated while filling an announced value";
}

TEST(InputBufferTest, EmptiedLargeBufferGivesMemoryBack) {
  InputBuffer b;
  b.append(std::string(1 << 20, 'x'), 0);
  b.consume(b.size());
  EXPECT_LE(b.capacity(), InputBuffer::kKeepCapacity);
  b.append("small", 0);
  b.consume(5);
  EXPECT_GT(b.capacity(), 0u);  // a small buffer is kept for the next partial request
}

TEST(InputBufferTest, PartialConsumeThenAppendCompacts) {
  InputBuffer b;
  b.append("abcdef", 0);
  b.consume(4);
  b.append("gh", 0);
  EXPECT_EQ(b.view(), "efgh");
  EXPECT_EQ(b.size(), 4u);
}

TEST(InputBufferTest, TailStaysInPlaceWhileTheBufferHasRoom) {
  InputBuffer b;
  b.append(std::string(1000, 'a'), 4096);
  b.consume(10);
  const char* tail = b.view().data();
  b.append("bb", 0);
  EXPECT_EQ(b.view().data(), tail);  // not moved to the front
  EXPECT_EQ(b.size(), 992u);
  EXPECT_EQ(b.view().substr(988), "aabb");
}

TEST(InputBufferTest, FullBufferMovesItsTailBeforeGrowing) {
  InputBuffer b;
  b.append(std::string(64, 'a'), 64);
  const size_t capacity = b.capacity();
  b.consume(60);
  b.append(std::string(capacity - 4, 'b'), 0);  // fits once the consumed bytes are dropped
  EXPECT_EQ(b.capacity(), capacity);
  EXPECT_EQ(b.view(), "aaaa" + std::string(capacity - 4, 'b'));
}

TEST(InputBufferTest, LargeBufferComesFromAndGoesBackToThePool) {
  BufferPool pool;
  InputBuffer b(&pool);
  constexpr size_t kWanted = 100 * 1024 + 30;
  b.append(std::string(16 * 1024, 'x'), kWanted);
  const char* first = b.view().data();
  b.consume(b.size());
  EXPECT_FALSE(pool.empty()) << "emptied large buffer not given back";
  EXPECT_EQ(b.capacity(), std::string().capacity());
  b.append(std::string(16 * 1024, 'y'), kWanted);
  EXPECT_EQ(b.view().data(), first) << "the next value did not reuse the pooled buffer";
  EXPECT_TRUE(pool.empty());
  EXPECT_EQ(b.view(), std::string(16 * 1024, 'y'));
}

TEST(InputBufferTest, OnlyPoolSizedBuffersAreRoundedUp) {
  BufferPool pool;
  InputBuffer small(&pool);
  small.append(std::string(100, 'x'), 100 * 1024 + 30);
  EXPECT_EQ(small.capacity(), size_t{128} * 1024);  // fits a get's reply of the same value
  InputBuffer huge(&pool);
  constexpr size_t kHuge = BufferPool::kMaxCapacity + 1000;
  huge.append(std::string(100, 'x'), kHuge);
  EXPECT_GE(huge.capacity(), kHuge);
  EXPECT_LT(huge.capacity(), kHuge + kHuge / 2) << "a value beyond the pool's sizes was doubled";
}

}  // namespace
}  // namespace cuckood::net
