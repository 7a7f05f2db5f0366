// The parser over server/flag_table.h's rows. Limits and messages follow memcached 1.6.18's
// main() where it has them: -I between 1k and 1024m and at most half of -m, -m read as atoi
// reads it ("64m" is 64), repeated -l joined with ',' unless already listed, -U without -p
// moving the TCP port too, and an unknown or malformed -o sub-option refused with memcached's
// words and exit status 1.
#include "server/flags.h"

#include <cctype>
#include <charconv>
#include <cstdint>
#include <cstdlib>
#include <limits>

#include "net/listener.h"
#include "server/flag_table.h"

namespace cuckood::server {

namespace {

constexpr size_t kMinItemSize = 1024;
constexpr size_t kMaxItemSize = size_t{1} << 30;
constexpr int kMaxThreads = 256;
constexpr int kMaxConnections = 1 << 20;
constexpr int64_t kIntMax = std::numeric_limits<int32_t>::max();
constexpr int kSubOptionExitStatus = 1;  // memcached's `return 1` from main
constexpr int kUsageExitStatus = 64;     // memcached's EX_USAGE
constexpr size_t kUsageColumn = 28;
constexpr size_t kUsageWidth = 100;

const FlagRow* find_short(char c) {
  for (const FlagRow& f : flag_rows()) {
    if (f.short_name == c) return &f;
  }
  return nullptr;
}

const FlagRow* find_long(std::string_view name) {
  for (const FlagRow& f : flag_rows()) {
    if (!f.long_name.empty() && f.long_name == name) return &f;
  }
  return nullptr;
}

const SubOptionRow* find_sub_option(std::string_view name) {
  for (const SubOptionRow& o : sub_option_rows()) {
    if (o.name == name) return &o;
  }
  return nullptr;
}

std::string display_name(const FlagRow& f) {
  return f.short_name ? std::string("-") + f.short_name : "--" + std::string(f.long_name);
}

[[noreturn]] void bad_value(const FlagRow& f, std::string_view value, std::string_view why) {
  throw FlagError(
      display_name(f) + ": invalid value '" + std::string(value) + "' (" + std::string(why) + ")",
      false);
}

int64_t parse_integer(const FlagRow& f, std::string_view text, int64_t min, int64_t max) {
  int64_t value = 0;
  const char* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (text.empty() || ec != std::errc() || ptr != end) bad_value(f, text, "not a number");
  if (value < min || value > max) {
    bad_value(f, text, "must be " + std::to_string(min) + ".." + std::to_string(max));
  }
  return value;
}

// C's atoi, as memcached reads -m: leading blanks, a sign, the digits up to the first other
// character ("64m" is 64, "m" is 0). Saturates instead of overflowing.
int64_t leading_integer(std::string_view text) {
  size_t i = 0;
  while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i]))) ++i;
  bool negative = false;
  if (i < text.size() && (text[i] == '+' || text[i] == '-')) negative = text[i++] == '-';
  int64_t value = 0;
  for (; i < text.size() && text[i] >= '0' && text[i] <= '9'; ++i) {
    value = value > (int64_t{1} << 40) ? value : value * 10 + (text[i] - '0');
  }
  return negative ? -value : value;
}

// A bad -o sub-option, in memcached's words, with its exit status.
[[noreturn]] void sub_option_error(const std::string& message) {
  throw FlagError(message, kSubOptionExitStatus);
}

std::string format_bound(double value) {
  char buf[32];
  const auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), value);
  return std::string(buf, end);
}

class Parser {
 public:
  Options parse(std::span<const char* const> args);

 private:
  void apply(const FlagRow& f, std::string_view value);
  void apply_no_effect(const FlagRow& f, std::string_view value);
  void apply_sub_options(std::string_view list);
  void apply_sub_option(std::string_view token);
  void apply_tls_option(const std::string& name, std::string_view value, int64_t number);
  void finish();
  void notice(const std::string& what, std::string_view why);

  Options options_;
  bool listen_given_ = false;
  bool port_given_ = false;
  bool protocol_given_ = false;
  bool slab_chunk_max_given_ = false;  // -o slab_chunk_max (no_modern then keeps it)
};

void Parser::notice(const std::string& what, std::string_view why) {
  std::string line = what + ": accepted, no effect in cuckood: " + std::string(why);
  for (const std::string& n : options_.notices) {
    if (n == line) return;
  }
  options_.notices.push_back(std::move(line));
}

