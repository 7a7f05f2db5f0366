// The rows behind server/flags.h: every flag of memcached 1.6.18 (`memcached -h` of Debian's
// package, which is built with TLS and extstore) and every -o sub-option its main() and
// storage_read_config() know, plus cuckood's own long options. A row says how the flag is
// spelled, what it takes, what -h says about it and, for a flag cuckood does not act on, why
// (the start-up notice and the README's status column). The parser (flags.cc) acts on the
// implemented ones by their name.
#pragma once

#include <span>
#include <string_view>

namespace cuckood::server {

struct FlagRow {
  char short_name;              // '\0' = long only
  std::string_view long_name;   // empty = short only (memcached's -D)
  std::string_view value_name;  // empty = takes no value
  std::string_view help;
  std::string_view no_effect;  // empty = implemented; else why cuckood does not act on it
  // Non-empty: the flag is refused with this message and memcached's usage status, as a
  // memcached built without the feature refuses it, and -h leaves it out (memcached's test
  // suite reads -h to learn whether the feature is there). A security feature cuckood lacks is
  // refused, never accepted without effect.
  std::string_view refused = {};
};

// What a sub-option's value must be; memcached's checks, with its messages where it has one.
enum class SubValue {
  kNone,      // a switch; a value, if given, is ignored (as memcached's getsubopt does)
  kOptional,  // a switch that may carry an integer (slab_automove)
  kText,      // any non-empty text
  kInt,       // a decimal integer within [min, max]
  kDouble,    // a decimal number within (min, max]
};

struct SubOptionRow {
  std::string_view name;
  SubValue value;
  std::string_view help;
  std::string_view no_effect;  // empty = implemented
  double min = 0;
  double max = 0;
};

std::span<const FlagRow> flag_rows() noexcept;
std::span<const SubOptionRow> sub_option_rows() noexcept;

}  // namespace cuckood::server
