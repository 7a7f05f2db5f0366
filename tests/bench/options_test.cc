#include "bench/load/options.h"

#include <gtest/gtest.h>

#include <initializer_list>
#include <vector>

namespace cuckood::load {
namespace {

ParseResult parse(std::initializer_list<const char*> args) {
  std::vector<const char*> argv{"cuckood-load"};
  argv.insert(argv.end(), args.begin(), args.end());
  return parse_options(static_cast<int>(argv.size()), argv.data());
}

TEST(Options, DefaultsAreValid) {
  const ParseResult r = parse({});
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.options.servers, std::vector<std::string>{"127.0.0.1:11211"});
  EXPECT_EQ(r.options.protocol, Protocol::kText);
  EXPECT_EQ(r.options.distribution, Distribution::kUniform);
}

TEST(Options, ParsesEveryOption) {
  const ParseResult r = parse({"-s",
                               "127.0.0.1:1,localhost:2",
                               "-t",
                               "2",
                               "-c",
                               "8",
                               "-d",
                               "16",
                               "-k",
                               "5000",
                               "--key-size=12",
                               "--value-size",
                               "10-200",
                               "--get-ratio",
                               "0.5",
                               "--dist",
                               "zipf",
                               "--theta",
                               "1.2",
                               "--duration",
                               "1.5",
                               "--warmup=0.25",
                               "--rate",
                               "1000",
                               "--preload",
                               "--read-through",
                               "--protocol",
                               "binary",
                               "--seed",
                               "7",
                               "--json"});
  ASSERT_TRUE(r.ok) << r.error;
  const Options& o = r.options;
  EXPECT_EQ(o.servers, (std::vector<std::string>{"127.0.0.1:1", "localhost:2"}));
  EXPECT_EQ(o.threads, 2);
  EXPECT_EQ(o.connections, 8);
  EXPECT_EQ(o.depth, 16);
  EXPECT_EQ(o.keys, 5000u);
  EXPECT_EQ(o.key_size, 12);
  EXPECT_EQ(o.value_min, 10u);
  EXPECT_EQ(o.value_max, 200u);
  EXPECT_DOUBLE_EQ(o.get_ratio, 0.5);
  EXPECT_EQ(o.distribution, Distribution::kZipf);
  EXPECT_DOUBLE_EQ(o.theta, 1.2);
  EXPECT_DOUBLE_EQ(o.duration, 1.5);
  EXPECT_DOUBLE_EQ(o.warmup, 0.25);
  EXPECT_DOUBLE_EQ(o.rate, 1000);
  EXPECT_TRUE(o.preload);
  EXPECT_TRUE(o.read_through);
  EXPECT_EQ(o.protocol, Protocol::kBinary);
  EXPECT_EQ(o.seed, 7u);
  EXPECT_TRUE(o.json);
}

TEST(Options, FixedValueSizeSetsBothBounds) {
  const ParseResult r = parse({"--value-size", "102400", "--dist", "hot", "--hot-keys", "4"});
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.options.value_min, 102400u);
  EXPECT_EQ(r.options.value_max, 102400u);
  EXPECT_EQ(r.options.distribution, Distribution::kHot);
  EXPECT_EQ(r.options.hot_keys, 4u);
}

TEST(Options, HelpIsNotAnError) {
  const ParseResult r = parse({"-t", "2", "--help"});
  EXPECT_TRUE(r.help);
  EXPECT_FALSE(usage().empty());
}

struct BadCase {
  std::vector<const char*> args;
  const char* error_mentions;
};

TEST(Options, RejectsInvalidInput) {
  const std::vector<BadCase> cases = {
      {{"--bogus"}, "unknown option"},
      {{"stray"}, "unexpected argument"},
      {{"-t"}, "needs a value"},
      {{"-t", "x"}, "--threads"},
      {{"-t", "0"}, "--threads"},
      {{"-t", "4", "-c", "2"}, "--connections"},
      {{"-d", "0"}, "--depth"},
      {{"-s", "nohostport"}, "invalid server"},
      {{"-s", "host:99999"}, "invalid server"},
      {{"--value-size", "200-10"}, "--value-size"},
      {{"--value-size", "0"}, "--value-size"},
      {{"--get-ratio", "1.5"}, "--get-ratio"},
      {{"--dist", "normal"}, "--dist"},
      {{"--protocol", "udp"}, "--protocol"},
      {{"-k", "10000000", "--key-size", "5"}, "--key-size must be at least 8"},
      {{"--key-size", "251"}, "--key-size"},
      {{"--dist", "hot", "--hot-keys", "0"}, "--hot-keys"},
      {{"--duration", "0"}, "--duration"},
      {{"--theta", "-1"}, "--theta"},
      {{"--json=yes"}, "takes no value"},
      {{"--server-pid", "0"}, "--server-pid"},
      {{"--server-pid", "12,x"}, "--server-pid"},
      {{"--server-pid", "12,,13"}, "--server-pid"},
      {{"-s", "h:1,,h:2"}, "invalid server ''"},
  };
  for (const BadCase& c : cases) {
    std::vector<const char*> argv{"cuckood-load"};
    argv.insert(argv.end(), c.args.begin(), c.args.end());
    const ParseResult r = parse_options(static_cast<int>(argv.size()), argv.data());
    EXPECT_FALSE(r.ok) << c.args[0];
    EXPECT_NE(r.error.find(c.error_mentions), std::string::npos)
        << "error '" << r.error << "' should mention '" << c.error_mentions << "'";
  }
}

