// memcached's -Y file of text-protocol credentials: one `user:password` per line, as its
// authfile.c reads it. The password runs from the first ':' to the end of the line ('\r' or
// '\n'); a line without ':' (a blank line too) makes the whole file malformed; only the first
// kMaxEntries lines count, further ones are ignored as memcached ignores them.
//
// Threading: load() may run on any thread (SIGHUP reloads the file) while workers call
// check(); a failed reload keeps the credentials loaded before, as memcached keeps them.
#pragma once

#include <cstddef>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace cuckood::proto {

enum class AuthFileStatus { kOk, kOpenFailed, kMalformed };

class AuthFile {
 public:
  static constexpr size_t kMaxEntries = 8;

  // Reads `path` and, if it parses, replaces the credentials held.
  AuthFileStatus load(const std::string& path);
  // Parses a file's text; the credentials held change only on kOk.
  AuthFileStatus load_text(std::string_view text);

  // Whether `user` and `password` are one of the entries; compares in time independent of
  // where the bytes differ.
  bool check(std::string_view user, std::string_view password) const;

 private:
  struct Entry {
    std::string user;
    std::string password;
  };
  mutable std::mutex mutex_;
  std::vector<Entry> entries_;
};

}  // namespace cuckood::proto
