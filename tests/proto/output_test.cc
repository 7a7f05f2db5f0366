// proto/output: a large value becomes a slice (pinned in a CuckooCache) instead of a copy, and
// the flattened output (bytes with slices inserted) equals exactly the copied reply, for text
// get/gets, meta mg v, and binary get/getk/getq batches; a failing pin (LibcuckooCache, or the
// cap on pinned segments) falls back to the copy; a voided multi-get releases its slices.
#include "proto/output.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "cache/baseline/libcuckoo_cache.h"
#include "cache/cuckoo_cache.h"
#include "proto/session.h"
#include "tests/proto/binary_packets.h"

namespace cuckood::proto {
namespace {

using testing::Packet;
using testing::request;

std::string value_of(char seed, size_t size) {
  std::string value(size, '\0');
  for (size_t i = 0; i < size; ++i) value[i] = static_cast<char>(seed + i * 7 % 61);
  return value;
}

// A worker over a CuckooCache (or LibcuckooCache) with one store session and two readers: one
// answering into an Output with slices, one into a plain string (every value copied).
class OutputTest : public ::testing::Test {
 protected:
  void make(bool cuckoo, size_t memory_limit = size_t{64} << 20) {
    cache::CacheConfig config;
    config.memory_limit = memory_limit;
    config.hash_seed = 3;
    if (cuckoo) {
      cache_ = std::make_unique<cache::CuckooCache>(config);
    } else {
      cache_ = std::make_unique<cache::LibcuckooCache>(config);
    }
    ctx_ = cache_->register_worker();
    worker_ =
        std::make_unique<Worker>(Worker{*cache_, *ctx_, settings_, server_, server_.add_worker(),
                                        server_.watch_log.add_producer()});
  }
  void tear_down_cache() {
    worker_.reset();
    ctx_.reset();
    cache_.reset();
  }
  void TearDown() override { tear_down_cache(); }

  void set(const std::string& key, const std::string& value) {
    Session session(*worker_);
    std::string out;
    const std::string req =
        "set " + key + " 5 0 " + std::to_string(value.size()) + "\r\n" + value + "\r\n";
    ASSERT_EQ(session.process(req, out), req.size());
    ASSERT_EQ(out, "STORED\r\n");
  }

  // Answers `input` both ways; expects the same bytes and returns the sliced output's slice
  // count.
  size_t compare(const std::string& input) {
    Session sliced(*worker_), copied(*worker_);
    Output output;
    output.enable_slices(*cache_, *ctx_);
    std::string plain;
    EXPECT_EQ(sliced.process(input, output), input.size());
    EXPECT_EQ(copied.process(input, plain), input.size());
    EXPECT_EQ(output.size(), plain.size());
    EXPECT_TRUE(output.flatten() == plain) << input.substr(0, 40);
    return output.slices.size();
  }