void Parser::apply(const FlagRow& f, std::string_view value) {
  if (!f.refused.empty()) throw FlagError(std::string(f.refused), kUsageExitStatus);
  if (!f.no_effect.empty()) {
    apply_no_effect(f, value);
    return;
  }
  proto::Settings& s = options_.settings;
  switch (f.short_name) {
    case 'p':
      s.port = static_cast<int>(parse_integer(f, value, -1, 65535));
      port_given_ = true;
      return;
    case 'U':
      s.udp_port = static_cast<int>(parse_integer(f, value, -1, 65535));
      return;
    case 's':
      if (value.empty()) bad_value(f, value, "empty path");
      s.unix_socket = std::string(value);
      return;
    case 'a': {
      int mask = 0;
      const auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), mask, 8);
      if (value.empty() || ec != std::errc() || ptr != value.data() + value.size()) {
        bad_value(f, value, "not an octal mask");
      }
      s.unix_mask = mask & 0777;
      return;
    }
    case 'A':
      s.allow_shutdown = true;
      return;
    case 'l':
      if (value.empty()) bad_value(f, value, "empty address");
      if (!listen_given_) {
        s.listen_address = std::string(value);
        listen_given_ = true;
      } else if (s.listen_address.find(value) == std::string::npos) {
        s.listen_address.append(",").append(value);
      }
      return;
    case 'd':
      options_.daemonize = true;
      return;
    case 'r':
      options_.raise_core_limit = true;
      return;
    case 'u':
      if (value.empty()) bad_value(f, value, "empty user name");
      options_.user = std::string(value);
      return;
    case 'm': {
      const int64_t megabytes = leading_integer(value);
      if (megabytes < 1 || megabytes > (int64_t{1} << 30)) {
        bad_value(f, value, "must be 1.." + std::to_string(int64_t{1} << 30) + " megabytes");
      }
      s.memory_limit = static_cast<size_t>(megabytes) << 20;
      return;
    }
    case 'M':
      s.evictions = false;
      return;
    case 'c':
      s.max_connections = static_cast<int>(parse_integer(f, value, 1, kMaxConnections));
      return;
    case 'k':
      options_.lock_memory = true;
      return;
    case 'v':
      ++options_.verbosity;
      return;
    case 'h':
      options_.action = Options::Action::kHelp;
      return;
    case 'i':
      options_.action = Options::Action::kLicense;
      return;
    case 'V':
      options_.action = Options::Action::kVersion;
      return;
    case 'P':
      if (value.empty()) bad_value(f, value, "empty path");
      options_.pid_file = std::string(value);
      return;
    case 'L':
      options_.large_pages = true;
      return;
    case 'D':
      if (value.empty()) bad_value(f, value, "no delimiter specified");
      s.detail_delimiter = value.front();
      s.detail_enabled = true;
      return;
    case 't':
      s.threads = static_cast<int>(parse_integer(f, value, 1, kMaxThreads));
      return;
    case 'R':
      s.reqs_per_event = static_cast<int>(parse_integer(f, value, 1, kIntMax));
      return;
    case 'C':
      s.cas_enabled = false;
      return;
    case 'b':
      s.backlog = static_cast<int>(parse_integer(f, value, 1, kIntMax));
      return;
    case 'B':
      if (value == "auto") {
        s.binding_protocol = proto::BindingProtocol::kAuto;
      } else if (value == "ascii") {
        s.binding_protocol = proto::BindingProtocol::kAscii;
      } else if (value == "binary") {
        s.binding_protocol = proto::BindingProtocol::kBinary;
      } else {
        bad_value(f, value, "should be one of auto, binary, or ascii");
      }
      protocol_given_ = true;
      return;
    case 'I':
      s.max_item_size = parse_size(display_name(f), value);
      if (s.max_item_size < kMinItemSize || s.max_item_size > kMaxItemSize) {
        bad_value(f, value, "must be 1k..1024m");
      }
      return;
    case 'F':
      s.flush_enabled = false;
      return;
    case 'f': {
      char* end = nullptr;
      const std::string text(value);
      const double factor = std::strtod(text.c_str(), &end);
      if (text.empty() || *end != '\0' || !(factor > 1.0)) {
        bad_value(f, value, "must be greater than 1");
      }
      s.growth_factor = factor;
      return;
    }
    case 'n':
      s.chunk_size = static_cast<int>(parse_integer(f, value, 1, kIntMax));
      return;
    case 'X':
      s.dump_enabled = false;
      return;
    case 'S':
      s.sasl = true;
      return;
    case 'Y':
      if (value.empty()) bad_value(f, value, "empty path");
      s.auth_file = std::string(value);
      return;
    case 'W':
      s.watch_enabled = false;
      return;
    case 'Z':
      s.tls.enabled = true;
      return;
    case 'o':
      apply_sub_options(value);
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
  } else if (f.long_name == "no-huge-pages") {
    options_.no_huge_pages = true;
  } else if (f.long_name == "metrics-port") {
    options_.metrics_port = static_cast<int>(parse_integer(f, value, 0, 65535));
  } else if (f.long_name == "metrics-listen") {
    if (value.empty()) bad_value(f, value, "empty address");
    options_.metrics_listen = std::string(value);
  }
}

