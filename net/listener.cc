// Listener set-up. Why the probe socket: Linux lets a socket join an existing SO_REUSEPORT
// group of the same user, so a second cuckood on the same port would silently share it. A
// first bind without SO_REUSEPORT fails on any port already held, which is the error we want.
// The -l syntax and which failures are fatal follow memcached's server_sockets() and
// server_socket(): an address whose socket cannot even be created (an IPv6 result on a kernel
// without IPv6) is skipped, an entry none of whose addresses could be bound is an error.
#include "net/listener.h"

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <memory>

namespace cuckood::net {

namespace {

constexpr int kUdpSendBuffer = 64 << 20;

struct AddrInfoDeleter {
  void operator()(addrinfo* ai) const noexcept { freeaddrinfo(ai); }
};
using AddrInfoPtr = std::unique_ptr<addrinfo, AddrInfoDeleter>;

[[noreturn]] void fail(const std::string& where, int err) {
  std::string message = "cannot listen on " + where + ": " + std::strerror(err);
  if (err == EADDRINUSE) message += " (another server holds it? choose another port with -p)";
  throw ListenError(message);
}

// Strips memcached's `word[value]:` prefix from `entry`; returns the value, or nothing.
bool take_prefix(std::string_view& entry, std::string_view word, std::string_view& value) {
  if (!entry.starts_with(word)) return false;
  std::string_view rest = entry.substr(word.size());
  if (!rest.starts_with('[')) return false;
  const size_t close = rest.find(']');
  if (close == std::string_view::npos) {
    throw ListenError("invalid " + std::string(word) + " spec: \"" + std::string(entry) + "\"");
  }
  value = rest.substr(1, close - 1);
  rest.remove_prefix(close + 1);
  if (!rest.empty()) rest.remove_prefix(1);  // the ':' memcached assumes
  entry = rest;
  return true;
}

ListenSpec parse_entry(std::string_view entry, uint16_t port, proto::BindingProtocol protocol) {
  ListenSpec spec{"", port, protocol};
  if (entry.starts_with("notls:")) {
    entry.remove_prefix(6);
    spec.notls = true;
  }
  std::string_view value;
  if (take_prefix(entry, "proto", value)) {
    if (value == "ascii") {
      spec.protocol = proto::BindingProtocol::kAscii;
    } else if (value == "binary") {
      spec.protocol = proto::BindingProtocol::kBinary;
    } else if (value == "negotiating") {
      spec.protocol = proto::BindingProtocol::kAuto;
    } else {
      throw ListenError("unknown protocol \"" + std::string(value) + "\" in -l");
    }
  }
  if (take_prefix(entry, "tag", value) && (value.empty() || value.size() > 8)) {
    throw ListenError("listener tags must be between 1 and 8 characters: \"" + std::string(value) +
                      "\"");
  }
  std::string_view bracketed;
  bool has_brackets = false;
  if (entry.starts_with('[')) {
    const size_t close = entry.find(']');
    if (close == std::string_view::npos) {
      throw ListenError("invalid IPv6 address: \"" + std::string(entry) + "\"");
    }
    bracketed = entry.substr(1, close - 1);
    has_brackets = true;
    entry.remove_prefix(close + 1);
  }
  // host:port, unless the colon is one of an unbracketed IPv6 address's.
  if (const size_t colon = entry.find(':'); colon != std::string_view::npos) {
    if (has_brackets || entry.find(':', colon + 1) == std::string_view::npos) {
      const std::string_view digits = entry.substr(colon + 1);
      unsigned value_port = 0;
      const auto [ptr, ec] =
          std::from_chars(digits.data(), digits.data() + digits.size(), value_port);
      if (digits.empty() || ec != std::errc() || ptr != digits.data() + digits.size() ||
          value_port > 65535) {
        throw ListenError("invalid port number: \"" + std::string(digits) + "\"");
      }
      spec.port = static_cast<uint16_t>(value_port);
      entry = entry.substr(0, colon);
    }
  }
  if (has_brackets) entry = bracketed;
  if (entry != "*") spec.host = std::string(entry);
  return spec;
}

UniqueFd bound_socket(const addrinfo& ai, const sockaddr* addr, bool reuse_port,
                      const std::string& where) {
  UniqueFd fd(
      ::socket(ai.ai_family, ai.ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai.ai_protocol));
  if (!fd.valid()) fail(where, errno);
  const int one = 1;
  const bool tcp = ai.ai_socktype == SOCK_STREAM;
  // SO_REUSEADDR (TCP only): restart while old connections sit in TIME_WAIT; on UDP it would
  // let the probe bind share a port another process holds. IPV6_V6ONLY: "::" and "0.0.0.0"
  // are two listeners, as in memcached.
  if ((tcp && ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0) ||
      (reuse_port && ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) != 0) ||
      (ai.ai_family == AF_INET6 &&
       ::setsockopt(fd.get(), IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) != 0)) {
    fail(where, errno);
  }
  if (::bind(fd.get(), addr, ai.ai_addrlen) != 0) fail(where, errno);
  if (!tcp) {
    // A reply of many datagrams leaves in one burst: as memcached, ask for the largest send
    // buffer allowed (the kernel caps the request at net.core.wmem_max).
    const int bytes = kUdpSendBuffer;
    ::setsockopt(fd.get(), SOL_SOCKET, SO_SNDBUF, &bytes, sizeof(bytes));
  }
  return fd;
}

std::string numeric_host(const sockaddr* addr, socklen_t length) {
  char host[NI_MAXHOST];
  if (::getnameinfo(addr, length, host, sizeof(host), nullptr, 0, NI_NUMERICHOST) != 0) {
    return "?";
  }
  return host;
}

uint16_t bound_port(int fd) {
  sockaddr_storage addr{};
  socklen_t length = sizeof(addr);
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &length) != 0) return 0;
  if (addr.ss_family == AF_INET6) return ntohs(reinterpret_cast<sockaddr_in6*>(&addr)->sin6_port);
  return ntohs(reinterpret_cast<sockaddr_in*>(&addr)->sin_port);
}

