// Command-line flags, memcached's spelling: short options (-p 11211, -p11211, clusters such as
// -vv or -vA) and the long equivalents memcached 1.6 has (--port=11211 or --port 11211), plus
// our own --io=uring|epoll. Parsing runs once at start-up; errors are exceptions (FlagError)
// that main turns into a message and exit status 2.
#pragma once

#include <span>
#include <stdexcept>
#include <string>
#include <string_view>

#include "proto/settings.h"

namespace cuckood::server {

// A command line main must refuse. `show_usage` is set for an unknown flag (the usage text is
// the most useful answer), not for a bad value (one line naming the flag says more).
class FlagError : public std::runtime_error {
 public:
  FlagError(const std::string& message, bool show_usage)
      : std::runtime_error(message), show_usage_(show_usage) {}
  bool show_usage() const noexcept { return show_usage_; }

 private:
  bool show_usage_;
};

struct Options {
  enum class Action { kRun, kHelp, kVersion };
  Action action = Action::kRun;
  proto::Settings settings;
  int verbosity = 0;  // -v = 1, -vv = 2
};

// Parses argv[1..] (`args` excludes the program name). Throws FlagError.
Options parse_flags(std::span<const char* const> args);

// The -h text.
std::string usage(std::string_view program);

// Parses a size with an optional k/m/g suffix (binary multiples), as -I takes it: "1m",
// "512k", "2048". Throws FlagError naming `flag`.
size_t parse_size(std::string_view flag, std::string_view text);

}  // namespace cuckood::server
