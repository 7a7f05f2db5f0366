// Table-driven flag parser: one row per flag, so the usage text and the parser cannot drift
// apart. Limits follow memcached 1.6 where it has them (-I between 1k and 1024m and at most
// half of -m).
#include "server/flags.h"

#include <charconv>
#include <cstdint>
#include <limits>

namespace cuckood::server {

namespace {

constexpr size_t kMinItemSize = 1024;
constexpr size_t kMaxItemSize = size_t{1} << 30;
constexpr int kMaxThreads = 256;
constexpr int kMaxConnections = 1 << 20;

struct Flag {
  char short_name;  // '\0' = long only
  std::string_view long_name;
  std::string_view value_name;  // empty = takes no value
  std::string_view help;
};

constexpr Flag kFlags[] = {
    {'p', "port", "<num>", "TCP port to listen on (default: 11211)"},
    {'l', "listen", "<addr>", "interface to listen on (default: 127.0.0.1)"},
    {'U', "udp-port", "<num>", "UDP port; only 0 (off) is supported"},
    {'t', "threads", "<num>", "number of worker threads (default: 4)"},
    {'m', "memory-limit", "<num>", "item memory in megabytes (default: 64)"},
    {'c', "conn-limit", "<num>", "max simultaneous connections (default: 1024)"},
    {'I', "max-item-size", "<size>", "largest item, k/m suffixes allowed (default: 1m)"},
    {'A', "enable-shutdown", "", "enable the shutdown command"},
    {'v', "verbose", "", "log connection events; -vv also logs commands"},
    {'h', "help", "", "print this help and exit"},
    {'V', "version", "", "print the version and exit"},
    {'\0', "io", "uring|epoll", "I/O engine (default: uring, epoll if unavailable)"},
    {'\0', "debug-time", "", "allow the debugtime command to move the clock (tests only)"},
};

const Flag* find_short(char c) {
  for (const Flag& f : kFlags) {
    if (f.short_name == c) return &f;
  }
  return nullptr;
}

const Flag* find_long(std::string_view name) {
  for (const Flag& f : kFlags) {
    if (f.long_name == name) return &f;
  }
  return nullptr;
}

std::string display_name(const Flag& f) {
  return f.short_name ? std::string("-") + f.short_name : "--" + std::string(f.long_name);
}

[[noreturn]] void bad_value(const Flag& f, std::string_view value, std::string_view why) {
  throw FlagError(
      display_name(f) + ": invalid value '" + std::string(value) + "' (" + std::string(why) + ")",
      false);
}

int64_t parse_integer(const Flag& f, std::string_view text, int64_t min, int64_t max) {
  int64_t value = 0;
  const char* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (text.empty() || ec != std::errc() || ptr != end) bad_value(f, text, "not a number");
  if (value < min || value > max) {
    bad_value(f, text, "must be " + std::to_string(min) + ".." + std::to_string(max));
  }
  return value;
}

void apply(const Flag& f, std::string_view value, Options& options) {
  proto::Settings& s = options.settings;
  switch (f.short_name) {
    case 'p':
      s.port = static_cast<uint16_t>(parse_integer(f, value, 1, 65535));
      return;
    case 'l':
      if (value.empty()) bad_value(f, value, "empty address");
      s.listen_address = std::string(value);
      return;
    case 'U':
      if (parse_integer(f, value, 0, 65535) != 0) {
        throw FlagError("-U: UDP is not supported; leave it at 0 (off)", false);
      }
      s.udp_port = 0;
      return;
    case 't':
      s.threads = static_cast<int>(parse_integer(f, value, 1, kMaxThreads));
      return;
    case 'm':
      s.memory_limit = static_cast<size_t>(parse_integer(f, value, 1, int64_t{1} << 30)) << 20;
      return;
    case 'c':
      s.max_connections = static_cast<int>(parse_integer(f, value, 1, kMaxConnections));
      return;
    case 'I':
      s.max_item_size = parse_size(display_name(f), value);
      if (s.max_item_size < kMinItemSize || s.max_item_size > kMaxItemSize) {
        bad_value(f, value, "must be 1k..1024m");
      }
      return;
    case 'A':
      s.allow_shutdown = true;
      return;
    case 'v':
      ++options.verbosity;
      return;
    case 'h':
      options.action = Options::Action::kHelp;
      return;
    case 'V':
      options.action = Options::Action::kVersion;
      return;
    default:
      break;
  }
  // Long-only flags.
  if (f.long_name == "io") {
    if (value != "uring" && value != "epoll") bad_value(f, value, "expected uring or epoll");
    s.io_engine = std::string(value);
  } else if (f.long_name == "debug-time") {
    s.debug_time = true;
  }
}

}  // namespace

size_t parse_size(std::string_view flag, std::string_view text) {
  size_t multiplier = 1;
  std::string_view digits = text;
  if (!digits.empty()) {
    switch (digits.back()) {
      case 'k':
      case 'K':
        multiplier = size_t{1} << 10;
        break;
      case 'm':
      case 'M':
        multiplier = size_t{1} << 20;
        break;
      case 'g':
      case 'G':
        multiplier = size_t{1} << 30;
        break;
      default:
        break;
    }
    if (multiplier != 1) digits.remove_suffix(1);
  }
  uint64_t value = 0;
  const char* end = digits.data() + digits.size();
  const auto [ptr, ec] = std::from_chars(digits.data(), end, value);
  if (digits.empty() || ec != std::errc() || ptr != end ||
      value > std::numeric_limits<size_t>::max() / multiplier) {
    throw FlagError(std::string(flag) + ": invalid size '" + std::string(text) + "'", false);
  }
  return static_cast<size_t>(value) * multiplier;
}

Options parse_flags(std::span<const char* const> args) {
  Options options;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string_view arg = args[i];
    auto next_value = [&](const Flag& f) -> std::string_view {
      if (i + 1 >= args.size()) throw FlagError(display_name(f) + ": missing value", false);
      return args[++i];
    };
    if (arg.starts_with("--") && arg.size() > 2) {
      const std::string_view body = arg.substr(2);
      const size_t eq = body.find('=');
      const Flag* f = find_long(body.substr(0, eq));
      if (f == nullptr) throw FlagError("unknown option '" + std::string(arg) + "'", true);
      if (f->value_name.empty()) {
        if (eq != std::string_view::npos) {
          throw FlagError("--" + std::string(f->long_name) + " takes no value", false);
        }
        apply(*f, {}, options);
      } else {
        apply(*f, eq != std::string_view::npos ? body.substr(eq + 1) : next_value(*f), options);
      }
      continue;
    }
    if (arg.size() < 2 || arg[0] != '-' || arg[1] == '-') {
      throw FlagError("unexpected argument '" + std::string(arg) + "'", true);
    }
    // A cluster of short flags; one that takes a value ends it ("-p11211", "-vA", "-vvp 1").
    for (size_t j = 1; j < arg.size(); ++j) {
      const Flag* f = find_short(arg[j]);
      if (f == nullptr) {
        throw FlagError("unknown option '-" + std::string(1, arg[j]) + "'", true);
      }
      if (f->value_name.empty()) {
        apply(*f, {}, options);
        continue;
      }
      apply(*f, j + 1 < arg.size() ? arg.substr(j + 1) : next_value(*f), options);
      break;
    }
  }
  const proto::Settings& s = options.settings;
  if (options.action == Options::Action::kRun && s.max_item_size > s.memory_limit / 2) {
    throw FlagError("-I: the item size limit cannot exceed half of -m (" +
                        std::to_string(s.memory_limit >> 20) + " MB)",
                    false);
  }
  return options;
}

std::string usage(std::string_view program) {
  std::string out = "usage: " + std::string(program) + " [options]\n";
  out += "memcached-compatible cache server, version " + std::string(proto::kVersion) + "\n";
  for (const Flag& f : kFlags) {
    std::string left = f.short_name ? std::string("  -") + f.short_name + ", " : "      ";
    left.append("--").append(f.long_name);
    if (!f.value_name.empty()) left.append("=").append(f.value_name);
    if (left.size() < 34) left.resize(34, ' ');
    out += left + std::string(f.help) + "\n";
  }
  return out;
}

}  // namespace cuckood::server
