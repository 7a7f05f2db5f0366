// The flags of meta commands (mg/ms/md/ma), parsed as memcached 1.6.18's _meta_flag_preparse
// parses them: every flag is one character, some followed by a token ("T30", "Oabc"); a flag
// may appear once; an unknown flag stops parsing at once, a bad token is remembered and
// parsing continues (so a later unknown or repeated flag decides the error).
//
// Every flag memcached knows is accepted by every meta command, as memcached does; see
// meta_commands.cc for which command answers which flag.
//
// Lifetime: `key` points into the request line or into `key_buffer`.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "proto/key.h"
#include "proto/text_tokenizer.h"

namespace cuckood::proto::meta {

// memcached: more than this many tokens (the command counted) is "options flags too long".
inline constexpr size_t kMaxMetaTokens = 19;
inline constexpr size_t kMaxOpaqueLength = 32;

inline constexpr std::string_view kInvalidFlag = "CLIENT_ERROR invalid flag\r\n";

struct MetaFlags {
  std::string_view key;  // decoded when `base64`
  bool base64 = false;
  bool value = false;  // v
  bool quiet = false;  // q
  bool has_ttl = false;
  bool has_cas = false;
  bool vivify = false;
  bool recache = false;       // R
  bool invalidate = false;    // I
  bool no_update = false;     // u
  int32_t ttl = 0;            // T
  int32_t vivify_ttl = 0;     // N
  int32_t recache_ttl = 0;    // R
  uint32_t client_flags = 0;  // F
  uint64_t cas = 0;           // C
  uint64_t delta = 1;         // D
  uint64_t initial = 0;       // J
  char mode = 0;              // M
  // A `b` key decoded: shorter than its base64, which is at most kMaxKeyLength.
  std::array<char, kMaxKeyLength> key_buffer;
};

// Parses tokens [first, t.count()) into `flags` (`t[1]` is the key). On failure returns false
// and sets `error` to memcached's reply line (it keeps its value when memcached's
// default message applies).
bool parse_meta_flags(const text::Tokens& t, size_t first, MetaFlags& flags,
                      std::string_view& error) noexcept;

// Appends " k<key>" (" k<base64> b" for a binary key), as flag k echoes a key: the request's
// key, or a stored item's `key` (binary if it was stored with b).
void append_key_flag(std::string& out, const MetaFlags& flags);
void append_key_flag(std::string& out, std::string_view key, bool binary);

}  // namespace cuckood::proto::meta
