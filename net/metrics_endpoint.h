// --metrics-port: Prometheus scrapes `GET /metrics` (proto/prometheus_metrics.h) here, on
// listeners of its own (opened as -l/-p open theirs, so the same addresses and errors) served
// by one thread of its own. Nothing here touches the workers or their connections: the thread
// has its own cache context and reads the counters the workers publish, so a scrape costs the
// request path nothing. One request per connection: the reply carries Content-Length and the
// connection closes. Up to kMaxClients connections are served at once (non-blocking sockets,
// one poll over them all), so a client that sends nothing delays nobody else's scrape. Each
// has kRequestTimeout to send its request head (at most kMaxRequestHead bytes) and as long
// again to take the reply, else it is dropped; other paths are answered 404, other methods
// 405, garbage 400. Kernel: poll, eventfd.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "cache/cache.h"
#include "net/listener.h"
#include "net/unique_fd.h"
#include "proto/settings.h"
#include "proto/stats.h"
#include "proto/worker.h"

namespace cuckood::net {

// What a request head (the bytes up to its blank line) asks for.
enum class MetricsRequest {
  kIncomplete,  // no blank line yet
  kMetrics,     // GET or HEAD /metrics (a query string allowed)
  kNotFound,    // GET or HEAD of another path
  kBadMethod,   // another method
  kBad,         // not an HTTP request line
};
MetricsRequest classify_metrics_request(std::string_view head) noexcept;

// The whole HTTP response for a request; `body` is the exposition (used for kMetrics only).
std::string metrics_response(MetricsRequest request, std::string_view body, bool head_only);

class MetricsEndpoint {
 public:
  static constexpr std::chrono::milliseconds kRequestTimeout{2000};
  static constexpr size_t kMaxRequestHead = 8192;
  // Beyond it new connections wait in the listen backlog until one closes.
  static constexpr size_t kMaxClients = 64;
  // After an accept failure (out of descriptors), accepting resumes this much later, so a
  // listener that stays readable does not spin the thread.
  static constexpr std::chrono::milliseconds kAcceptBackoff{100};

  // Listens on `address` (as -l takes it) at `port` (-1: a port the kernel picks) and starts
  // the thread. Throws ListenError, std::system_error.
  MetricsEndpoint(const std::string& address, int port, cache::Cache& cache,
                  const proto::Settings& settings, proto::ServerState& server);
  // Stops the thread and closes the listeners.
  ~MetricsEndpoint();
  MetricsEndpoint(const MetricsEndpoint&) = delete;
  MetricsEndpoint& operator=(const MetricsEndpoint&) = delete;

  const std::vector<ListenAddress>& addresses() const noexcept { return addresses_; }

 private:
  struct Client;
  void serve() noexcept;
  // Accepts from `listener` while there is room; false if accept failed for want of
  // descriptors or memory.
  bool accept_clients(int listener, std::vector<Client>& clients) noexcept;
  // Reads the request or sends the reply as far as the socket allows; false once the client is
  // done with (answered, gone or in error).
  bool progress(Client& client, proto::Worker& worker) noexcept;

  cache::Cache& cache_;
  const proto::Settings& settings_;
  proto::ServerState& server_;
  std::vector<Listener> listeners_;
  std::vector<ListenAddress> addresses_;
  UniqueFd stop_;  // eventfd: readable once the destructor asks the thread to end
  std::thread thread_;
};

}  // namespace cuckood::net