// Flags cuckood does not act on: the value is still checked as memcached checks it, so that a
// command line memcached refuses is refused here too.
void Parser::apply_no_effect(const FlagRow& f, std::string_view value) {
  switch (f.short_name) {
    case 'N':
      parse_integer(f, value, 1, kIntMax);
      break;
    case 'e':
      if (value.empty()) bad_value(f, value, "empty path");
      break;
    default:
      break;
  }
  notice(display_name(f), f.no_effect);
}

// memcached's getsubopt loop: "name" or "name=value" tokens separated by commas (an empty
// list, or a trailing comma, adds nothing).
void Parser::apply_sub_options(std::string_view list) {
  size_t pos = 0;
  while (pos < list.size()) {
    const size_t comma = list.find(',', pos);
    const size_t end = comma == std::string_view::npos ? list.size() : comma;
    if (end > pos) apply_sub_option(list.substr(pos, end - pos));
    pos = end + 1;
  }
}

void Parser::apply_sub_option(std::string_view token) {
  const size_t eq = token.find('=');
  const std::string_view name = token.substr(0, eq);
  const bool has_value = eq != std::string_view::npos;
  const std::string_view value = has_value ? token.substr(eq + 1) : std::string_view();
  const SubOptionRow* row = find_sub_option(name);
  const std::string n(name);
  if (row == nullptr) {
    throw FlagError("Illegal suboption \"" + std::string(token) + "\"", kSubOptionExitStatus);
  }
  auto integer = [&](std::string_view text) -> int64_t {
    int64_t v = 0;
    const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (text.empty() || ec != std::errc() || ptr != text.data() + text.size()) {
      sub_option_error("could not parse argument to " + n);
    }
    return v;
  };
  int64_t number = 0;
  switch (row->value) {
    case SubValue::kNone:
      break;
    case SubValue::kOptional:
      if (has_value) {
        number = integer(value);
        if (number < row->min || number > row->max) {
          sub_option_error(n + " must be between " + format_bound(row->min) + " and " +
                           format_bound(row->max));
        }
      }
      break;
    case SubValue::kText:
      if (!has_value) sub_option_error("Missing " + n + " argument");
      break;
    case SubValue::kInt:
      if (!has_value) {
        const bool numeric = n == "hashpower" || n == "idle_timeout" || n == "tail_repair_time";
        sub_option_error(numeric ? "Missing numeric argument for " + n
                                 : "Missing " + n + " argument");
      }
      number = integer(value);
      if (n == "hashpower" && number < row->min) {
        sub_option_error("Initial hashtable multiplier of " + std::string(value) + " is too low");
      } else if (n == "hashpower" && number > row->max) {
        sub_option_error(
            "Initial hashtable multiplier of " + std::string(value) +
            " is too high\nChoose a value based on \"STAT hash_power_level\" from a running "
            "instance");
      } else if (number < row->min || number > row->max) {
        sub_option_error(n + " must be between " + format_bound(row->min) + " and " +
                         format_bound(row->max));
      }
      break;
    case SubValue::kDouble: {
      if (!has_value) sub_option_error("Missing " + n + " argument");
      const std::string text(value);
      char* end = nullptr;
      const double v = std::strtod(text.c_str(), &end);
      if (text.empty() || *end != '\0') sub_option_error("could not parse argument to " + n);
      if (!(v > row->min && v <= row->max)) {
        sub_option_error(n + " must be > " + format_bound(row->min) +
                         " and <= " + format_bound(row->max));
      }
      break;
    }
  }
  if (n == "hash_algorithm" && value != "jenkins" && value != "murmur3" && value != "xxh3") {
    sub_option_error("Unknown hash_algorithm option (jenkins, murmur3, xxh3)");
  }

  proto::Settings& s = options_.settings;
  constexpr int kSlabPageSize = 1 << 20;  // memcached's slab page
  if (n == "hashpower") {
    s.hashpower_init = static_cast<int>(number);
  } else if (n == "idle_timeout") {
    s.idle_timeout = static_cast<int>(number);
  } else if (n == "watcher_logbuf_size") {
    s.watcher_logbuf_size = static_cast<size_t>(number) << 10;
  } else if (n == "slab_chunk_max") {
    s.slab_chunk_max = static_cast<int>(number);
    slab_chunk_max_given_ = true;
  } else if (n == "no_chunked_items") {
    s.slab_chunk_max = kSlabPageSize;
  } else if (n == "lru_crawler" || n == "no_lru_crawler") {
    s.lru_crawler = n == "lru_crawler";
  } else if (n == "no_modern") {
    s.lru_crawler = false;
    s.slab_reassign = false;
    s.lru_maintainer = false;
    if (!slab_chunk_max_given_) s.slab_chunk_max = kSlabPageSize;
  } else if (n == "modern") {
    // memcached 1.6's defaults already.
  } else if (n.starts_with("ssl_") && n != "ssl_kernel_tls") {
    apply_tls_option(n, value, number);
  } else {
    if (n == "lru_crawler_sleep") s.lru_crawler_sleep = static_cast<uint32_t>(number);
    if (n == "lru_crawler_tocrawl") s.lru_crawler_tocrawl = static_cast<uint32_t>(number);
    if (n == "slab_reassign" || n == "no_slab_reassign") s.slab_reassign = n == "slab_reassign";
    if (n == "lru_maintainer" || n == "no_lru_maintainer") {
      s.lru_maintainer = n == "lru_maintainer";
    }
    notice("-o " + n, row->no_effect);
  }
}

