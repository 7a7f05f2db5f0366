// The network front end as main sees it: the choice of I/O engine and the worker threads over
// listeners main opened beforehand (net/listener.h: binding comes before daemonizing and
// dropping privileges). Construction does everything else that can fail (so main can report
// it before logging that it listens); run() serves until a stop signal or `shutdown`.
#pragma once

#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "cache/cache.h"
#include "net/connection_directory.h"
#include "net/listener.h"
#include "net/stop_signal.h"
#include "net/worker_state.h"
#include "proto/settings.h"
#include "proto/stats.h"

namespace cuckood::net {

class NetServer {
 public:
  // Picks the engine — io_uring unless settings say epoll; epoll when io_uring is unusable,
  // logged once on stderr — and starts settings.threads workers over `listeners` (one list
  // per worker), returning once each is serving. Throws std::system_error; then no thread is
  // left running. `stop` must have been created before any thread of the process (the
  // cache's included), so that no thread takes SIGTERM's default action.
  NetServer(cache::Cache& cache, const proto::Settings& settings, proto::ServerState& server,
            StopSignal& stop, ListenerSet listeners);
  ~NetServer();
  NetServer(const NetServer&) = delete;
  NetServer& operator=(const NetServer&) = delete;

  // "io_uring" or "epoll".
  std::string_view engine_name() const noexcept { return use_uring_ ? "io_uring" : "epoll"; }

  // Serves until a stop signal (StopSignal::wait) or a `shutdown` command, then stops the
  // workers (each sends what it has already produced, see kDrainTimeout) and joins them.
  // Returns the signal number, or 0 for `shutdown`.
  int run();

 private:
  void stop_and_join() noexcept;

  StopSignal& stop_;
  NetDirectory directory_;  // before env_, which refers to it
  ServerEnv env_;
  bool use_uring_ = true;
  std::vector<std::thread> threads_;
};

}  // namespace cuckood::net
