// Command-line flags: every flag of memcached 1.6.18, in its short (-p 11211, -p11211, clusters
// such as -vv or -vA) and long (--port=11211 or --port 11211) spellings, every -o sub-option,
// and cuckood's own long options (--io, --debug-time). One table row per flag and per
// sub-option drives the parser, the -h text and the README's flag table, so the three cannot
// drift apart. A flag cuckood does not act on is accepted, and the parse leaves one notice line
// per such flag saying why it has no effect; main logs them at start.
//
// Parsing runs once at start-up; errors are exceptions (FlagError) that main turns into a
// message and an exit status.
#pragma once

#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "proto/settings.h"

namespace cuckood::server {

// A command line main must refuse. `show_usage` is set for an unknown flag (the usage text is
// the most useful answer), not for a bad value (one line naming the flag says more).
// `memcached_style` errors (a bad -o sub-option) are printed verbatim, as memcached words them,
// and exit with memcached's status; the others are prefixed with "cuckood: " and exit 2.
class FlagError : public std::runtime_error {
 public:
  FlagError(const std::string& message, bool show_usage)
      : std::runtime_error(message), show_usage_(show_usage) {}
  FlagError(const std::string& message, int exit_status)
      : std::runtime_error(message), memcached_style_(true), exit_status_(exit_status) {}
  bool show_usage() const noexcept { return show_usage_; }
  bool memcached_style() const noexcept { return memcached_style_; }
  int exit_status() const noexcept { return exit_status_; }

 private:
  bool show_usage_ = false;
  bool memcached_style_ = false;
  int exit_status_ = 2;
};

struct Options {
  enum class Action { kRun, kHelp, kVersion, kLicense };
  Action action = Action::kRun;
  proto::Settings settings;
  int verbosity = 0;  // -v = 1, -vv = 2, -vvv = 3
  // What main does around the network front end (server/process.h).
  bool daemonize = false;         // -d
  std::string pid_file;           // -P
  std::string user;               // -u
  bool lock_memory = false;       // -k
  bool raise_core_limit = false;  // -r
  bool large_pages = false;       // -L
  bool no_huge_pages = false;     // --no-huge-pages (-L wins)
  // --metrics-port / --metrics-listen: Prometheus metrics over HTTP (net/metrics_endpoint.h);
  // port 0: off.
  int metrics_port = 0;
  std::string metrics_listen = "127.0.0.1";
  // One line per accepted flag or sub-option that has no effect in cuckood, saying why.
  std::vector<std::string> notices;
};

// Parses argv[1..] (`args` excludes the program name). Throws FlagError.
Options parse_flags(std::span<const char* const> args);

// The -h text.
std::string usage(std::string_view program);

// The README's tables of every flag and -o sub-option with its status, in Markdown.
std::string flag_tables_markdown();

// Parses a size with an optional k/m/g suffix (binary multiples), as -I takes it: "1m",
// "512k", "2048". Throws FlagError naming `flag`.
size_t parse_size(std::string_view flag, std::string_view text);

}  // namespace cuckood::server
