// Formatting helpers shared by the reports (report.cc, bigmem_report.cc): printf-style append
// and JSON string quoting. Report time only, so simplicity beats speed.
#pragma once

#include <cstdio>
#include <string>
#include <string_view>

namespace cuckood::load {

// printf-style append to a std::string (two passes: measure, then write).
template <typename... Args>
void appendf(std::string& out, const char* fmt, Args... args) {
  const int n = std::snprintf(nullptr, 0, fmt, args...);
  if (n <= 0) return;
  const size_t old = out.size();
  out.resize(old + static_cast<size_t>(n) + 1);
  std::snprintf(out.data() + old, static_cast<size_t>(n) + 1, fmt, args...);
  out.resize(old + static_cast<size_t>(n));
}

// `s` as a JSON string literal (the reports quote only addresses and option names).
inline std::string json_string(std::string_view s) {
  std::string out(1, '"');
  for (char ch : s) {
    if (ch == '"' || ch == '\\') out += '\\';
    out += ch;
  }
  out += '"';
  return out;
}

}  // namespace cuckood::load
