#include "net/metrics_endpoint.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <memory>
#include <system_error>

#include "proto/prometheus_metrics.h"

namespace cuckood::net {

namespace {

constexpr std::string_view kContentType = "text/plain; version=0.0.4; charset=utf-8";

// Writes all of `data` to a blocking socket; false if the peer went away.
bool send_all(int fd, std::string_view data) noexcept {
  while (!data.empty()) {
    const ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

}  // namespace

MetricsRequest classify_metrics_request(std::string_view head) noexcept {
  const size_t end = head.find("\r\n\r\n");
  if (end == std::string_view::npos && head.find("\n\n") == std::string_view::npos) {
    return MetricsRequest::kIncomplete;
  }
  const std::string_view line = head.substr(0, head.find_first_of("\r\n"));
  const size_t first_space = line.find(' ');
  const size_t second_space =
      first_space == std::string_view::npos ? first_space : line.find(' ', first_space + 1);
  if (second_space == std::string_view::npos ||
      !line.substr(second_space + 1).starts_with("HTTP/")) {
    return MetricsRequest::kBad;
  }
  const std::string_view method = line.substr(0, first_space);
  std::string_view target = line.substr(first_space + 1, second_space - first_space - 1);
  if (method != "GET" && method != "HEAD") return MetricsRequest::kBadMethod;
  target = target.substr(0, target.find('?'));
  return target == "/metrics" ? MetricsRequest::kMetrics : MetricsRequest::kNotFound;
}

std::string metrics_response(MetricsRequest request, std::string_view body, bool head_only) {
  std::string_view status;
  std::string_view type = "text/plain; charset=utf-8";
  std::string_view content;
  switch (request) {
    case MetricsRequest::kMetrics:
      status = "200 OK";
      type = kContentType;
      content = body;
      break;
    case MetricsRequest::kNotFound:
      status = "404 Not Found";
      content = "Not found: the metrics are at /metrics\n";
      break;
    case MetricsRequest::kBadMethod:
      status = "405 Method Not Allowed";
      content = "Only GET and HEAD\n";
      break;
    case MetricsRequest::kIncomplete:
    case MetricsRequest::kBad:
      status = "400 Bad Request";
      content = "Bad request\n";
      break;
  }
  std::string out = "HTTP/1.1 ";
  out.append(status).append("\r\nContent-Type: ").append(type);
  out.append("\r\nContent-Length: ").append(std::to_string(content.size()));
  if (request == MetricsRequest::kBadMethod) out.append("\r\nAllow: GET, HEAD");
  out.append("\r\nConnection: close\r\n\r\n");
  if (!head_only) out.append(content);
  return out;
}

MetricsEndpoint::MetricsEndpoint(const std::string& address, int port, cache::Cache& cache,
                                 const proto::Settings& settings, proto::ServerState& server)
    : cache_(cache), settings_(settings), server_(server) {
  proto::Settings where;
  where.listen_address = address;
  where.port = port;
  where.udp_port = 0;
  where.threads = 1;
  where.backlog = settings.backlog;
  ListenerSet set = open_listeners(where);
  listeners_ = std::move(set.per_worker.front());
  addresses_ = std::move(set.addresses);
  stop_.reset(::eventfd(0, EFD_CLOEXEC));
  if (!stop_.valid()) throw std::system_error(errno, std::generic_category(), "eventfd");
  thread_ = std::thread([this] { serve(); });
}

MetricsEndpoint::~MetricsEndpoint() {
  const uint64_t one = 1;
  [[maybe_unused]] const ssize_t n = ::write(stop_.get(), &one, sizeof(one));
  thread_.join();
}

void MetricsEndpoint::serve() noexcept {
  // This thread's own cache context and counters: a scrape reads the workers' counters, it
  // never writes them.
  const std::unique_ptr<cache::WorkerContext> ctx = cache_.register_worker();
  proto::CommandStats own_stats;
  proto::Worker worker{cache_,  *ctx,      settings_,
                       server_, own_stats, server_.watch_log.add_producer()};
  std::vector<pollfd> fds;
  fds.push_back({stop_.get(), POLLIN, 0});
  for (const Listener& l : listeners_) fds.push_back({l.fd.get(), POLLIN, 0});
  for (;;) {
    if (::poll(fds.data(), fds.size(), -1) < 0 && errno != EINTR) return;
    if (fds[0].revents != 0) return;
    for (size_t i = 1; i < fds.size(); ++i) {
      if ((fds[i].revents & POLLIN) == 0) continue;
      const UniqueFd client(::accept4(fds[i].fd, nullptr, nullptr, SOCK_CLOEXEC));
      if (client.valid()) answer(client.get(), worker);
    }
  }
}

void MetricsEndpoint::answer(int fd, proto::Worker& worker) noexcept {
  std::string head;
  MetricsRequest request = MetricsRequest::kIncomplete;
  const auto deadline = std::chrono::steady_clock::now() + kRequestTimeout;
  while (request == MetricsRequest::kIncomplete && head.size() < kMaxRequestHead) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    pollfd p{fd, POLLIN, 0};
    if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) <= 0) return;
    char buf[2048];
    const ssize_t n = ::recv(fd, buf, sizeof(buf), 0);
    if (n <= 0) return;
    head.append(buf, static_cast<size_t>(n));
    request = classify_metrics_request(head);
  }
  const bool head_only = head.starts_with("HEAD ");
  std::string body;
  if (request == MetricsRequest::kMetrics) {
    cache_.quiescent(worker.ctx);  // refreshes the clock the figures are read at
    body = proto::prometheus_metrics(worker);
  }
  send_all(fd, metrics_response(request, body, head_only));
}

}  // namespace cuckood::net