TEST(Options, ServerPidsAreAList) {
  const ParseResult none = parse({});
  ASSERT_TRUE(none.ok) << none.error;
  EXPECT_TRUE(none.options.server_pids.empty());
  const ParseResult one = parse({"--server-pid", "4242"});
  ASSERT_TRUE(one.ok) << one.error;
  EXPECT_EQ(one.options.server_pids, std::vector<int>{4242});
  const ParseResult two = parse({"--server-pid=17,23"});
  ASSERT_TRUE(two.ok) << two.error;
  EXPECT_EQ(two.options.server_pids, (std::vector<int>{17, 23}));
}

TEST(Options, BigmemWorkload) {
  const ParseResult r = parse({"--workload", "bigmem", "--records", "200", "-k", "70", "-c", "8",
                               "--append=meta", "--verify", "30"});
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.options.workload, Workload::kBigmem);
  EXPECT_EQ(r.options.records, 200u);
  EXPECT_EQ(r.options.bigmem_mode, BigmemMode::kMeta);
  EXPECT_EQ(r.options.verify, 30u);
  EXPECT_EQ(to_string(r.options.bigmem_mode), "meta");
  EXPECT_EQ(parse({}).options.workload, Workload::kMixed);
  EXPECT_EQ(parse({}).options.bigmem_mode, BigmemMode::kClassic);
  EXPECT_FALSE(parse({"--workload", "bigmem", "-k", "4", "-c", "8"}).ok);  // a key per lane
  EXPECT_FALSE(parse({"--workload", "bigmem", "--records", "0"}).ok);
  EXPECT_FALSE(parse({"--workload", "bigmem", "--protocol", "binary"}).ok);
  EXPECT_FALSE(parse({"--workload", "huge"}).ok);
  EXPECT_FALSE(parse({"--append", "sometimes"}).ok);
}

TEST(Options, TlsAndItsFiles) {
  ParseResult r = parse({"--tls"});
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_TRUE(r.options.tls.enabled);
  EXPECT_TRUE(r.options.tls.ca_file.empty());
  EXPECT_FALSE(parse({}).options.tls.enabled);

  r = parse({"--tls", "--tls-ca", "ca.pem", "--tls-cert=c.pem", "--tls-key", "c.key"});
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.options.tls.ca_file, "ca.pem");
  EXPECT_EQ(r.options.tls.cert_file, "c.pem");
  EXPECT_EQ(r.options.tls.key_file, "c.key");
}

TEST(Options, TlsRefusals) {
  EXPECT_EQ(parse({"--tls-ca", "ca.pem"}).error, "--tls-ca, --tls-cert and --tls-key need --tls");
  EXPECT_EQ(parse({"--tls", "--tls-cert", "c.pem"}).error, "--tls-cert and --tls-key go together");
  EXPECT_EQ(parse({"--tls", "--tls-key", "c.key"}).error, "--tls-cert and --tls-key go together");
  EXPECT_EQ(parse({"--tls", "--workload", "soak"}).error, "--tls runs the mixed workload only");
  EXPECT_EQ(parse({"--tls", "--workload", "bigmem", "-k", "4"}).error,
            "--tls runs the mixed workload only");
  EXPECT_EQ(parse({"--tls=1"}).error, "option --tls takes no value");
  EXPECT_EQ(parse({"--tls", "--tls-ca="}).error, "invalid value for --tls-ca: ''");
  EXPECT_NE(usage().find("--tls-ca FILE"), std::string_view::npos);
}

}  // namespace
}  // namespace cuckood::load
