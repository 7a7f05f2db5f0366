#include "tests/fuzz/reply_mask.h"

#include <algorithm>
#include <charconv>
#include <cstddef>
#include <cstdint>

#include "proto/binary_header.h"

namespace cuckood::fuzz {

namespace {

constexpr std::string_view kStatPrefix = "STAT ";
constexpr size_t kNoData = SIZE_MAX;

// The `index`th space-separated token of `line` (empty when there are fewer).
std::string_view token(std::string_view line, size_t index) noexcept {
  size_t pos = 0;
  for (;;) {
    pos = line.find_first_not_of(' ', pos);
    if (pos == std::string_view::npos) return {};
    const size_t end = std::min(line.find(' ', pos), line.size());
    if (index-- == 0) return line.substr(pos, end - pos);
    pos = end;
  }
}

size_t number(std::string_view text) noexcept {
  size_t value = 0;
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  return ec == std::errc() && ptr == text.data() + text.size() ? value : kNoData;
}

// Bytes of the data block a text reply line announces (VALUE, meta VA), kNoData if none.
size_t announced_data(std::string_view line) noexcept {
  const std::string_view word = token(line, 0);
  if (word == "VALUE") return number(token(line, 3));
  if (word == "VA") return number(token(line, 1));
  return kNoData;
}

std::string mask_text(std::string_view reply, StatRule rule) {
  std::string out;
  out.reserve(reply.size());
  size_t pos = 0;
  while (pos < reply.size()) {
    const size_t newline = reply.find('\n', pos);
    if (newline == std::string_view::npos) break;
    const std::string_view whole = reply.substr(pos, newline + 1 - pos);
    std::string_view line = whole.substr(0, whole.size() - 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    pos = newline + 1;
    if (line.starts_with(kStatPrefix)) {
      const std::string_view rest = line.substr(kStatPrefix.size());
      const std::string_view name = rest.substr(0, rest.find(' '));
      switch (rule(name)) {
        case StatMask::kKeep:
          out.append(whole);
          break;
        case StatMask::kValue:
          out.append(kStatPrefix).append(name).append(" *").append(whole.substr(line.size()));
          break;
        case StatMask::kDrop:
          break;
      }
      continue;
    }
    out.append(whole);
    const size_t data = announced_data(line);
    if (data != kNoData) {
      const size_t block = std::min(data + 2, reply.size() - pos);
      out.append(reply.substr(pos, block));
      pos += block;
    }
  }
  // A reply cut short (a connection closed early) may end inside a STAT line, whose mask
  // would then not apply: the part is left out, so that the cut reply stays a prefix of the
  // masked whole one.
  if (!reply.substr(pos).starts_with(kStatPrefix)) out.append(reply.substr(pos));
  return out;
}

std::string mask_binary(std::string_view reply, StatRule rule) {
  namespace bin = proto::binary;
  std::string out;
  out.reserve(reply.size());
  size_t pos = 0;
  while (reply.size() - pos >= bin::kHeaderSize) {
    bin::ResponseHeader h = bin::decode_response_header(reply.data() + pos);
    const size_t packet = bin::kHeaderSize + size_t{h.body_length};
    if (packet > reply.size() - pos) break;
    const std::string_view body = reply.substr(pos + bin::kHeaderSize, h.body_length);
    const size_t named = size_t{h.extras_length} + h.key_length;
    StatMask mask = StatMask::kKeep;
    if (h.magic == bin::kResponseMagic && h.opcode == bin::Opcode::kStat &&
        h.status == bin::Status::kSuccess && h.key_length != 0 && named <= body.size()) {
      mask = rule(body.substr(h.extras_length, h.key_length));
    }
    switch (mask) {
      case StatMask::kKeep:
        out.append(reply.substr(pos, packet));
        break;
      case StatMask::kValue: {
        h.body_length = static_cast<uint32_t>(named + 1);
        char header[bin::kHeaderSize];
        bin::encode_response_header(h, header);
        out.append(header, sizeof(header)).append(body.substr(0, named)).push_back('*');
        break;
      }
      case StatMask::kDrop:
        break;
    }
    pos += packet;
  }
  // Likewise a Stat response cut short (or too short to tell) is left out.
  const std::string_view rest = reply.substr(pos);
  const bool may_be_stat =
      rest.size() < 2 ||
      static_cast<bin::Opcode>(static_cast<uint8_t>(rest[1])) == bin::Opcode::kStat;
  if (!may_be_stat) out.append(rest);
  return out;
}

}  // namespace

std::string mask_stats(std::string_view reply, bool binary, StatRule rule) {
  return binary ? mask_binary(reply, rule) : mask_text(reply, rule);
}

}  // namespace cuckood::fuzz
