// net/connection: the byte flow both engines share, driven as an engine would (receive,
// unsent, sent) against a real text-protocol Session over LibcuckooCache.
#include "net/connection.h"

#include <gtest/gtest.h>

#include <span>
#include <string>

#include "tests/proto/session_fixture.h"

namespace cuckood::net {
namespace {

using proto::testing::Env;

// What a sendmsg of these iovecs would send.
std::string joined(std::span<const iovec> iov) {
  std::string out;
  for (const iovec& v : iov) out.append(static_cast<const char*>(v.iov_base), v.iov_len);
  return out;
}

// Sends everything the connection has, `chunk` bytes per send, as an engine's turns would.
std::string drain(Connection& c, size_t chunk = SIZE_MAX) {
  std::string out;
  while (c.has_unsent()) {
    const std::string view = joined(c.unsent());
    const size_t n = view.size() < chunk ? view.size() : chunk;
    out.append(view.substr(0, n));
    c.sent(n);
  }
  return out;
}

TEST(ConnectionTest, WholeRequestsAreAnswered) {
  Env env;
  BufferPool pool;
  Connection c(7, env.worker(), pool);
  EXPECT_EQ(c.fd(), 7);
  EXPECT_TRUE(c.wants_input());
  c.receive("set k 0 0 2\r\nhi\r\nget k\r\n");
  EXPECT_EQ(drain(c), "STORED\r\nVALUE k 0 2\r\nhi\r\nEND\r\n");
  EXPECT_FALSE(c.finished());
}

TEST(ConnectionTest, RequestSplitAtEveryByte) {
  const std::string request = "set split 1 0 10\r\n0123456789\r\nget split\r\n";
  Env env;
  BufferPool pool;
  Connection c(7, env.worker(), pool);
  for (char ch : request) c.receive(std::string_view(&ch, 1));
  EXPECT_EQ(drain(c), "STORED\r\nVALUE split 1 10\r\n0123456789\r\nEND\r\n");
}

TEST(ConnectionTest, LargeValueInChunks) {
  Env env;
  BufferPool pool;
  Connection c(7, env.worker(), pool);
  const std::string value(900 * 1024, 'v');
  const std::string request =
      "set big 0 0 " + std::to_string(value.size()) + "\r\n" + value + "\r\n";
  for (size_t pos = 0; pos < request.size(); pos += 1000) c.receive(request.substr(pos, 1000));
  EXPECT_EQ(drain(c), "STORED\r\n");
}

TEST(ConnectionTest, UnsentStaysStableWhileMoreOutputArrives) {
  Env env;
  BufferPool pool;
  Connection c(7, env.worker(), pool);
  c.receive("version\r\n");
  const std::span<const iovec> first = c.unsent();
  const std::string copy = joined(first);
  c.receive("version\r\n");  // produced while the first send is "in flight"
  EXPECT_EQ(joined(first), copy);
  c.sent(copy.size() / 2);
  const std::string rest = joined(c.unsent());
  c.sent(rest.size());
  EXPECT_EQ(copy.substr(copy.size() / 2), rest);
  EXPECT_EQ(drain(c), copy);  // then the second response
  EXPECT_FALSE(c.has_unsent());
}

// Settings with -R `n`: an event decodes at most n requests (0: any number).
proto::Settings reqs_per_event(int n) {
  proto::Settings settings;
  settings.reqs_per_event = n;
  return settings;
}

// Settings without -R's limit, for tests about something else that feed many requests at once.
proto::Settings unlimited_requests() {
  return reqs_per_event(0);
}

TEST(ConnectionTest, BackpressureHoldsInputAndResumesInOrder) {
  Env env(unlimited_requests());
  BufferPool pool;
  Connection c(7, env.worker(), pool);
  const std::string value(1000, 'x');
  c.receive("set v 0 0 1000\r\n" + value + "\r\n");
  EXPECT_EQ(drain(c), "STORED\r\n");

  const std::string one_get = "get v\r\n";
  const std::string one_answer = "VALUE v 0 1000\r\n" + value + "\r\nEND\r\n";
  constexpr size_t kGets = 20000;  // ~20 MB of answers, five times the high-water mark
  std::string expected;
  for (size_t i = 0; i < kGets; ++i) expected += one_answer;

  size_t received = 0;
  while (received < kGets && c.wants_input()) {
    std::string chunk;
    for (int i = 0; i < 500 && received < kGets; ++i, ++received) chunk += one_get;
    c.receive(chunk);
  }
  EXPECT_FALSE(c.wants_input()) << "never paused";
  EXPECT_LE(c.backlog(), Connection::kHighWater + 500 * one_answer.size());
  // A chunk arriving while paused (io_uring's in-flight recv) is held, not answered.
  std::string late;
  for (int i = 0; i < 500 && received < kGets; ++i, ++received) late += one_get;
  const size_t backlog = c.backlog();
  c.receive(late);
  EXPECT_EQ(c.backlog(), backlog);

  // The peer reads slowly; held input is answered only as the backlog drains.
  std::string out;
  size_t peak = 0;
  while (c.has_unsent() || received < kGets) {
    if (c.wants_input() && received < kGets) {
      std::string chunk;
      for (int i = 0; i < 500 && received < kGets; ++i, ++received) chunk += one_get;
      c.receive(chunk);
    }
    peak = std::max(peak, c.backlog());
    const std::string view = joined(c.unsent());
    const size_t n = std::min<size_t>(view.size(), 256 * 1024);
    out.append(view.substr(0, n));
    c.sent(n);
  }
  EXPECT_LE(peak, Connection::kHighWater + 2 * 16 * 1024 * one_answer.size() / one_get.size());
  EXPECT_EQ(out.size(), expected.size());
  EXPECT_TRUE(out == expected) << "responses out of order";
  EXPECT_TRUE(c.wants_input());
}

// -R: an event decodes at most reqs_per_event requests; the rest waits for resume(), which the
// engine calls on a later loop turn, and each yield is counted in conn_yields. Meanwhile the
// small output is not due: the engine sends the batch's replies once it is decoded (a stopping
// engine sends regardless, as drain() does here).
TEST(ConnectionTest, YieldsAfterReqsPerEventAndResumes) {
  Env env(reqs_per_event(3));
  BufferPool pool;
  Connection c(7, env.worker(), pool);
  EXPECT_FALSE(c.send_due()) << "nothing to send";
  c.receive("version\r\nversion\r\nversion\r\nversion\r\nversion\r\nversion\r\nversion\r\n");
  const std::string one = "VERSION " + std::string(proto::kVersion) + "\r\n";
  EXPECT_TRUE(c.yielded());
  EXPECT_FALSE(c.idle());
  EXPECT_TRUE(c.has_unsent());
  EXPECT_FALSE(c.send_due());
  EXPECT_EQ(drain(c), one + one + one);
  c.peer_closed();
  EXPECT_FALSE(c.finished()) << "requests left to answer";
  c.resume();
  EXPECT_TRUE(c.yielded());
  EXPECT_FALSE(c.send_due());
  c.resume();
  EXPECT_FALSE(c.yielded());
  EXPECT_TRUE(c.send_due());
  EXPECT_EQ(drain(c), one + one + one + one);
  EXPECT_TRUE(c.finished());
  EXPECT_EQ(env.worker().stats.conn_yields.load(), 2u);
}

// Held output stops at kYieldedHoldLimit: past it a yielded connection sends, so the replies to
// a long pipeline of large values keep streaming.
TEST(ConnectionTest, AYieldedConnectionSendsOnceItHoldsTheLimit) {
  Env env(reqs_per_event(2));
  BufferPool pool;
  Connection c(7, env.worker(), pool);
  const std::string value(Connection::kYieldedHoldLimit / 2 + 64, 'v');  // two answers pass it
  c.receive("set v 0 0 " + std::to_string(value.size()) + "\r\n" + value + "\r\n");
  EXPECT_TRUE(c.send_due());
  EXPECT_EQ(drain(c), "STORED\r\n");
  c.receive("get v\r\nget v\r\nget v\r\nget v\r\nget v\r\n");
  EXPECT_TRUE(c.yielded());
  EXPECT_GE(c.backlog(), Connection::kYieldedHoldLimit);
  EXPECT_TRUE(c.send_due());
  const std::string answer =
      "VALUE v 0 " + std::to_string(value.size()) + "\r\n" + value + "\r\nEND\r\n";
  EXPECT_EQ(drain(c), answer + answer);
  c.resume();
  EXPECT_TRUE(c.yielded());
  EXPECT_TRUE(c.send_due());
  EXPECT_EQ(drain(c), answer + answer);
  c.resume();
  EXPECT_FALSE(c.yielded());
  EXPECT_EQ(drain(c), answer);
}

TEST(ConnectionTest, NewInputIsANewEvent) {
  Env env(reqs_per_event(2));
  BufferPool pool;
  Connection c(7, env.worker(), pool);
  c.receive("mn\r\nmn\r\nmn\r\n");
  EXPECT_TRUE(c.yielded());
  c.receive("mn\r\nmn\r\n");  // a new event: two more, the held one first
  EXPECT_TRUE(c.yielded());
  EXPECT_EQ(drain(c), "MN\r\nMN\r\nMN\r\nMN\r\n");
  c.resume();
  EXPECT_FALSE(c.yielded());
  EXPECT_EQ(drain(c), "MN\r\n");
  EXPECT_TRUE(c.idle());
}

TEST(ConnectionTest, PeerClosedFinishesAfterOutput) {
  Env env;
  BufferPool pool;
  Connection c(7, env.worker(), pool);
  c.receive("version\r\n");
  c.peer_closed();
  EXPECT_FALSE(c.wants_input());
  EXPECT_FALSE(c.finished());  // the answer is still to be sent
  drain(c);
  EXPECT_TRUE(c.finished());
}

TEST(ConnectionTest, QuitFinishesAndIgnoresLaterInput) {
  Env env;
  BufferPool pool;
  Connection c(7, env.worker(), pool);
  c.receive("version\r\nquit\r\nversion\r\n");
  EXPECT_FALSE(c.wants_input());
  const std::string out = drain(c);
  EXPECT_EQ(out.rfind("VERSION", 0), 0u);
  EXPECT_EQ(out.find("VERSION", 1), std::string::npos);
  c.receive("version\r\n");
  EXPECT_FALSE(c.has_unsent());
  EXPECT_TRUE(c.finished());
}

// Requests that each answer a megabyte (multi-gets of large values) arriving in one read: the
// session stops decoding once the backlog passes the high-water mark, so the backlog exceeds it
// by one reply at most instead of by the whole read's worth.
TEST(ConnectionTest, RepliesOfAMegabyteEachStopAtTheHighWater) {
  Env env(unlimited_requests());
  BufferPool pool;
  Connection c(7, env.worker(), pool);
  const std::string value(10000, 'x');
  std::string get = "get";
  std::string reply;
  for (int k = 100; k < 200; ++k) {
    const std::string key = "k" + std::to_string(k);
    c.receive("set " + key + " 0 0 10000\r\n" + value + "\r\n");
    get += " " + key;
    reply += "VALUE " + key + " 0 10000\r\n" + value + "\r\n";
  }
  drain(c);
  get += "\r\n";
  reply += "END\r\n";
  std::string gets;
  for (int i = 0; i < 20; ++i) gets += get;  // ~20 MB of replies from 12 KB of requests
  c.receive(gets);
  EXPECT_FALSE(c.wants_input()) << "never paused";
  EXPECT_LE(c.backlog(), Connection::kHighWater + reply.size());
  size_t peak = 0;
  std::string out;
  while (c.has_unsent()) {
    peak = std::max(peak, c.backlog());
    const std::string view = joined(c.unsent());
    const size_t n = std::min<size_t>(view.size(), 256 * 1024);
    out.append(view.substr(0, n));
    c.sent(n);
  }
  EXPECT_LE(peak, Connection::kHighWater + reply.size());
  EXPECT_EQ(out.size(), 20 * reply.size());
  EXPECT_TRUE(out == [&] {
    std::string all;
    for (int i = 0; i < 20; ++i) all += reply;
    return all;
  }()) << "replies out of order";
  EXPECT_TRUE(c.wants_input());
}

TEST(ConnectionTest, IdleConnectionKeepsNoLargeBuffers) {
  Env env;
  BufferPool pool;
  Connection c(7, env.worker(), pool);
  const std::string value(500000, 'x');
  const std::string request = "set v 0 0 500000\r\n" + value + "\r\nget v\r\n";
  for (size_t pos = 0; pos < request.size(); pos += 16384) c.receive(request.substr(pos, 16384));
  EXPECT_EQ(drain(c, 4096).size(), 8 + 18 + value.size() + 7);  // STORED, VALUE line, END
  EXPECT_EQ(c.backlog(), 0u);
  EXPECT_LE(c.buffer_memory(), InputBuffer::kKeepCapacity + 2 * Connection::kKeepOutputCapacity);
}

TEST(ConnectionTest, LargeValuesReuseTheWorkersBuffers) {
  Env env;
  BufferPool pool;
  const std::string value(100 * 1024, 'v');
  const std::string set = "set big 0 0 " + std::to_string(value.size()) + "\r\n" + value + "\r\n";
  const std::string answer =
      "VALUE big 0 " + std::to_string(value.size()) + "\r\n" + value + "\r\nEND\r\n";
  {
    Connection c(7, env.worker(), pool);
    for (size_t pos = 0; pos < set.size(); pos += 16384) c.receive(set.substr(pos, 16384));
    EXPECT_EQ(drain(c), "STORED\r\n");
    c.receive("get big\r\n");
    EXPECT_EQ(drain(c), answer);
  }
  EXPECT_FALSE(pool.empty()) << "large buffers freed instead of kept for the worker";
  // Another connection: once the pool holds what one set and one get use at the same time
  // (the input buffer and the output buffer), later requests allocate nothing new.
  Connection c(8, env.worker(), pool);
  size_t pooled = 0;
  for (int i = 0; i < 4; ++i) {
    for (size_t pos = 0; pos < set.size(); pos += 16384) c.receive(set.substr(pos, 16384));
    EXPECT_EQ(drain(c), "STORED\r\n");
    c.receive("get big\r\n");
    EXPECT_EQ(drain(c), answer);
    if (i == 1) pooled = pool.bytes();
    if (i > 1) {
      EXPECT_EQ(pool.bytes(), pooled) << "the pool grew: buffers were allocated afresh";
    }
  }
  EXPECT_LE(c.buffer_memory(), InputBuffer::kKeepCapacity + 2 * Connection::kKeepOutputCapacity);
}

}  // namespace
}  // namespace cuckood::net
