// See net_server.h. Each worker builds its WorkerState and event loop on its own thread (the
// cache registers the calling thread; a SINGLE_ISSUER ring belongs to its creator) and
// reports success or the set-up exception through a promise.
#include "net/net_server.h"

#include <sys/resource.h>
#include <sys/socket.h>

#include <exception>
#include <future>
#include <utility>

#include "net/engine.h"
#include "net/listener.h"
#include "net/log.h"

namespace cuckood::net {

namespace {

// Like memcached, make room for -c connections (plus listeners and the rings' own fds) when
// the soft limit is lower; never beyond the hard limit, which only privilege could raise.
void raise_fd_limit(const proto::Settings& settings) noexcept {
  constexpr rlim_t kReserved = 64;
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) return;
  const rlim_t wanted = static_cast<rlim_t>(settings.max_connections) +
                        static_cast<rlim_t>(settings.threads) * 4 + kReserved;
  if (limit.rlim_cur >= wanted) return;
  limit.rlim_cur =
      limit.rlim_max == RLIM_INFINITY || limit.rlim_max >= wanted ? wanted : limit.rlim_max;
  ::setrlimit(RLIMIT_NOFILE, &limit);
}

// `stats conns`' rows for the listening sockets: one per address, as memcached has (each
// worker's SO_REUSEPORT twin is the same address; the first worker's fd stands for them). Then
// every UDP socket, each worker's own: memcached too lists one UDP connection per thread.
std::vector<NetDirectory::ListenerRow> listener_rows(const ListenerSet& listeners) {
  std::vector<NetDirectory::ListenerRow> rows;
  auto add = [&rows](int fd, bool udp) {
    sockaddr_storage address{};
    socklen_t length = sizeof(address);
    if (::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) return;
    rows.push_back({fd, socket_address_text(&address, length, udp), udp});
  };
  if (!listeners.per_worker.empty()) {
    for (const Listener& listener : listeners.per_worker.front()) add(listener.fd.get(), false);
  }
  for (const std::vector<UniqueFd>& sockets : listeners.udp_per_worker) {
    for (const UniqueFd& fd : sockets) add(fd.get(), true);
  }
  return rows;
}

}  // namespace

NetServer::NetServer(cache::Cache& cache, const proto::Settings& settings,
                     proto::ServerState& server, StopSignal& stop, ListenerSet listeners)
    : stop_(stop),
      directory_(listener_rows(listeners), server.clock.now()),
      env_{cache, settings, server, stop, directory_} {
  raise_fd_limit(settings);
  if (settings.io_engine == "epoll") {
    use_uring_ = false;
  } else if (const std::string reason = probe_uring(); !reason.empty()) {
    use_uring_ = false;
    log_line("io_uring unavailable (%s); using epoll", reason.c_str());
  }
  directory_.set_event_mechanism(use_uring_ ? "io_uring" : "epoll");
  server.connections.store(&directory_, std::memory_order_release);

  std::vector<std::future<void>> ready;
  try {
    for (size_t w = 0; w < listeners.per_worker.size(); ++w) {
      proto::CommandStats& stats = server.add_worker();
      std::promise<void> started;
      ready.push_back(started.get_future());
      threads_.emplace_back([this, &stats, fds = std::move(listeners.per_worker[w]),
                             udp = std::move(listeners.udp_per_worker[w]),
                             started = std::move(started)]() mutable {
        std::unique_ptr<WorkerState> state;
        std::unique_ptr<EventLoop> loop;
        try {
          state = std::make_unique<WorkerState>(env_, stats);
          loop = use_uring_ ? make_uring_loop(*state, std::move(fds), std::move(udp))
                            : make_epoll_loop(*state, std::move(fds), std::move(udp));
        } catch (...) {
          started.set_exception(std::current_exception());
          return;
        }
        started.set_value();
        loop->run();
      });
    }
    for (std::future<void>& f : ready) f.get();
  } catch (...) {
    stop_and_join();
    throw;
  }
}

NetServer::~NetServer() {
  stop_and_join();
}

int NetServer::run() {
  const int signal = stop_.wait();
  stop_and_join();
  return signal;
}

void NetServer::stop_and_join() noexcept {
  stop_.request();
  for (std::thread& t : threads_) {
    if (t.joinable()) t.join();
  }
  env_.server.connections.store(nullptr, std::memory_order_release);
}

}  // namespace cuckood::net
