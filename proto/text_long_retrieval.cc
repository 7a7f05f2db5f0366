#include "proto/text_long_retrieval.h"

#include <algorithm>

#include "proto/key.h"
#include "proto/text_numbers.h"
#include "proto/text_replies.h"

namespace cuckood::proto::text {

namespace {

// memcached counts a line with more leading spaces than this as junk even if a get follows.
constexpr size_t kMaxLeadingSpaces = 100;

// A partial token this long is a too-long key whatever ends it: even a '\r' at its end that
// turns out to precede the newline leaves more than kMaxKeyLength bytes.
constexpr size_t kSurelyTooLong = kMaxKeyLength + 2;

}  // namespace

bool LongRetrieval::matches(std::string_view line) noexcept {
  const size_t start = std::min(line.find_first_not_of(' '), line.size());
  if (start > kMaxLeadingSpaces) return false;
  const std::string_view command = line.substr(start);
  return command.starts_with("get ") || command.starts_with("gets ") ||
         command.starts_with("gat ") || command.starts_with("gats ");
}

void LongRetrieval::start() noexcept {
  phase_ = Phase::kCommand;
  enough_tokens_ = false;
}

size_t LongRetrieval::feed(TextRequest& r, std::string_view input) noexcept {
  size_t pos = 0;
  while (active()) {
    if (phase_ == Phase::kDiscard) {
      const size_t newline = input.find('\n', pos);
      if (newline == std::string_view::npos) return input.size();
      phase_ = Phase::kIdle;
      return newline + 1;
    }
    pos = std::min(input.find_first_not_of(' ', pos), input.size());
    // Output past the limit: the next key waits until the connection has sent some of it.
    if (phase_ == Phase::kKeys && r.output.size() > r.control.output_limit) return pos;
    const size_t end = input.find_first_of(" \n", pos);
    if (end == std::string_view::npos) {
      if (phase_ == Phase::kKeys && input.size() - pos >= kSurelyTooLong) {
        fail(r, kBadFormat);
        continue;  // discards from here
      }
      return pos;  // wait for the token's end
    }
    const bool line_ends = input[end] == '\n';
    std::string_view token = input.substr(pos, end - pos);
    // As memcached: a '\r' before the newline is not part of the line.
    if (line_ends && token.ends_with('\r')) token.remove_suffix(1);
    pos = end;
    if (!token.empty()) take(r, token);
    if (line_ends && phase_ != Phase::kDiscard) {
      finish(r);
      return end + 1;
    }
  }
  return pos;
}

void LongRetrieval::take(TextRequest& r, std::string_view token) noexcept {
  switch (phase_) {
    case Phase::kCommand:
      with_cas_ = token == "gets" || token == "gats";
      touch_ = token.starts_with("gat");
      phase_ = touch_ ? Phase::kExptime : Phase::kKeys;
      return;
    case Phase::kExptime:
      if (!parse_strtol32(token, exptime_)) {
        fail(r, kInvalidExptime);
        return;
      }
      enough_tokens_ = true;
      phase_ = Phase::kKeys;
      return;
    case Phase::kKeys:
      if (!retrieve_key(r, token, with_cas_, touch_ ? &exptime_ : nullptr)) {
        fail(r, kBadFormat);
        return;
      }
      enough_tokens_ = true;
      return;
    case Phase::kIdle:
    case Phase::kDiscard:
      return;
  }
}

// The rest of the line is discarded unread.
void LongRetrieval::fail(TextRequest& r, std::string_view reply) noexcept {
  r.out.append(reply);
  phase_ = Phase::kDiscard;
}

void LongRetrieval::finish(TextRequest& r) noexcept {
  r.out.append(enough_tokens_ ? kEnd : kError);
  phase_ = Phase::kIdle;
}

}  // namespace cuckood::proto::text
