// See worker_state.h. The connection limit is one shared counter touched on accept and close
// only, never per request.
#include "net/worker_state.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string_view>

#include "net/log.h"

namespace cuckood::net {

namespace {
constexpr std::string_view kTooManyConnections = "ERROR Too many open connections\r\n";
}

WorkerState::WorkerState(ServerEnv& env, proto::CommandStats& stats)
    : env_(env),
      ctx_(env.cache.register_worker()),
      worker_{env.cache,  *ctx_, env.settings,
              env.server, stats, env.server.watch_log.add_producer()},
      connections_(env.directory.add_worker()) {}

bool WorkerState::admit(int fd, proto::BindingProtocol protocol) noexcept {
  proto::ServerState& s = env_.server;
  const uint64_t limit = static_cast<uint64_t>(env_.settings.max_connections);
  if (s.curr_connections.fetch_add(1, std::memory_order_relaxed) >= limit) {
    s.curr_connections.fetch_sub(1, std::memory_order_relaxed);
    s.rejected_connections.fetch_add(1, std::memory_order_relaxed);
    // A fresh socket's send buffer is empty: this short write completes at once.
    [[maybe_unused]] const ssize_t n = ::send(
        fd, kTooManyConnections.data(), kTooManyConnections.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
    ::close(fd);
    if (verbosity() > 0) log_line("<%d refused: too many open connections", fd);
    return false;
  }
  s.total_connections.fetch_add(1, std::memory_order_relaxed);
  const int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));  // fails on a unix socket
  if (verbosity() > 0) {
    switch (protocol) {  // memcached's words
      case proto::BindingProtocol::kAuto:
        log_line("<%d new auto-negotiating client connection", fd);
        break;
      case proto::BindingProtocol::kAscii:
        log_line("<%d new ascii client connection.", fd);
        break;
      case proto::BindingProtocol::kBinary:
        log_line("<%d new binary client connection.", fd);
        break;
    }
  }
  return true;
}

bool WorkerState::accept_failed(int err) noexcept {
  if (verbosity() > 0) log_line("accept: %s", std::strerror(err));
  return err == EMFILE || err == ENFILE || err == ENOBUFS || err == ENOMEM;
}

void WorkerState::set_accepting(bool accepting) noexcept {
  proto::ServerState& s = env_.server;
  const auto now = std::chrono::steady_clock::now();
  if (accepting) {
    const auto paused =
        std::chrono::duration_cast<std::chrono::microseconds>(now - not_accepting_since_);
    s.time_in_listen_disabled_us.fetch_add(static_cast<uint64_t>(paused.count()),
                                           std::memory_order_relaxed);
    s.workers_not_accepting.fetch_sub(1, std::memory_order_relaxed);
  } else {
    not_accepting_since_ = now;
    s.listen_disabled_num.fetch_add(1, std::memory_order_relaxed);
    s.workers_not_accepting.fetch_add(1, std::memory_order_relaxed);
  }
}

void WorkerState::release(int fd) noexcept {
  env_.server.curr_connections.fetch_sub(1, std::memory_order_relaxed);
  if (verbosity() > 0) log_line("<%d connection closed.", fd);
}

void WorkerState::idle_kicked(int fd) noexcept {
  worker_.stats.idle_kicks.add();
  if (verbosity() > 1) log_line("Closing idle fd %d", fd);
}

void WorkerState::end_turn() noexcept {
  env_.cache.quiescent(*ctx_);
  if (env_.server.shutdown_requested.load(std::memory_order_relaxed)) env_.stop.request();
}

}  // namespace cuckood::net
