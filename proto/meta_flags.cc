#include "proto/meta_flags.h"

#include "proto/meta_base64.h"
#include "proto/text_numbers.h"

namespace cuckood::proto::meta {

namespace {

constexpr std::string_view kDuplicateFlag = "CLIENT_ERROR duplicate flag\r\n";
constexpr std::string_view kBadToken = "CLIENT_ERROR bad token in command line format\r\n";
constexpr std::string_view kDecodeError = "CLIENT_ERROR error decoding key\r\n";
constexpr std::string_view kBadMode = "CLIENT_ERROR incorrect length for M token\r\n";
constexpr std::string_view kBadInitial = "CLIENT_ERROR invalid numeric initial value\r\n";
constexpr std::string_view kBadDelta = "CLIENT_ERROR invalid numeric delta value\r\n";

}  // namespace

bool parse_meta_flags(const text::Tokens& t, size_t first, MetaFlags& f,
                      std::string_view& error) noexcept {
  f.key = t[1];
  bool seen[128] = {};
  bool failed = false;
  auto fail = [&](std::string_view message) {
    error = message;
    failed = true;
  };
  for (size_t i = first; i < t.count(); ++i) {
    const std::string_view token = t[i];
    const std::string_view arg = token.substr(1);
    const auto flag = static_cast<unsigned char>(token[0]);
    if (flag >= 127 || seen[flag]) {
      error = kDuplicateFlag;
      return false;
    }
    seen[flag] = true;
    switch (flag) {
      case 'b': {
        const size_t n = base64_decode(t[1], f.key_buffer.data());
        if (n == 0) fail(kDecodeError);
        f.key = std::string_view(f.key_buffer.data(), n);
        f.base64 = true;
        break;
      }
      case 'N':
        f.vivify = true;
        if (!text::parse_strtol32(arg, f.vivify_ttl)) fail(kBadToken);
        break;
      case 'T':
        f.has_ttl = true;
        if (!text::parse_strtol32(arg, f.ttl)) fail(kBadToken);
        break;
      case 'R':
        f.recache = true;
        if (!text::parse_strtol32(arg, f.recache_ttl)) fail(kBadToken);
        break;
      case 'I':
        f.invalidate = true;
        break;
      case 'u':
        f.no_update = true;
        break;
      case 'v':
        f.value = true;
        break;
      case 'q':
        f.quiet = true;
        break;
      case 'F':
        // memcached keeps its default message ("bad command line format") for this one.
        if (!text::parse_strtoul32(arg, f.client_flags)) failed = true;
        break;
      case 'C':
        f.has_cas = true;
        if (!text::parse_strtoull(arg, f.cas)) fail(kBadToken);
        break;
      case 'M':
        if (token.size() != 2) {
          fail(kBadMode);
        } else {
          f.mode = token[1];
        }
        break;
      case 'J':
        if (!text::parse_strtoull(arg, f.initial)) fail(kBadInitial);
        break;
      case 'D':
        if (!text::parse_strtoull(arg, f.delta)) fail(kBadDelta);
        break;
      // Known to memcached and harmless here: output-only flags and proxy hints (P, L).
      case 'O':
      case 'P':
      case 'L':
      case 'k':
      case 's':
      case 't':
      case 'c':
      case 'f':
      case 'h':
      case 'l':
        break;
      default:
        error = kInvalidFlag;
        return false;
    }
  }
  return !failed;
}

void append_key_flag(std::string& out, const MetaFlags& f) {
  append_key_flag(out, f.key, f.base64);
}

void append_key_flag(std::string& out, std::string_view key, bool binary) {
  out.append(" k");
  if (!binary) {
    out.append(key);
    return;
  }
  base64_encode(key, out);
  out.append(" b");
}

}  // namespace cuckood::proto::meta
