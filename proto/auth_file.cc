#include "proto/auth_file.h"

#include <fstream>
#include <iterator>

namespace cuckood::proto {

namespace {

bool equal_in_constant_time(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  unsigned char difference = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    difference |= static_cast<unsigned char>(a[i] ^ b[i]);
  }
  return difference == 0;
}

}  // namespace

AuthFileStatus AuthFile::load(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) return AuthFileStatus::kOpenFailed;
  const std::string text((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  return load_text(text);
}

AuthFileStatus AuthFile::load_text(std::string_view text) {
  std::vector<Entry> entries;
  while (!text.empty() && entries.size() < kMaxEntries) {
    const size_t newline = text.find('\n');
    std::string_view line = text.substr(0, newline);
    text = newline == std::string_view::npos ? std::string_view() : text.substr(newline + 1);
    const size_t colon = line.find(':');
    if (colon == std::string_view::npos || line.substr(0, colon).find('\0') != line.npos) {
      return AuthFileStatus::kMalformed;
    }
    std::string_view password = line.substr(colon + 1);
    password = password.substr(0, password.find_first_of(std::string_view("\r\0", 2)));
    entries.push_back({std::string(line.substr(0, colon)), std::string(password)});
  }
  std::lock_guard lock(mutex_);
  entries_ = std::move(entries);
  return AuthFileStatus::kOk;
}

bool AuthFile::check(std::string_view user, std::string_view password) const {
  std::lock_guard lock(mutex_);
  bool found = false;
  for (const Entry& e : entries_) {
    // Both compared every time, so the time taken does not tell which one differed.
    const bool user_matches = equal_in_constant_time(user, e.user);
    const bool password_matches = equal_in_constant_time(password, e.password);
    found |= user_matches && password_matches;
  }
  return found;
}

}  // namespace cuckood::proto