void set_port(sockaddr_storage& addr, uint16_t port) {
  if (addr.ss_family == AF_INET6) {
    reinterpret_cast<sockaddr_in6*>(&addr)->sin6_port = htons(port);
  } else {
    reinterpret_cast<sockaddr_in*>(&addr)->sin_port = htons(port);
  }
}

// Every address of one -l entry, one socket per worker each: TCP listeners (`udp` false) or
// UDP sockets.
void open_inet(const ListenSpec& spec, bool udp, const proto::Settings& settings,
               const std::shared_ptr<const TlsContext>& tls, ListenerSet& set,
               std::vector<std::string>& bound) {
  const std::string where =
      (udp ? "UDP " : "") + format_address(spec.host.empty() ? "*" : spec.host, spec.port);
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = udp ? SOCK_DGRAM : SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* raw = nullptr;
  const std::string service = std::to_string(spec.port);
  const char* host = spec.host.empty() ? nullptr : spec.host.c_str();
  if (const int rc = ::getaddrinfo(host, service.c_str(), &hints, &raw); rc != 0) {
    throw ListenError("cannot listen on " + where + ": " + ::gai_strerror(rc));
  }
  const AddrInfoPtr info(raw);

  size_t opened = 0;
  for (const addrinfo* ai = info.get(); ai != nullptr; ai = ai->ai_next) {
    if (ai->ai_family != AF_INET && ai->ai_family != AF_INET6) continue;
    {
      // getaddrinfo can return addresses this kernel has no socket for: skip them.
      const UniqueFd probe(::socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol));
      if (!probe.valid()) {
        if (errno == EMFILE || errno == ENFILE) fail(where, errno);
        continue;
      }
    }
    sockaddr_storage addr{};
    std::memcpy(&addr, ai->ai_addr, ai->ai_addrlen);
    const std::string name =
        (udp ? "UDP " : "") + format_address(numeric_host(ai->ai_addr, ai->ai_addrlen), spec.port);
    // An address an earlier entry (or result) already bound: "localhost" next to "::1".
    if (std::find(bound.begin(), bound.end(), name) != bound.end()) {
      ++opened;
      continue;
    }
    // The probe bind (closed at once), except for port 0: the kernel picks a port for the
    // first socket, and the others join it.
    if (spec.port != 0) bound_socket(*ai, ai->ai_addr, /*reuse_port=*/false, name);
    uint16_t port = spec.port;
    for (size_t w = 0; w < set.per_worker.size(); ++w) {
      set_port(addr, port);
      UniqueFd fd = bound_socket(*ai, reinterpret_cast<sockaddr*>(&addr), true, name);
      if (!udp && ::listen(fd.get(), settings.backlog) != 0) fail(name, errno);
      if (port == 0) port = bound_port(fd.get());
      if (udp) {
        set.udp_per_worker[w].push_back(std::move(fd));
      } else {
        set.per_worker[w].push_back(
            {std::move(fd), spec.protocol, false, spec.notls ? nullptr : tls});
      }
    }
    bound.push_back(name);
    set.addresses.push_back({format_address(numeric_host(ai->ai_addr, ai->ai_addrlen), port),
                             ai->ai_family, port, udp});
    ++opened;
  }
  if (opened == 0) throw ListenError("cannot listen on " + where + ": no usable address");
}

