// net/metrics_endpoint: which requests get the metrics, the HTTP responses, and several
// clients served at once.
#include "net/metrics_endpoint.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include "cache/cuckoo_cache.h"

namespace cuckood::net {
namespace {

TEST(MetricsRequestTest, GetAndHeadOfMetricsAreScrapes) {
  EXPECT_EQ(classify_metrics_request("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n"),
            MetricsRequest::kMetrics);
  EXPECT_EQ(classify_metrics_request("HEAD /metrics HTTP/1.0\r\n\r\n"), MetricsRequest::kMetrics);
  EXPECT_EQ(classify_metrics_request("GET /metrics?name[]=x HTTP/1.1\r\n\r\n"),
            MetricsRequest::kMetrics);
  EXPECT_EQ(classify_metrics_request("GET /metrics HTTP/1.1\n\n"), MetricsRequest::kMetrics);
}

TEST(MetricsRequestTest, IncompleteOtherPathsMethodsAndGarbage) {
  EXPECT_EQ(classify_metrics_request("GET /metrics HTTP/1.1\r\nHost: x\r\n"),
            MetricsRequest::kIncomplete);
  EXPECT_EQ(classify_metrics_request(""), MetricsRequest::kIncomplete);
  EXPECT_EQ(classify_metrics_request("GET / HTTP/1.1\r\n\r\n"), MetricsRequest::kNotFound);
  EXPECT_EQ(classify_metrics_request("GET /metricsx HTTP/1.1\r\n\r\n"), MetricsRequest::kNotFound);
  EXPECT_EQ(classify_metrics_request("POST /metrics HTTP/1.1\r\n\r\n"), MetricsRequest::kBadMethod);
  EXPECT_EQ(classify_metrics_request("stats\r\n\r\n"), MetricsRequest::kBad);
  EXPECT_EQ(classify_metrics_request("GET /metrics\r\n\r\n"), MetricsRequest::kBad);
}

TEST(MetricsResponseTest, StatusLineHeadersAndBody) {
  const std::string ok = metrics_response(MetricsRequest::kMetrics, "a 1\n", false);
  EXPECT_TRUE(ok.starts_with("HTTP/1.1 200 OK\r\n")) << ok;
  EXPECT_NE(ok.find("Content-Type: text/plain; version=0.0.4; charset=utf-8\r\n"),
            std::string::npos);
  EXPECT_NE(ok.find("Content-Length: 4\r\n"), std::string::npos);
  EXPECT_TRUE(ok.ends_with("Connection: close\r\n\r\na 1\n")) << ok;
  const std::string head = metrics_response(MetricsRequest::kMetrics, "a 1\n", true);
  EXPECT_TRUE(head.ends_with("\r\n\r\n")) << "HEAD gets the headers only";
  EXPECT_NE(head.find("Content-Length: 4\r\n"), std::string::npos);
  EXPECT_TRUE(metrics_response(MetricsRequest::kNotFound, "", false).starts_with("HTTP/1.1 404"));
  const std::string refused = metrics_response(MetricsRequest::kBadMethod, "", false);
  EXPECT_TRUE(refused.starts_with("HTTP/1.1 405"));
  EXPECT_NE(refused.find("Allow: GET, HEAD\r\n"), std::string::npos);
  EXPECT_TRUE(metrics_response(MetricsRequest::kBad, "", false).starts_with("HTTP/1.1 400"));
}

// A blocking TCP connection to 127.0.0.1:`port`.
UniqueFd connect_to(uint16_t port) {
  UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_EQ(::connect(fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)), 0);
  return fd;
}

// Everything the peer sends until it closes, waiting at most `limit` in all.
std::string read_to_close(int fd, std::chrono::milliseconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  std::string out;
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    pollfd p{fd, POLLIN, 0};
    if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) <= 0) {
      return out + "<timed out>";
    }
    char buf[4096];
    const ssize_t n = ::recv(fd, buf, sizeof(buf), 0);
    if (n <= 0) return out;
    out.append(buf, static_cast<size_t>(n));
  }
}

class MetricsEndpointTest : public ::testing::Test {
 protected:
  MetricsEndpointTest()
      : cache_(config()), endpoint_("127.0.0.1", -1, cache_, settings_, server_) {}
  static cache::CacheConfig config() {
    cache::CacheConfig config;
    config.memory_limit = size_t{8} << 20;
    return config;
  }
  uint16_t port() const { return endpoint_.addresses().front().port; }
  // A whole scrape on a new connection: the response, and how long it took.
  std::string scrape(std::chrono::milliseconds& took) {
    const auto start = std::chrono::steady_clock::now();
    const UniqueFd fd = connect_to(port());
    const std::string request = "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n";
    EXPECT_EQ(::send(fd.get(), request.data(), request.size(), MSG_NOSIGNAL),
              static_cast<ssize_t>(request.size()));
    std::string response = read_to_close(fd.get(), std::chrono::seconds(5));
    took = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                                 start);
    return response;
  }

  cache::CuckooCache cache_;
  proto::Settings settings_;
  proto::ServerState server_;
  MetricsEndpoint endpoint_;
};

TEST_F(MetricsEndpointTest, SilentAndHalfSentClientsDelayNoScrape) {
  const UniqueFd silent = connect_to(port());
  const UniqueFd half = connect_to(port());
  ASSERT_EQ(::send(half.get(), "GET /metr", 9, MSG_NOSIGNAL), 9);
  for (int i = 0; i < 3; ++i) {
    std::chrono::milliseconds took{};
    const std::string response = scrape(took);
    EXPECT_TRUE(response.starts_with("HTTP/1.1 200 OK\r\n")) << response.substr(0, 200);
    EXPECT_NE(response.find("\nmemcached_up 1\n"), std::string::npos);
    EXPECT_LT(took, MetricsEndpoint::kRequestTimeout / 2) << "waited for a silent client";
  }
  // Each still has its own head timeout: both are dropped unanswered once it passes.
  const auto limit = MetricsEndpoint::kRequestTimeout + std::chrono::seconds(2);
  EXPECT_EQ(read_to_close(silent.get(), limit), "");
  EXPECT_EQ(read_to_close(half.get(), limit), "");
}

TEST_F(MetricsEndpointTest, ManyClientsAtOnceEachAnswered) {
  std::vector<UniqueFd> clients;
  for (int i = 0; i < 20; ++i) clients.push_back(connect_to(port()));
  const std::string request = "GET /metrics HTTP/1.0\r\n\r\n";
  // Sent in reverse order of connecting, so none is answered in accept order by chance.
  for (auto it = clients.rbegin(); it != clients.rend(); ++it) {
    ASSERT_EQ(::send(it->get(), request.data(), request.size(), MSG_NOSIGNAL),
              static_cast<ssize_t>(request.size()));
  }
  for (const UniqueFd& fd : clients) {
    const std::string response = read_to_close(fd.get(), std::chrono::seconds(5));
    EXPECT_TRUE(response.starts_with("HTTP/1.1 200 OK\r\n")) << response.substr(0, 200);
    EXPECT_NE(response.find("\nmemcached_up 1\n"), std::string::npos);
  }
}

}  // namespace
}  // namespace cuckood::net
