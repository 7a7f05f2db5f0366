#include "net/metrics_endpoint.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <memory>
#include <system_error>

#include "proto/prometheus_metrics.h"

namespace cuckood::net {

using Clock = std::chrono::steady_clock;

namespace {

constexpr std::string_view kContentType = "text/plain; version=0.0.4; charset=utf-8";

bool would_block(int error) noexcept {
  return error == EAGAIN || error == EWOULDBLOCK || error == EINTR;
}

// Milliseconds poll may sleep before `deadline` (rounded up: waking early only loops).
int poll_timeout(Clock::time_point now, Clock::time_point deadline) noexcept {
  if (deadline <= now) return 0;
  return static_cast<int>(std::chrono::ceil<std::chrono::milliseconds>(deadline - now).count());
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

// One connection: its request head while it is read, then the reply while it is sent.
struct MetricsEndpoint::Client {
  UniqueFd fd;
  std::string head;
  std::string reply;  // empty until the head is complete
  size_t sent = 0;
  Clock::time_point deadline;
};

void MetricsEndpoint::serve() noexcept {
  // This thread's own cache context and counters: a scrape reads the workers' counters, it
  // never writes them.
  const std::unique_ptr<cache::WorkerContext> ctx = cache_.register_worker();
  proto::CommandStats own_stats;
  proto::Worker worker{cache_,  *ctx,      settings_,
                       server_, own_stats, server_.watch_log.add_producer()};
  std::vector<Client> clients;
  std::vector<pollfd> fds;
  Clock::time_point accept_from{};
  for (;;) {
    const Clock::time_point now = Clock::now();
    const bool room = clients.size() < kMaxClients;
    const bool accepting = room && now >= accept_from;
    int timeout = room && !accepting ? poll_timeout(now, accept_from) : -1;
    fds.clear();
    fds.push_back({stop_.get(), POLLIN, 0});
    for (const Listener& l : listeners_) {
      fds.push_back({l.fd.get(), static_cast<short>(accepting ? POLLIN : 0), 0});
    }
    const size_t first_client = fds.size();
    for (const Client& c : clients) {
      fds.push_back({c.fd.get(), static_cast<short>(c.reply.empty() ? POLLIN : POLLOUT), 0});
      const int left = poll_timeout(now, c.deadline);
      timeout = timeout < 0 ? left : std::min(timeout, left);
    }
    if (::poll(fds.data(), fds.size(), timeout) < 0 && errno != EINTR) return;
    if (fds[0].revents != 0) return;
    // Clients first, while their pollfds still line up with them; then the new ones.
    size_t kept = 0;
    for (size_t i = 0; i < clients.size(); ++i) {
      Client& c = clients[i];
      bool open = fds[first_client + i].revents == 0 || progress(c, worker);
      open = open && Clock::now() < c.deadline;
      if (!open) continue;  // closed when overwritten or cut off below
      if (kept != i) clients[kept] = std::move(c);
      ++kept;
    }
    clients.resize(kept);
    for (size_t i = 1; i < first_client; ++i) {
      if ((fds[i].revents & POLLIN) != 0 && !accept_clients(fds[i].fd, clients)) {
        accept_from = Clock::now() + kAcceptBackoff;
      }
    }
  }
}

bool MetricsEndpoint::accept_clients(int listener, std::vector<Client>& clients) noexcept {
  while (clients.size() < kMaxClients) {
    UniqueFd fd(::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK));
    if (!fd.valid()) {
      // A connection reset before it was accepted is no failure of ours.
      return would_block(errno) || errno == ECONNABORTED;
    }
    clients.push_back({std::move(fd), {}, {}, 0, Clock::now() + kRequestTimeout});
  }
  return true;
}

bool MetricsEndpoint::progress(Client& c, proto::Worker& worker) noexcept {
  if (c.reply.empty()) {
    char buf[2048];
    const ssize_t n = ::recv(c.fd.get(), buf, sizeof(buf), 0);
    if (n < 0) return would_block(errno);
    if (n == 0) return false;
    c.head.append(buf, static_cast<size_t>(n));
    const MetricsRequest request = classify_metrics_request(c.head);
    if (request == MetricsRequest::kIncomplete && c.head.size() < kMaxRequestHead) return true;
    std::string body;
    if (request == MetricsRequest::kMetrics) {
      cache_.quiescent(worker.ctx);  // refreshes the clock the figures are read at
      body = proto::prometheus_metrics(worker);
    }
    c.reply = metrics_response(request, body, c.head.starts_with("HEAD "));
    c.deadline = Clock::now() + kRequestTimeout;
  }
  while (c.sent < c.reply.size()) {
    const ssize_t n =
        ::send(c.fd.get(), c.reply.data() + c.sent, c.reply.size() - c.sent, MSG_NOSIGNAL);
    if (n < 0) return would_block(errno);
    c.sent += static_cast<size_t>(n);
  }
  return false;
}

}  // namespace cuckood::net