void open_unix(const proto::Settings& settings, ListenerSet& set) {
  const std::string& path = settings.unix_socket;
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof(addr.sun_path)) {
    throw ListenError("cannot listen on " + path + ": path too long");
  }
  std::memcpy(addr.sun_path, path.data(), path.size());
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd.valid()) fail(path, errno);
  // A socket file left by an earlier run is removed, as memcached does; anything else stays.
  struct stat st {};
  if (::lstat(path.c_str(), &st) == 0 && S_ISSOCK(st.st_mode)) ::unlink(path.c_str());
  const mode_t old_mask = ::umask(static_cast<mode_t>(~(settings.unix_mask & 0777)));
  const int rc = ::bind(fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof(addr));
  const int err = errno;
  ::umask(old_mask);
  if (rc != 0) fail(path, err);
  if (::listen(fd.get(), settings.backlog) != 0) fail(path, errno);
  for (size_t w = 0; w < set.per_worker.size(); ++w) {
    UniqueFd copy(w == 0 ? fd.release()
                         : ::fcntl(set.per_worker[0][0].fd.get(), F_DUPFD_CLOEXEC, 0));
    if (!copy.valid()) fail(path, errno);
    set.per_worker[w].push_back({std::move(copy), settings.binding_protocol, true, nullptr});
  }
  set.addresses.push_back({path, AF_UNIX, 0});
}

}  // namespace

std::vector<ListenSpec> parse_listen_list(std::string_view list, uint16_t port,
                                          proto::BindingProtocol protocol) {
  std::vector<ListenSpec> specs;
  size_t pos = 0;
  while (pos <= list.size()) {
    const size_t end = list.find_first_of(",;", pos);
    const std::string_view entry =
        list.substr(pos, end == std::string_view::npos ? std::string_view::npos : end - pos);
    if (!entry.empty()) specs.push_back(parse_entry(entry, port, protocol));
    if (end == std::string_view::npos) break;
    pos = end + 1;
  }
  if (specs.empty()) throw ListenError("no address to listen on in \"" + std::string(list) + "\"");
  return specs;
}

std::string format_address(const std::string& address, uint16_t port) {
  const bool v6 = address.find(':') != std::string::npos;
  return (v6 ? "[" + address + "]" : address) + ":" + std::to_string(port);
}

ListenerSet open_listeners(const proto::Settings& settings, std::shared_ptr<const TlsContext> tls) {
  ListenerSet set;
  set.per_worker.resize(static_cast<size_t>(settings.threads));
  set.udp_per_worker.resize(static_cast<size_t>(settings.threads));
  if (!settings.unix_socket.empty()) {
    open_unix(settings, set);
    return set;
  }
  for (const bool udp : {false, true}) {
    const int wanted = udp ? settings.udp_port : settings.port;
    if (wanted == 0) continue;
    std::vector<std::string> bound;
    const auto port = static_cast<uint16_t>(wanted < 0 ? 0 : wanted);
    for (const ListenSpec& spec :
         parse_listen_list(settings.listen_address, port, settings.binding_protocol)) {
      if (spec.notls && !settings.tls.enabled) {
        throw ListenError("'notls' option is valid only when SSL is enabled");
      }
      open_inet(spec, udp, settings, tls, set, bound);
    }
  }
  return set;
}

}  // namespace cuckood::net
