#include "proto/binary_sasl.h"

#include "proto/slab_classes.h"

namespace cuckood::proto {

using namespace binary;

namespace {

constexpr std::string_view kAuthenticated = "Authenticated";

// memcached's item for the data: header, key and its NUL, the data and "\r\n", the cas.
size_t memcached_item_size(const Worker& w, size_t key_length, size_t data_length) noexcept {
  return kMemcachedItemHeader + key_length + 1 + data_length + 2 +
         (w.settings.cas_enabled ? sizeof(uint64_t) : 0);
}

}  // namespace

Status BinarySasl::refusal(const Worker& w, size_t mechanism_length, size_t data_length) noexcept {
  if (mechanism_length > kMaxMechanismLength) return Status::kInvalidArguments;
  const size_t limit = static_cast<size_t>(w.settings.slab_chunk_max);
  if (memcached_item_size(w, mechanism_length, data_length) > limit) return Status::kOutOfMemory;
  return Status::kSuccess;
}

bool BinarySasl::restart(Worker& w) {
  authenticated_ = false;
  if (exchange_ == nullptr && w.server.sasl != nullptr) exchange_ = w.server.sasl->open();
  return exchange_ != nullptr;
}

void BinarySasl::list_mechanisms(Worker& w, std::string& out, Reply reply) {
  std::string mechanisms;
  if (!restart(w) || !exchange_->list_mechanisms(mechanisms)) {
    append_error(out, reply, Status::kAuthError);
    return;
  }
  append_packet(out, reply, Status::kSuccess, 0, {}, {}, mechanisms);
}

void BinarySasl::authenticate(Worker& w, std::string& out, Reply reply, bool step,
                              std::string_view mechanism, std::string_view data) {
  SaslReply result;
  if (restart(w)) {
    if (!step) {
      result = exchange_->start(std::string(mechanism), data);
      started_ = result.outcome != SaslOutcome::kFailed;
    } else if (started_) {
      result = exchange_->step(data);
    }
  }
  switch (result.outcome) {
    case SaslOutcome::kAuthenticated:
      authenticated_ = true;
      w.stats.auth_cmds.add();
      append_packet(out, reply, Status::kSuccess, 0, {}, {}, kAuthenticated);
      return;
    case SaslOutcome::kContinue:
      append_packet(out, reply, Status::kAuthContinue, 0, {}, {}, result.data);
      return;
    case SaslOutcome::kFailed:
      w.stats.auth_cmds.add();
      w.stats.auth_errors.add();
      append_error(out, reply, Status::kAuthError);
      return;
  }
}

}  // namespace cuckood::proto