void Parser::finish() {
  proto::Settings& s = options_.settings;
  if (options_.action != Options::Action::kRun) return;
  if (s.max_item_size > s.memory_limit / 2) {
    throw FlagError("-I: the item size limit cannot exceed half of -m (" +
                        std::to_string(s.memory_limit >> 20) + " MB)",
                    false);
  }
  // memcached: -S authenticates binary connections only, so it fixes the protocol to binary and
  // cannot be combined with ascii, auto-negotiation or UDP. (It does not count as naming the
  // protocol: a -Y given too then fixes ascii, as in memcached.)
  if (s.sasl) {
    if (!protocol_given_) {
      s.binding_protocol = proto::BindingProtocol::kBinary;
    } else if (s.binding_protocol != proto::BindingProtocol::kBinary) {
      throw FlagError("ERROR: You cannot allow the ASCII protocol while using SASL.",
                      kUsageExitStatus);
    }
    if (s.udp_port != 0) {
      throw FlagError("ERROR: Cannot enable UDP while using binary SASL authentication.",
                      kUsageExitStatus);
    }
  }
  // memcached: -Y authenticates text connections only, so it fixes the protocol to ascii and
  // cannot be combined with binary or UDP (which has no connection to authenticate).
  if (!s.auth_file.empty()) {
    if (!protocol_given_) {
      s.binding_protocol = proto::BindingProtocol::kAscii;
    } else if (s.binding_protocol != proto::BindingProtocol::kAscii) {
      throw FlagError(
          "ERROR: You cannot allow the BINARY protocol while using ascii authentication tokens.",
          kUsageExitStatus);
    }
    if (s.udp_port != 0) {
      throw FlagError("Cannot use UDP with ascii authentication enabled (-U 0 to disable)",
                      kUsageExitStatus);
    }
  }
  // memcached: a UDP port given without a TCP port moves the TCP port there too.
  if (s.udp_port != 0 && !port_given_) s.port = s.udp_port;
  if (s.tls.enabled && s.port == 0) {
    throw FlagError("ERROR: You cannot enable SSL without a TCP port.", kUsageExitStatus);
  }
  if (s.unix_socket.empty() && s.port != 0) {
    std::vector<net::ListenSpec> specs;
    try {
      specs = net::parse_listen_list(
          s.listen_address, static_cast<uint16_t>(s.port < 0 ? 0 : s.port), s.binding_protocol);
    } catch (const net::ListenError& e) {
      throw FlagError(std::string("-l: ") + e.what(), false);
    }
    // memcached's words and its EX_OSERR, as its listener set-up fails.
    constexpr int kOsErrorExitStatus = 71;
    for (const net::ListenSpec& spec : specs) {
      if (spec.notls && !s.tls.enabled) {
        throw FlagError(
            "'notls' option is valid only when SSL is enabled\nfailed to listen on one of "
            "interface(s) " +
                s.listen_address + ": Success",
            kOsErrorExitStatus);
      }
    }
  }
}

