#include "bench/load/soak_client.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>
#include <algorithm>
#include <cerrno>
#include <cstdio>

#include "bench/load/client_thread.h"
#include "bench/load/connection.h"
#include "bench/load/value_codec.h"

namespace cuckood::load::soak {
namespace {

constexpr size_t kOwnedKeys = 32;           // per kind (append, counter) and slot
constexpr size_t kMaxAppendContent = 2048;  // past this an append key is set afresh
constexpr uint64_t kReconnectOneIn = 200;   // turns
constexpr uint64_t kMaxBatch = 32;
constexpr int kReplyTimeoutSeconds = 10;
constexpr size_t kRecvChunk = 64 * 1024;
constexpr uint64_t kWrongShown = 5;  // per slot, on stderr: enough to start debugging
constexpr size_t kShownBytes = 80;

// Operation mix, in 1/100: the rest after the listed ones is touch.
constexpr uint64_t kGetShare = 40, kSetShare = 25, kAppendShare = 10, kIncrShare = 10,
                   kDeleteShare = 7;

std::string owned_key(char kind, int slot, uint64_t i) {
  return std::string(1, kind) + std::to_string(slot) + "_" + std::to_string(i);
}

}  // namespace

uint64_t SoakCounters::operations() const noexcept {
  uint64_t n = 0;
  for (uint64_t v : ops) n += v;
  return n;
}

void SoakCounters::add(const SoakCounters& o) noexcept {
  for (int i = 0; i < kOpCount; ++i) ops[static_cast<size_t>(i)] += o.ops[static_cast<size_t>(i)];
  verified_reads += o.verified_reads;
  misses += o.misses;
  wrong += o.wrong;
  server_errors += o.server_errors;
  protocol_errors += o.protocol_errors;
  io_errors += o.io_errors;
  reconnects += o.reconnects;
}

SoakClient::SoakClient(const Options& options, int slot, uint64_t seed)
    : opt_(options),
      slot_(slot),
      protocol_(slot % 2 == 0 ? WireProtocol::kText : WireProtocol::kBinary),
      rng_(seed),
      append_keys_(kOwnedKeys),
      counter_keys_(kOwnedKeys) {}

SoakClient::~SoakClient() {
  close();
}

bool SoakClient::open() {
  std::string error;
  const std::string& server = opt_.servers[static_cast<size_t>(slot_) % opt_.servers.size()];
  fd_ = connect_to(server, error);
  if (fd_ < 0) return false;
  ::fcntl(fd_, F_SETFL, ::fcntl(fd_, F_GETFL) & ~O_NONBLOCK);
  timeval timeout{kReplyTimeoutSeconds, 0};
  ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof(timeout));
  return true;
}

