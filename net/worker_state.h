// What each worker thread holds whichever I/O engine runs it: its cache context and protocol
// Worker, the admission of new connections against -c, and the per-turn duties (cache
// quiescence, noticing a `shutdown` command). Kernel: setsockopt(TCP_NODELAY) only.
//
// Threading: a WorkerState belongs to its worker thread; it is created on that thread
// because the cache registers the calling thread. ServerEnv is shared and read-only.
#pragma once

#include <chrono>
#include <memory>

#include "cache/cache.h"
#include "net/connection_directory.h"
#include "net/stop_signal.h"
#include "proto/settings.h"
#include "proto/stats.h"
#include "proto/worker.h"

namespace cuckood::net {

// Everything the workers share; outlives them.
struct ServerEnv {
  cache::Cache& cache;
  const proto::Settings& settings;
  proto::ServerState& server;
  StopSignal& stop;
  NetDirectory& directory;  // `stats conns`
};

class WorkerState {
 public:
  WorkerState(ServerEnv& env, proto::CommandStats& stats);
  WorkerState(const WorkerState&) = delete;
  WorkerState& operator=(const WorkerState&) = delete;

  proto::Worker& worker() noexcept { return worker_; }
  ServerEnv& env() noexcept { return env_; }
  // This worker's book of connections (`stats conns`).
  ConnectionBook& connections() noexcept { return connections_; }
  int verbosity() const noexcept { return env_.server.verbosity.load(std::memory_order_relaxed); }

  // A connection was accepted from a listener whose connections speak `protocol`. Within -c:
  // counts it, sets TCP_NODELAY (TCP only) and returns true (the caller owns `fd`). Beyond -c:
  // sends memcached's refusal, closes `fd`, returns false.
  bool admit(int fd, proto::BindingProtocol protocol) noexcept;

  // An accept failed with errno `err` (other than the engine's expected ones: a cancel,
  // EAGAIN). Logs it at -v. True when accepting again at once would only fail again (out of
  // descriptors or memory): the engine then pauses accepting until a connection closes or an
  // idle tick passes, as memcached does.
  bool accept_failed(int err) noexcept;

  // The engine stops accepting (accept_failed said so) or starts again: memcached's
  // accepting_conns, listen_disabled_num and time_in_listen_disabled_us. Call on changes only.
  void set_accepting(bool accepting) noexcept;

  // An admitted connection was closed.
  void release(int fd) noexcept;

  // -o idle_timeout is closing connection `fd`: counts idle_kicks, logs it at -vv.
  void idle_kicked(int fd) noexcept;

  // Once per event-loop turn, outside any request: lets cache reclamation progress, refreshes
  // the cache clock, and turns a `shutdown` command into a stop request.
  void end_turn() noexcept;

 private:
  ServerEnv& env_;
  std::unique_ptr<cache::WorkerContext> ctx_;
  proto::Worker worker_;
  ConnectionBook& connections_;
  std::chrono::steady_clock::time_point not_accepting_since_{};
};

}  // namespace cuckood::net