// -o ssl_*: memcached's values and its refusals (verify mode and minimum version 0..3).
void Parser::apply_tls_option(const std::string& name, std::string_view value, int64_t number) {
  proto::TlsSettings& tls = options_.settings.tls;
  constexpr int64_t kLastChoice = 3;
  if ((name == "ssl_verify_mode" || name == "ssl_min_version") &&
      (number < 0 || number > kLastChoice)) {
    sub_option_error("Invalid " + name + ". Use help to see valid options.");
  }
  if (name == "ssl_chain_cert") {
    tls.chain_cert = std::string(value);
  } else if (name == "ssl_key") {
    tls.key = std::string(value);
  } else if (name == "ssl_verify_mode") {
    tls.verify_mode = static_cast<int>(number);
  } else if (name == "ssl_keyformat") {
    tls.keyformat = static_cast<int>(number);
  } else if (name == "ssl_ciphers") {
    tls.ciphers = std::string(value);
  } else if (name == "ssl_ca_cert") {
    tls.ca_cert = std::string(value);
  } else if (name == "ssl_wbuf_size") {
    tls.wbuf_size = static_cast<uint32_t>(number) << 10;
  } else if (name == "ssl_session_cache") {
    tls.session_cache = true;
  } else if (name == "ssl_min_version") {
    tls.min_version = static_cast<int>(number);
  }
}

Options Parser::parse(std::span<const char* const> args) {
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string_view arg = args[i];
    auto next_value = [&](const FlagRow& f) -> std::string_view {
      if (i + 1 >= args.size()) throw FlagError(display_name(f) + ": missing value", false);
      return args[++i];
    };
    if (arg.starts_with("--") && arg.size() > 2) {
      const std::string_view body = arg.substr(2);
      const size_t eq = body.find('=');
      const FlagRow* f = find_long(body.substr(0, eq));
      if (f == nullptr) throw FlagError("unknown option '" + std::string(arg) + "'", true);
      if (f->value_name.empty()) {
        // memcached's --verbose takes an optional argument, and ignores it.
        if (eq != std::string_view::npos && f->short_name != 'v') {
          throw FlagError("--" + std::string(f->long_name) + " takes no value", false);
        }
        apply(*f, {});
      } else {
        apply(*f, eq != std::string_view::npos ? body.substr(eq + 1) : next_value(*f));
      }
      continue;
    }
    if (arg.size() < 2 || arg[0] != '-' || arg[1] == '-') {
      throw FlagError("unexpected argument '" + std::string(arg) + "'", true);
    }
    // A cluster of short flags; one that takes a value ends it ("-p11211", "-vA", "-vvp 1").
    for (size_t j = 1; j < arg.size(); ++j) {
      const FlagRow* f = find_short(arg[j]);
      if (f == nullptr) {
        throw FlagError("unknown option '-" + std::string(1, arg[j]) + "'", true);
      }
      if (f->value_name.empty()) {
        apply(*f, {});
        continue;
      }
      apply(*f, j + 1 < arg.size() ? arg.substr(j + 1) : next_value(*f));
      break;
    }
  }
  finish();
  return std::move(options_);
}

