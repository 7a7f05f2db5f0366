// Splits a text-protocol command line into tokens the way memcached's tokenize_command does:
// tokens are separated by one or more ' ' (only the space character; a tab is part of a
// token), and at most kMaxTokens are split off; whatever follows stays unsplit in `rest`
// (multi-key get continues from there; every other command has fewer tokens, so a longer line
// is refused by its token count exactly as memcached refuses it).
//
// Lifetime: tokens are views into the line, valid while the line is.
#pragma once

#include <cstddef>
#include <string_view>

#include "proto/fixed_vector.h"

namespace cuckood::proto::text {

// memcached's MAX_TOKENS (24) less its terminal token.
inline constexpr size_t kMaxTokens = 23;

struct Tokens {
  FixedVector<std::string_view, kMaxTokens> split;
  std::string_view rest;  // unsplit remainder after the last token split, if any

  size_t count() const noexcept { return split.size(); }
  // Empty past the last token, so a handler may ask for an optional one.
  std::string_view operator[](size_t i) const noexcept {
    return i < split.size() ? split[i] : std::string_view{};
  }

  // memcached's set_noreply_maybe: the last token (of those split) is "noreply".
  bool noreply() const noexcept { return !split.empty() && split[split.size() - 1] == "noreply"; }
};

void tokenize(std::string_view line, Tokens& out) noexcept;

// The command line that `input` holds before its '\n' at `newline`: without the '\n' and, as
// memcached, without a '\r' before it unless that is the line's only byte.
inline std::string_view command_line(std::string_view input, size_t newline) noexcept {
  return input.substr(0, newline > 1 && input[newline - 1] == '\r' ? newline - 1 : newline);
}

// Splits the next token off `rest` (skipping spaces); empty when none is left.
std::string_view next_token(std::string_view& rest) noexcept;

// Calls `visit` on each token of `tokens` from `first` on, then on each token of its unsplit
// rest (a multi-key line), while `visit` returns true.
template <typename Visit>
void for_each_token(const Tokens& tokens, size_t first, Visit visit) noexcept {
  for (size_t i = first; i < tokens.count(); ++i) {
    if (!visit(tokens[i])) return;
  }
  std::string_view rest = tokens.rest;
  for (std::string_view token = next_token(rest); !token.empty(); token = next_token(rest)) {
    if (!visit(token)) return;
  }
}

}  // namespace cuckood::proto::text
