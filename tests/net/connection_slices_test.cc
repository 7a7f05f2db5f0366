// net/connection with values sent from item memory (Env's CuckooCache, which pins): the iovecs of
// unsent() carry the reply bytes and the slices in order; partial sends at every byte offset
// around every slice boundary, and sends of 1 byte at a time, deliver exactly the copied reply;
// no more than kMaxIovecs per send; pins are released as the bytes go and when the connection
// is destroyed with output unsent.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <span>
#include <string>

#include "net/connection.h"
#include "tests/proto/session_fixture.h"

namespace cuckood::net {
namespace {

std::string value_of(char seed, size_t size) {
  std::string value(size, '\0');
  for (size_t i = 0; i < size; ++i) value[i] = static_cast<char>(seed + i * 13 % 71);
  return value;
}

// The first `n` bytes the iovecs would send.
std::string first_bytes(std::span<const iovec> iov, size_t n) {
  std::string out;
  for (const iovec& v : iov) {
    if (out.size() >= n) break;
    out.append(static_cast<const char*>(v.iov_base), std::min(v.iov_len, n - out.size()));
  }
  return out;
}

size_t total(std::span<const iovec> iov) {
  size_t n = 0;
  for (const iovec& v : iov) n += v.iov_len;
  return n;
}

using proto::testing::Env;

void set(Env& env, const std::string& key, const std::string& value) {
  ASSERT_EQ(
      env.feed("set " + key + " 0 0 " + std::to_string(value.size()) + "\r\n" + value + "\r\n"),
      "STORED\r\n");
}

// Sends `first` bytes, then the rest `chunk` bytes per send.
std::string send_all(Connection& c, size_t first, size_t chunk) {
  std::string out;
  bool started = false;
  while (c.has_unsent()) {
    const std::span<const iovec> iov = c.unsent();
    EXPECT_FALSE(iov.empty());
    EXPECT_LE(iov.size(), Connection::kMaxIovecs);
    const size_t n = std::min(total(iov), started ? chunk : first);
    started = true;
    out += first_bytes(iov, n);
    c.sent(n);
  }
  return out;
}

const std::string kRequests =
    "get big1 small big2\r\nmg big1 v\r\ngets big2\r\nmg small v\r\nget big1\r\n";

void store_values(Env& env) {
  set(env, "big1", value_of('a', 20 * 1024));
  set(env, "big2", value_of('b', 33 * 1024 + 5));
  set(env, "small", "tiny");
}

TEST(ConnectionSlicesTest, PartialSendsAroundEverySliceBoundary) {
  Env env;
  store_values(env);
  const std::string expected = env.feed(kRequests);
  // The offsets at which a piece (bytes or slice) starts or ends, from one connection.
  std::set<size_t> boundaries;
  {
    BufferPool pool;
    Connection c(7, env.worker(), pool);
    c.receive(kRequests);
    const std::span<const iovec> iov = c.unsent();
    EXPECT_GE(iov.size(), 9u);  // 5 slices, 5 runs of reply bytes between and around them
    size_t at = 0;
    for (const iovec& v : iov) boundaries.insert(at += v.iov_len);
    EXPECT_EQ(at, expected.size());
    EXPECT_EQ(send_all(c, SIZE_MAX, SIZE_MAX), expected);
  }
  size_t checked = 0;
  for (size_t boundary : boundaries) {
    for (size_t k = boundary > 40 ? boundary - 40 : 0; k <= boundary + 40 && k <= expected.size();
         ++k) {
      BufferPool pool;
      Connection c(7, env.worker(), pool);
      c.receive(kRequests);
      ASSERT_EQ(send_all(c, k, SIZE_MAX), expected) << "first send " << k;
      // Then two partial sends: k, then the same again.
      Connection d(8, env.worker(), pool);
      d.receive(kRequests);
      ASSERT_EQ(send_all(d, k, k == 0 ? 1 : k), expected) << "sends of " << k;
      ++checked;
    }
  }
  EXPECT_GT(checked, 400u);
}

TEST(ConnectionSlicesTest, OneByteAtATime) {
  Env env;
  store_values(env);
  const std::string expected = env.feed(kRequests);
  BufferPool pool;
  Connection c(7, env.worker(), pool);
  c.receive(kRequests);
  EXPECT_EQ(send_all(c, 1, 1), expected);
}

TEST(ConnectionSlicesTest, OutputArrivingMidSendKeepsOrder) {
  Env env;
  store_values(env);
  const std::string expected = env.feed(kRequests + kRequests + kRequests);
  BufferPool pool;
  Connection c(7, env.worker(), pool);
  c.receive(kRequests);
  std::string out;
  std::span<const iovec> iov = c.unsent();
  const std::string first = first_bytes(iov, SIZE_MAX);
  c.receive(kRequests);  // while the first send is in flight
  EXPECT_EQ(first_bytes(iov, SIZE_MAX), first);
  out += first_bytes(iov, 30000);
  c.sent(30000);
  c.receive(kRequests);
  out += send_all(c, 12345, 7777);
  EXPECT_EQ(out, expected);
}

TEST(ConnectionSlicesTest, ManySlicesGoOutAtMostMaxIovecsPerSend) {
  proto::Settings settings;
  settings.reqs_per_event = 0;  // the 50 gets in one event
  Env env(settings);
  set(env, "v", value_of('c', 17 * 1024));
  std::string requests;
  // 50 slices and the bytes between them: more pieces than one send takes, a backlog under
  // Connection::kHighWater (all decoded at once).
  for (int i = 0; i < 50; ++i) requests += "get v\r\n";
  const std::string expected = env.feed(requests);
  BufferPool pool;
  Connection c(7, env.worker(), pool);
  c.receive(requests);
  EXPECT_EQ(c.backlog(), expected.size());  // slice bytes count
  EXPECT_EQ(c.unsent().size(), Connection::kMaxIovecs);
  EXPECT_EQ(send_all(c, SIZE_MAX, SIZE_MAX), expected);
}

TEST(ConnectionSlicesTest, PinsAreReleasedAsSentAndOnClose) {
  proto::Settings settings;
  settings.memory_limit = size_t{8} << 20;  // 8 segments of 1 MiB: at most 2 pinned
  Env env(settings);
  set(env, "big", value_of('d', 100 * 1024));
  auto churn = [&] {
    for (int i = 0; i < 40; ++i) set(env, "other" + std::to_string(i), value_of('e', 900 * 1024));
    env.quiescent();
    env.cache().reclaim_now();
  };
  BufferPool pool;
  {
    Connection c(7, env.worker(), pool);
    c.receive("get big\r\nget big\r\n");
    const std::string head = first_bytes(c.unsent(), 10);
    c.sent(10);  // unsent, pinned
    churn();
    EXPECT_EQ(env.cache().segment_store().parked_segments(), 1u);
    EXPECT_EQ(head + send_all(c, 50, 100000), "VALUE big 0 102400\r\n" + value_of('d', 100 * 1024) +
                                                  "\r\nEND\r\n" + "VALUE big 0 102400\r\n" +
                                                  value_of('d', 100 * 1024) + "\r\nEND\r\n");
    // Sent: the segment went back.
    EXPECT_EQ(env.cache().segment_store().parked_segments(), 0u);
  }
  set(env, "big", value_of('f', 100 * 1024));
  {
    Connection c(7, env.worker(), pool);
    c.receive("get big\r\nmg big v\r\n");
    c.sent(0);
    churn();
    EXPECT_EQ(env.cache().segment_store().parked_segments(), 1u);
  }  // closed with both slices unsent
  EXPECT_EQ(env.cache().segment_store().parked_segments(), 0u);
}

}  // namespace
}  // namespace cuckood::net