// Appends `text` wrapped to kUsageWidth, continuation lines indented to kUsageColumn.
void append_wrapped(std::string& out, std::string_view text, size_t column) {
  size_t line_length = column;
  bool first = true;
  while (!text.empty()) {
    const size_t space = text.find(' ');
    const std::string_view word = text.substr(0, space);
    text = space == std::string_view::npos ? std::string_view() : text.substr(space + 1);
    if (!first && line_length + 1 + word.size() > kUsageWidth) {
      out += "\n";
      out.append(kUsageColumn, ' ');
      line_length = kUsageColumn;
      first = true;
    }
    if (!first) {
      out += ' ';
      ++line_length;
    }
    out += word;
    line_length += word.size();
    first = false;
  }
  out += "\n";
}

std::string flag_spelling(const FlagRow& f) {
  std::string s;
  if (f.short_name) {
    s = std::string("-") + f.short_name;
    if (!f.long_name.empty()) s += ", ";
  }
  if (!f.long_name.empty()) {
    s.append("--").append(f.long_name);
    if (!f.value_name.empty()) s.append("=").append(f.value_name);
  } else if (!f.value_name.empty()) {
    s.append(" ").append(f.value_name);
  }
  return s;
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
  return Parser().parse(args);
}

std::string usage(std::string_view program) {
  std::string out = "usage: " + std::string(program) + " [options]\n";
  out += "memcached-compatible cache server, version " + std::string(proto::kVersion) + "\n";
  out += "Flags marked * are accepted for memcached's sake and have no effect in cuckood.\n";
  for (const FlagRow& f : flag_rows()) {
    if (!f.refused.empty()) continue;
    std::string left = (f.no_effect.empty() ? "  " : "* ") + flag_spelling(f);
    left += left.size() < kUsageColumn ? std::string(kUsageColumn - left.size(), ' ') : " ";
    out += left;
    append_wrapped(out, f.help, left.size());
  }
  out += "-o sub-options (name or name=value, comma separated):\n";
  // memcached's extstore sub-options are one line, `ext_*`: cuckood has no extstore, and
  // naming ext_path in -h is how memcached's t/ suite (MemcachedTest.pm, supports_extstore)
  // tells a build with extstore, whose statistics it then checks.
  constexpr std::string_view kExtstorePrefix = "ext_";
  bool extstore_listed = false;
  for (const SubOptionRow& o : sub_option_rows()) {
    const bool extstore = o.name.starts_with(kExtstorePrefix);
    if (extstore && extstore_listed) continue;
    extstore_listed |= extstore;
    const std::string name = extstore ? std::string(kExtstorePrefix) + "*" : std::string(o.name);
    std::string left = (o.no_effect.empty() ? "  " : "* ") + std::string("   - ") + name;
    left += left.size() < kUsageColumn ? std::string(kUsageColumn - left.size(), ' ') : " ";
    out += left;
    append_wrapped(out, o.help.empty() ? o.no_effect : o.help, left.size());
  }
  return out;
}

std::string flag_tables_markdown() {
  auto cell = [](std::string_view text) {
    std::string out;
    for (const char c : text) {
      if (c == '|') out += '\\';
      out += c;
    }
    return out;
  };
  std::string out = "| Flag | Long form | Status | In cuckood |\n|---|---|---|---|\n";
  for (const FlagRow& f : flag_rows()) {
    std::string short_form = "";
    if (f.short_name) {
      short_form = std::string("`-") + f.short_name;
      if (!f.value_name.empty()) short_form.append(" ").append(f.value_name);
      short_form += "`";
    }
    std::string long_form = "";
    if (!f.long_name.empty()) {
      long_form = "`--" + std::string(f.long_name);
      if (!f.value_name.empty()) long_form.append("=").append(f.value_name);
      long_form += "`";
    }
    const std::string_view status = !f.refused.empty()    ? "refused"
                                    : f.no_effect.empty() ? "implemented"
                                                          : "accepted, no effect";
    const std::string_view text = !f.refused.empty()    ? f.refused
                                  : f.no_effect.empty() ? f.help
                                                        : f.no_effect;
    out += "| " + cell(short_form) + " | " + cell(long_form) + " | " + std::string(status) + " | " +
           cell(text) + " |\n";
  }
  out += "\n| `-o` sub-option | Status | In cuckood |\n|---|---|---|\n";
  for (const SubOptionRow& o : sub_option_rows()) {
    out += "| `" + std::string(o.name) + "` | " +
           (o.no_effect.empty() ? "implemented" : "accepted, no effect") + " | " +
           cell(o.no_effect.empty() ? o.help : o.no_effect) + " |\n";
  }
  return out;
}

}  // namespace cuckood::server
