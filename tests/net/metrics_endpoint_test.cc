// net/metrics_endpoint: which requests get the metrics, and the HTTP responses.
#include "net/metrics_endpoint.h"

#include <gtest/gtest.h>

#include <string>

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

}  // namespace
}  // namespace cuckood::net