  Settings settings_;
  ServerState server_;
  std::unique_ptr<cache::Cache> cache_;
  std::unique_ptr<cache::WorkerContext> ctx_;
  std::unique_ptr<Worker> worker_;
};

TEST_F(OutputTest, TextGetAndGetsSendLargeValuesAsSlices) {
  make(true);
  set("big", value_of('a', 100 * 1024));
  set("edge", value_of('b', kDefaultSliceThreshold));
  set("below", value_of('c', kDefaultSliceThreshold - 1));
  set("small", "hello");
  EXPECT_EQ(compare("get big\r\n"), 1u);
  EXPECT_EQ(compare("get below small\r\n"), 0u);
  EXPECT_EQ(compare("get big edge below small missing big\r\n"), 3u);
  EXPECT_EQ(compare("gets big small edge\r\nget big\r\ngets edge\r\n"), 4u);
  EXPECT_EQ(compare("gat 100 big\r\ngats 0 edge small\r\n"), 2u);
}

TEST_F(OutputTest, MetaGetWithValueSendsSlices) {
  make(true);
  set("big", value_of('d', 200 * 1024));
  set("small", "hi");
  EXPECT_EQ(compare("mg big v\r\n"), 1u);
  EXPECT_EQ(compare("mg big s f c k v O123\r\nmg small v\r\nmg big s\r\nmn\r\n"), 1u);
  EXPECT_EQ(compare("mg big v q\r\nmg missing v q\r\nmg big T30 v t\r\nmn\r\n"), 2u);
}

TEST_F(OutputTest, BinaryGetBatchesSendSlices) {
  make(true);
  const std::string big = value_of('e', 64 * 1024);
  set("big", big);
  set("small", "tiny");
  std::string batch;
  batch += request(Packet{binary::Opcode::kGetQ, "big", "", "", 1});
  batch += request(Packet{binary::Opcode::kGetKQ, "missing", "", "", 2});
  batch += request(Packet{binary::Opcode::kGetK, "big", "", "", 3});
  batch += request(Packet{binary::Opcode::kGetQ, "small", "", "", 4});
  batch += request(Packet{binary::Opcode::kGet, "big", "", "", 5});
  batch += request(Packet{binary::Opcode::kNoOp, "", "", "", 6});
  EXPECT_EQ(compare(batch), 3u);
  // A value slice at the very end of a packet, followed directly by the next packet.
  EXPECT_EQ(compare(request(Packet{binary::Opcode::kGet, "big", "", "", 7}) +
                    request(Packet{binary::Opcode::kGet, "big", "", "", 8})),
            2u);
}

TEST_F(OutputTest, PinsAreReleasedWithTheOutput) {
  make(true, size_t{8} << 20);  // 8 segments: 40 overwrites of 900 KiB recycle them all
  set("big", value_of('f', 100 * 1024));
  auto* cuckoo = static_cast<cache::CuckooCache*>(cache_.get());
  {
    Session session(*worker_);
    Output output;
    output.enable_slices(*cache_, *ctx_);
    session.process("get big big\r\n", output);
    ASSERT_EQ(output.slices.size(), 2u);
    output.release_slice(output.slices[0]);
    EXPECT_FALSE(output.slices[0].pin);
    // Overwrite the key many times: the slice's segment is parked, not reused.
    for (int i = 0; i < 40; ++i) set("big", value_of(static_cast<char>('g' + i % 10), 900 * 1024));
    cache_->quiescent(*ctx_);
    cuckoo->reclaim_now();
    EXPECT_EQ(std::string_view(output.slices[1].data, output.slices[1].size),
              value_of('f', 100 * 1024));
  }
  EXPECT_EQ(cuckoo->segment_store().parked_segments(), 0u);
}

TEST_F(OutputTest, VoidedMultiGetReleasesItsSlices) {
  make(true);
  set("big", value_of('h', 100 * 1024));
  const std::string long_key(300, 'k');
  EXPECT_EQ(compare("get big big " + long_key + "\r\n"), 0u);
  Session session(*worker_);
  Output output;
  output.enable_slices(*cache_, *ctx_);
  session.process("get big\r\nget big " + long_key + "\r\n", output);
  EXPECT_EQ(output.slices.size(), 1u);
  EXPECT_EQ(output.flatten(), "VALUE big 5 102400\r\n" + value_of('h', 100 * 1024) +
                                  "\r\nEND\r\nCLIENT_ERROR bad command line format\r\n");
}

TEST_F(OutputTest, FailingPinFallsBackToACopy) {
  make(false);  // LibcuckooCache pins nothing
  set("big", value_of('i', 100 * 1024));
  EXPECT_EQ(compare("get big\r\nmg big v\r\n"), 0u);
}

TEST_F(OutputTest, PinsBeyondTheCapAreCopies) {
  make(true, size_t{8} << 20);  // 8 segments: at most 2 pinned
  for (int i = 0; i < 4; ++i) set("big" + std::to_string(i), value_of('j', 900 * 1024));
  EXPECT_EQ(compare("get big0 big1 big2 big3\r\n"), 2u);
}

}  // namespace
}  // namespace cuckood::proto
