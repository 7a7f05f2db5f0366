#include "tests/fuzz/difference.h"

#include <algorithm>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <utility>

namespace cuckood::fuzz {

namespace {

constexpr size_t kContextBefore = 200;
constexpr size_t kContextAfter = 300;

std::string escaped(std::string_view bytes) {
  std::string out;
  for (const char c : bytes) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '\n') {
      out += "\\n\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\\') {
      out += "\\\\";
    } else if (u < 0x20 || u >= 0x7f) {
      char hex[5];
      std::snprintf(hex, sizeof(hex), "\\x%02x", u);
      out += hex;
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace

void print_difference(std::string_view what, std::string_view name_a, std::string_view a,
                      std::string_view name_b, std::string_view b) {
  const size_t common = std::min(a.size(), b.size());
  const size_t at = static_cast<size_t>(
      std::mismatch(a.begin(), a.begin() + common, b.begin()).first - a.begin());
  const size_t from = at > kContextBefore ? at - kContextBefore : 0;
  std::fprintf(stderr, "== %.*s broken: first difference at byte %zu (%.*s %zu bytes, %.*s %zu)\n",
               static_cast<int>(what.size()), what.data(), at, static_cast<int>(name_a.size()),
               name_a.data(), a.size(), static_cast<int>(name_b.size()), name_b.data(), b.size());
  for (const auto& [name, reply] : {std::pair{name_a, a}, std::pair{name_b, b}}) {
    const std::string text = escaped(reply.substr(from, at - from + kContextAfter));
    std::fprintf(stderr, "== %.*s from byte %zu:\n%s\n", static_cast<int>(name.size()), name.data(),
                 from, text.c_str());
  }
}

void show_reply(std::string_view name, std::string_view reply) {
  if (std::getenv("CUCKOOD_FUZZ_SHOW") == nullptr) return;
  const std::string text = escaped(reply);
  std::fprintf(stderr, "== %.*s (%zu bytes):\n%s\n", static_cast<int>(name.size()), name.data(),
               reply.size(), text.c_str());
}

}  // namespace cuckood::fuzz
