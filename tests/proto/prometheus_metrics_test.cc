// proto/prometheus_metrics: memcached_exporter's names and labels, derived from known traffic.
#include "proto/prometheus_metrics.h"

#include <gtest/gtest.h>

#include <map>
#include <set>
#include <sstream>
#include <string>

#include "tests/proto/session_fixture.h"

namespace cuckood::proto::testing {
namespace {

struct Exposition {
  std::map<std::string, std::string> samples;  // "name{labels}" → value
  std::map<std::string, std::string> types;    // family → type
  std::multiset<std::string> helps;            // family, once per HELP line
};

Exposition parse(const std::string& text) {
  Exposition e;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.starts_with("# HELP ")) {
      e.helps.insert(line.substr(7, line.find(' ', 7) - 7));
    } else if (line.starts_with("# TYPE ")) {
      const size_t space = line.find(' ', 7);
      EXPECT_TRUE(e.types.emplace(line.substr(7, space - 7), line.substr(space + 1)).second)
          << "TYPE twice: " << line;
    } else if (!line.empty()) {
      const size_t space = line.rfind(' ');
      e.samples[line.substr(0, space)] = line.substr(space + 1);
    }
  }
  return e;
}

TEST(PrometheusMetrics, ExporterNamesFromKnownTraffic) {
  Env env;
  env.feed("set a 0 0 1\r\nx\r\nset b 0 0 2\r\nyy\r\nget a\r\nget a b c\r\n");
  env.feed("incr c 1\r\ndelete b\r\ndelete b\r\ntouch a 100\r\n");
  env.feed("gets a\r\n");
  env.feed("cas a 0 0 1 12345\r\nz\r\ncas q 0 0 1 1\r\nz\r\nflush_all 100\r\n");
  const Exposition e = parse(prometheus_metrics(env.worker()));

  const auto value = [&](const std::string& key) {
    const auto it = e.samples.find(key);
    return it == e.samples.end() ? std::string("<absent>") : it->second;
  };
  EXPECT_EQ(value("memcached_up"), "1");
  EXPECT_EQ(value("memcached_commands_total{command=\"get\",status=\"hit\"}"), "4");
  EXPECT_EQ(value("memcached_commands_total{command=\"get\",status=\"miss\"}"), "1");
  EXPECT_EQ(value("memcached_commands_total{command=\"incr\",status=\"miss\"}"), "1");
  EXPECT_EQ(value("memcached_commands_total{command=\"delete\",status=\"hit\"}"), "1");
  EXPECT_EQ(value("memcached_commands_total{command=\"delete\",status=\"miss\"}"), "1");
  EXPECT_EQ(value("memcached_commands_total{command=\"touch\",status=\"hit\"}"), "1");
  EXPECT_EQ(value("memcached_commands_total{command=\"cas\",status=\"badval\"}"), "1");
  EXPECT_EQ(value("memcached_commands_total{command=\"cas\",status=\"miss\"}"), "1");
  EXPECT_EQ(value("memcached_commands_total{command=\"flush\",status=\"hit\"}"), "1");
  // Four stores, two of them cas requests: the exporter counts sets without the cas ones.
  EXPECT_EQ(value("memcached_commands_total{command=\"set\",status=\"hit\"}"), "2");
  EXPECT_EQ(value("memcached_current_items"), "1");
  EXPECT_EQ(value("memcached_items_total"), "2");
  EXPECT_EQ(value("memcached_limit_bytes"), std::to_string(env.settings().memory_limit));
  EXPECT_EQ(value("memcached_max_connections"), std::to_string(env.settings().max_connections));
  EXPECT_NE(value("memcached_current_bytes"), "<absent>");
  EXPECT_NE(value("memcached_slab_current_items{slab=\"1\"}"), "<absent>");
  EXPECT_EQ(value("memcached_lru_crawler_enabled"), "1");
  EXPECT_NE(value("cuckood_index_slots"), "0");
  EXPECT_NE(value("cuckood_index_buckets"), "0");
  EXPECT_EQ(value("cuckood_index_growths_total"), "0") << "two items do not double the index";
  EXPECT_EQ(value("cuckood_pinned_bytes"), "0") << "no reply in flight";
  EXPECT_NE(value("cuckood_index_load_factor"), "<absent>");
  EXPECT_NE(value("cuckood_worker_requests_total{worker=\"0\"}"), "<absent>");

  EXPECT_EQ(e.types.at("memcached_commands_total"), "counter");
  EXPECT_EQ(e.types.at("memcached_current_items"), "gauge");
  EXPECT_EQ(e.types.at("cuckood_index_growths_total"), "counter");
  EXPECT_EQ(e.types.at("cuckood_pinned_bytes"), "gauge");
  for (const auto& [family, type] : e.types) {
    EXPECT_EQ(e.helps.count(family), 1u) << family;
    EXPECT_TRUE(type == "counter" || type == "gauge") << family;
  }
}

TEST(PrometheusMetrics, FamiliesAreContiguous) {
  Env env;
  env.feed("set a 0 0 1\r\nx\r\nset bb 0 0 300\r\n" + std::string(300, 'v') + "\r\n");
  std::istringstream in(prometheus_metrics(env.worker()));
  std::set<std::string> closed;
  std::string current, line;
  while (std::getline(in, line)) {
    if (line.starts_with("#")) continue;
    const std::string name = line.substr(0, line.find_first_of("{ "));
    if (name == current) continue;
    EXPECT_FALSE(closed.contains(name)) << name << " appears in two places";
    closed.insert(current);
    current = name;
  }
}

}  // namespace
}  // namespace cuckood::proto::testing