void SoakClient::close() noexcept {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

void SoakClient::run(uint64_t end_ns) {
  if (!open()) {
    ++counters_.io_errors;
    return;
  }
  std::vector<Slot> batch;
  while (now_ns() < end_ns) {
    const uint64_t n = rng_.below(2) == 0 ? 1 : 2 + rng_.below(kMaxBatch - 1);
    batch.resize(n);
    for (Slot& s : batch) plan(s);
    if (!exchange(batch)) return;
    if (rng_.below(kReconnectOneIn) == 0) {
      close();
      ++counters_.reconnects;
      if (!open()) {
        ++counters_.io_errors;
        return;
      }
    }
  }
}

void SoakClient::plan(Slot& s) {
  const uint64_t roll = rng_.below(100);
  Op op = Op::kTouch;
  if (roll < kGetShare)
    op = Op::kGet;
  else if (roll < kGetShare + kSetShare)
    op = Op::kSet;
  else if (roll < kGetShare + kSetShare + kAppendShare)
    op = Op::kAppend;
  else if (roll < kGetShare + kSetShare + kAppendShare + kIncrShare)
    op = Op::kIncr;
  else if (roll < kGetShare + kSetShare + kAppendShare + kIncrShare + kDeleteShare)
    op = Op::kDelete;

  s.model = nullptr;
  s.value.clear();
  s.request = Request{op, {}, {}, 0, opaque_++};
  // Appends and incrs go to owned keys; the others to owned keys half of the time.
  const bool owned = op == Op::kAppend || op == Op::kIncr || rng_.below(2) == 0;
  if (!owned) {
    s.key.resize(static_cast<size_t>(opt_.key_size));
    format_key(rng_.below(opt_.keys), opt_.key_size, s.key.data());
    s.key[0] = 's';
    if (op == Op::kSet) {
      s.value.resize(opt_.value_min + rng_.below(opt_.value_max - opt_.value_min + 1));
      fill_value(s.key, s.value.size(), s.value.data());
    }
  } else {
    const bool counter = op == Op::kIncr || (op != Op::kAppend && rng_.below(2) == 0);
    const uint64_t i = rng_.below(kOwnedKeys);
    s.key = owned_key(counter ? 'c' : 'a', slot_, i);
    s.model = &(counter ? counter_keys_ : append_keys_)[i];
    if (op == Op::kAppend && s.model->present() && s.model->content().size() > kMaxAppendContent)
      op = s.request.op = Op::kSet;
    if (op == Op::kSet)
      s.value =
          counter ? std::to_string(rng_.next() >> rng_.below(64)) : append_chunk(s.key, version_++);
    else if (op == Op::kAppend)
      s.value = append_chunk(s.key, version_++);
    else if (op == Op::kIncr)
      s.request.delta = rng_.below(2) == 0 ? 1 : rng_.next();
  }
  s.request.key = s.key;
  s.request.value = s.value;
}

bool SoakClient::exchange(std::vector<Slot>& batch) {
  for (const Slot& s : batch) append_request(out_, protocol_, s.request);
  while (!out_.empty()) {
    const std::string_view data = out_.readable();
    const ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
    if (n <= 0 && errno == EINTR) continue;
    if (n <= 0) {
      ++counters_.io_errors;
      return false;
    }
    out_.consume(static_cast<size_t>(n));
  }
  for (const Slot& s : batch) {
    SoakReply reply;
    while (true) {
      const ParseStatus status = parse(protocol_, in_.readable(), s.request, reply);
      if (status == ParseStatus::kComplete) break;
      if (status == ParseStatus::kInvalid) {
        ++counters_.protocol_errors;
        return false;
      }
      char* p = in_.prepare(kRecvChunk);
      const ssize_t n = ::recv(fd_, p, in_.writable(), 0);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        ++counters_.io_errors;
        return false;
      }
      in_.commit(static_cast<size_t>(n));
    }
    judge(s, reply);
    in_.consume(reply.consumed);
  }
  return true;
}

void SoakClient::judge(const Slot& s, const SoakReply& reply) {
  const Op op = s.request.op;
  ++counters_.ops[static_cast<size_t>(op)];
  if (reply.answer == Answer::kError) {
    ++counters_.server_errors;
    // The write may or may not have happened: the key's history is unknown from here on, so
    // the next reply about it must not be judged against a guess.
    if (s.model) *s.model = KeyModel::unknown();
    return;
  }
  if (op == Op::kGet && reply.answer == Answer::kMiss) ++counters_.misses;
  bool right = true;
  if (!s.model) {  // shared key: only a value read back can be judged
    if (op == Op::kGet && reply.answer == Answer::kValue) right = verify_value(s.key, reply.value);
  } else {
    KeyModel& m = *s.model;
    switch (op) {
      case Op::kGet:
        right = m.check_get(reply.answer == Answer::kValue
                                ? std::optional<std::string_view>(reply.value)
                                : std::nullopt);
        break;
      case Op::kSet:
        if (reply.answer == Answer::kStored)
          m.stored(s.value);
        else
          right = false;  // a plain set is never refused
        break;
      case Op::kAppend:
        right = m.check_append(s.value, reply.answer == Answer::kStored);
        break;
      case Op::kIncr:
        right = m.check_incr(s.request.delta, reply.answer == Answer::kNumber
                                                  ? std::optional<uint64_t>(reply.number)
                                                  : std::nullopt);
        break;
      case Op::kDelete:
      case Op::kTouch:
        right = m.check_found(reply.answer == Answer::kFound, op == Op::kDelete);
        break;
    }
  }
  if (op == Op::kGet && reply.answer == Answer::kValue && right) ++counters_.verified_reads;
  if (!right) {
    ++counters_.wrong;
    if (counters_.wrong <= kWrongShown) show_wrong(s, reply);
  }
}

void SoakClient::show_wrong(const Slot& s, const SoakReply& reply) const {
  const std::string expected = !s.model ? "a fill_value() value"
                               : !s.model->present()
                                   ? "absent"
                                   : "[" + s.model->content().substr(0, kShownBytes) + "]";
  std::fprintf(stderr,
               "soak: wrong: %s %s (delta %llu) answered %d [%.*s] number %llu; expected %s\n",
               std::string(to_string(s.request.op)).c_str(), s.key.c_str(),
               (unsigned long long)s.request.delta, static_cast<int>(reply.answer),
               static_cast<int>(std::min(reply.value.size(), kShownBytes)), reply.value.data(),
               (unsigned long long)reply.number, expected.c_str());
}

}  // namespace cuckood::load::soak
