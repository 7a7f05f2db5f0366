// See connection_directory.h. The addresses follow memcached's conn_to_str: a client's peer,
// then its local end (listen_addr); a unix socket client has no peer address in memcached
// ("?:<AF 0>").
#include "net/connection_directory.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <algorithm>
#include <cstring>

namespace cuckood::net {

std::string_view state_name(ConnState state) noexcept {
  switch (state) {
    case ConnState::kNewCmd:
      return "conn_new_cmd";
    case ConnState::kParseCmd:
      return "conn_parse_cmd";
    case ConnState::kRead:
      return "conn_read";
    case ConnState::kNread:
      return "conn_nread";
    case ConnState::kMwrite:
      return "conn_mwrite";
    case ConnState::kClosing:
      return "conn_closing";
    case ConnState::kWatch:
      break;
  }
  return "conn_watch";
}

std::string socket_address_text(const void* address, unsigned length, bool udp) {
  const auto* sa = static_cast<const sockaddr*>(address);
  if (length < sizeof(sa_family_t)) return "?:<AF 0>";
  char text[INET6_ADDRSTRLEN] = {};
  switch (sa->sa_family) {
    case AF_INET: {
      const auto* in = static_cast<const sockaddr_in*>(address);
      ::inet_ntop(AF_INET, &in->sin_addr, text, sizeof(text));
      return std::string(udp ? "udp:" : "tcp:") + text + ":" + std::to_string(ntohs(in->sin_port));
    }
    case AF_INET6: {
      const auto* in6 = static_cast<const sockaddr_in6*>(address);
      ::inet_ntop(AF_INET6, &in6->sin6_addr, text, sizeof(text));
      return std::string(udp ? "udp6:[" : "tcp6:[") + text +
             "]:" + std::to_string(ntohs(in6->sin6_port));
    }
    case AF_UNIX: {
      const auto* un = static_cast<const sockaddr_un*>(address);
      const size_t max =
          std::min<size_t>(length - offsetof(sockaddr_un, sun_path), sizeof(un->sun_path));
      const std::string path(un->sun_path, strnlen(un->sun_path, max));
      return "unix:" + (path.size() < 2 ? "<AF 1>" : path);
    }
    default:
      return "?:<AF " + std::to_string(sa->sa_family) + ">";
  }
}

void ConnectionBook::add(const ConnectionInfo& info) {
  std::lock_guard lock(mutex_);
  infos_.push_back(&info);
}

void ConnectionBook::remove(const ConnectionInfo& info) noexcept {
  std::lock_guard lock(mutex_);
  const auto it = std::find(infos_.begin(), infos_.end(), &info);
  if (it == infos_.end()) return;
  *it = infos_.back();
  infos_.pop_back();
}

ConnectionBook& NetDirectory::add_worker() {
  std::lock_guard lock(mutex_);
  return books_.emplace_back();
}

void NetDirectory::list(FunctionRef<void(const proto::ConnectionRow&)> visit) const {
  proto::ConnectionRow row;
  for (const ListenerRow& listener : listeners_) {
    row.fd = listener.fd;
    row.addr = listener.addr;
    row.listen_addr.clear();
    row.state = listener.udp ? "conn_read" : "conn_listening";
    row.last_cmd = started_;
    row.udp = listener.udp;
    visit(row);
  }
  row.udp = false;
  std::lock_guard directory_lock(mutex_);
  for (const ConnectionBook& book : books_) {
    std::lock_guard lock(book.mutex_);
    for (const ConnectionInfo* info : book.infos_) {
      sockaddr_storage local{};
      socklen_t length = sizeof(local);
      if (::getsockname(info->fd(), reinterpret_cast<sockaddr*>(&local), &length) != 0) continue;
      row.fd = info->fd();
      row.listen_addr = socket_address_text(&local, length);
      if (info->unix_socket()) {
        row.addr = "?:<AF 0>";
      } else {
        sockaddr_storage peer{};
        socklen_t peer_length = sizeof(peer);
        row.addr = ::getpeername(info->fd(), reinterpret_cast<sockaddr*>(&peer), &peer_length) == 0
                       ? socket_address_text(&peer, peer_length)
                       : "?:<AF 0>";
      }
      row.state = state_name(info->state());
      row.last_cmd = info->last_cmd();
      visit(row);
    }
  }
}

namespace {

// Entries of /proc/self/fd, less the one the listing itself opens; 0 if it cannot be read.
uint64_t open_descriptors() noexcept {
  DIR* dir = ::opendir("/proc/self/fd");
  if (dir == nullptr) return 0;
  uint64_t count = 0;
  while (const dirent* entry = ::readdir(dir)) {
    if (entry->d_name[0] != '.') ++count;
  }
  ::closedir(dir);
  return count > 0 ? count - 1 : 0;
}

}  // namespace

proto::ConnectionResources NetDirectory::resources() const {
  proto::ConnectionResources r;
  r.event_mechanism = event_mechanism_;
  r.structures = listeners_.size();
  uint64_t clients = 0;
  {
    std::lock_guard directory_lock(mutex_);
    for (const ConnectionBook& book : books_) {
      r.structures += book.slots_.load(std::memory_order_relaxed);
      r.read_buffers += book.receive_buffers_.load(std::memory_order_relaxed);
      r.read_buffer_bytes += book.receive_buffer_bytes_.load(std::memory_order_relaxed);
      std::lock_guard lock(book.mutex_);
      clients += book.infos_.size();
    }
  }
  const uint64_t open = open_descriptors();
  r.reserved_fds = open > clients ? open - clients : 0;
  return r;
}

}  // namespace cuckood::net
