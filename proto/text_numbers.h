// Number parsing exactly as memcached's text protocol does it (util.c safe_strtol,
// safe_strtoul, safe_strtoull: strtol/strtoul/strtoull in base 10 on a 64-bit system, then
// stored into the destination width). The quirks are deliberate, because clients see them:
//   - leading whitespace and a '+' or '-' sign are accepted ("+5", "-0");
//   - the number may be followed by a whitespace character and then anything ("5\tx");
//   - safe_strtol parses 64 bits and truncates to 32 ("2147483648" becomes INT32_MIN);
//   - safe_strtoul parses 64 bits and truncates to 32 ("4294967296" becomes 0), refusing a
//     negative number only when it wraps to a huge one ("-1" fails, "-0" passes);
//   - out of the 64-bit range fails (ERANGE);
//   - safe_strtod is C's strtod ("C" locale: "1e-1", "0x10", "inf" pass), refusing an
//     out-of-range value.
#pragma once

#include <cstdint>
#include <string_view>

namespace cuckood::proto::text {

bool parse_strtol32(std::string_view token, int32_t& out) noexcept;
bool parse_strtoll(std::string_view token, int64_t& out) noexcept;
bool parse_strtoul32(std::string_view token, uint32_t& out) noexcept;
bool parse_strtoull(std::string_view token, uint64_t& out) noexcept;
// safe_strtod: strtod's number, followed by the end or whitespace.
bool parse_strtod(std::string_view token, double& out) noexcept;

}  // namespace cuckood::proto::text
