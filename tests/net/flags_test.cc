// server/flags: every flag of memcached 1.6.18 in its short, clustered and long spellings,
// every -o sub-option, the notices of flags without effect, size suffixes, and the errors
// (unknown flag → usage, bad value → one line, bad sub-option → memcached's words).
#include "server/flags.h"

#include <gtest/gtest.h>

#include <fstream>
#include <initializer_list>
#include <iterator>
#include <string>
#include <utility>
#include <vector>

namespace cuckood::server {
namespace {

Options parse(std::initializer_list<const char*> args) {
  const std::vector<const char*> v(args);
  return parse_flags(v);
}

bool shows_usage(std::initializer_list<const char*> args) {
  try {
    parse(args);
  } catch (const FlagError& e) {
    return e.show_usage();
  }
  ADD_FAILURE() << "no FlagError";
  return false;
}

TEST(FlagsTest, DefaultsAreMemcached) {
  const Options o = parse({});
  EXPECT_EQ(o.action, Options::Action::kRun);
  EXPECT_EQ(o.settings.port, 11211);
  EXPECT_EQ(o.settings.listen_address, "127.0.0.1");
  EXPECT_EQ(o.settings.threads, 4);
  EXPECT_EQ(o.settings.memory_limit, size_t{64} << 20);
  EXPECT_EQ(o.settings.max_connections, 1024);
  EXPECT_EQ(o.settings.max_item_size, size_t{1} << 20);
  EXPECT_EQ(o.settings.udp_port, 0);
  EXPECT_FALSE(o.settings.allow_shutdown);
  EXPECT_EQ(o.settings.io_engine, "uring");
  EXPECT_EQ(o.verbosity, 0);
}

TEST(FlagsTest, EveryShortFlag) {
  const Options o = parse({"-p", "12345", "-l", "0.0.0.0", "-t", "2", "-m", "128", "-c", "10", "-I",
                           "2m", "-U", "0", "-A", "-v"});
  EXPECT_EQ(o.settings.port, 12345);
  EXPECT_EQ(o.settings.listen_address, "0.0.0.0");
  EXPECT_EQ(o.settings.threads, 2);
  EXPECT_EQ(o.settings.memory_limit, size_t{128} << 20);
  EXPECT_EQ(o.settings.max_connections, 10);
  EXPECT_EQ(o.settings.max_item_size, size_t{2} << 20);
  EXPECT_TRUE(o.settings.allow_shutdown);
  EXPECT_EQ(o.verbosity, 1);
}

TEST(FlagsTest, AttachedValuesAndClusters) {
  const Options o = parse({"-p12345", "-vv", "-vAt3"});
  EXPECT_EQ(o.settings.port, 12345);
  EXPECT_EQ(o.verbosity, 3);
  EXPECT_TRUE(o.settings.allow_shutdown);
  EXPECT_EQ(o.settings.threads, 3);
}

TEST(FlagsTest, LongFlagsWithEqualsOrSeparateValue) {
  const Options o = parse({"--port=2000", "--listen", "::1", "--threads=8", "--memory-limit=32",
                           "--conn-limit=99", "--max-item-size=512k", "--udp-port=0",
                           "--enable-shutdown", "--verbose", "--io=epoll"});
  EXPECT_EQ(o.settings.port, 2000);
  EXPECT_EQ(o.settings.listen_address, "::1");
  EXPECT_EQ(o.settings.threads, 8);
  EXPECT_EQ(o.settings.memory_limit, size_t{32} << 20);
  EXPECT_EQ(o.settings.max_connections, 99);
  EXPECT_EQ(o.settings.max_item_size, size_t{512} << 10);
  EXPECT_TRUE(o.settings.allow_shutdown);
  EXPECT_EQ(o.verbosity, 1);
  EXPECT_EQ(o.settings.io_engine, "epoll");
  EXPECT_EQ(parse({"--io", "uring"}).settings.io_engine, "uring");
  EXPECT_FALSE(o.settings.debug_time);
  EXPECT_TRUE(parse({"--debug-time"}).settings.debug_time);
  EXPECT_FALSE(o.no_huge_pages);
  EXPECT_TRUE(parse({"--no-huge-pages"}).no_huge_pages);
}

TEST(FlagsTest, HelpAndVersion) {
  EXPECT_EQ(parse({"-h"}).action, Options::Action::kHelp);
  EXPECT_EQ(parse({"--help"}).action, Options::Action::kHelp);
  EXPECT_EQ(parse({"-V"}).action, Options::Action::kVersion);
  EXPECT_EQ(parse({"--version"}).action, Options::Action::kVersion);
  const std::string text = usage("cuckood");
  for (const char* flag : {"-p,", "-l,", "-t,", "-m,", "-c,", "-I,", "-U,", "-A,", "-v,", "-h,",
                           "-V,", "-o,", "-i,", "--io=uring|epoll"}) {
    EXPECT_NE(text.find(flag), std::string::npos) << flag;
  }
}

TEST(FlagsTest, SizeSuffixes) {
  EXPECT_EQ(parse_size("-I", "2048"), 2048u);
  EXPECT_EQ(parse_size("-I", "4k"), 4096u);
  EXPECT_EQ(parse_size("-I", "4K"), 4096u);
  EXPECT_EQ(parse_size("-I", "3m"), size_t{3} << 20);
  EXPECT_EQ(parse_size("-I", "1G"), size_t{1} << 30);
  EXPECT_THROW(parse_size("-I", ""), FlagError);
  EXPECT_THROW(parse_size("-I", "m"), FlagError);
  EXPECT_THROW(parse_size("-I", "1x"), FlagError);
  EXPECT_THROW(parse_size("-I", "-1k"), FlagError);
  EXPECT_THROW(parse_size("-I", "99999999999999999999k"), FlagError);
}

TEST(FlagsTest, UnknownFlagsShowUsage) {
  EXPECT_TRUE(shows_usage({"-x"}));
  EXPECT_TRUE(shows_usage({"-vx"}));
  EXPECT_TRUE(shows_usage({"--bogus"}));
  EXPECT_TRUE(shows_usage({"--bogus=1"}));
  EXPECT_TRUE(shows_usage({"stray"}));
  EXPECT_TRUE(shows_usage({"-"}));
}

TEST(FlagsTest, BadValuesAreOneLineErrors) {
  for (const auto& args : std::vector<std::vector<const char*>>{
           {"-p", "65536"},
           {"-p", "http"},
           {"-p"},
           {"-t", "0"},
           {"-t", "1000"},
           {"-m", "0"},
           {"-c", "0"},
           {"-c", "-5"},
           {"-I", "512"},
           {"-I", "2g"},
           {"-I", "1z"},
           {"-U", "70000"},
           {"-U", "x"},
           {"-l", ""},
           {"--io=kqueue"},
           {"--io"},
           {"--port=abc"},
           {"--port="},
           {"--enable-shutdown=1"},
           {"--debug-time=1"},
           {"--no-huge-pages=1"},
           {"-m", "2", "-I", "2m"},  // -I above half of -m, as memcached refuses
           {"-m", "x"},              // atoi's 0
           {"-R", "0"},
           {"-B", "http"},
           {"-D", ""},
           {"-a", "9"},
           {"-b", "0"},
           {"-f", "1"},
           {"-n", "0"},
           {"-N", "0"},
           {"-s", ""},
           {"-u", ""},
           {"-P", ""},
           {"-l", "127.0.0.1:x"},
           {"-l", "[::1"},
           {"--verbose=2", "--io"},
       }) {
    try {
      parse_flags(args);
      ADD_FAILURE() << "accepted: " << args[0];
    } catch (const FlagError& e) {
      EXPECT_FALSE(e.show_usage()) << args[0];
      EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos);
    }
  }
}

TEST(FlagsTest, UdpPort) {
  const Options o = parse({"-U", "11211", "-p", "5"});
  EXPECT_EQ(o.settings.udp_port, 11211);
  EXPECT_EQ(o.settings.port, 5);
  EXPECT_TRUE(o.notices.empty());
  EXPECT_EQ(parse({"-U", "0"}).settings.udp_port, 0);
  EXPECT_EQ(parse({"--udp-port=-1"}).settings.udp_port, -1);
  // As memcached: a UDP port without -p moves the TCP port there too; -U 0 does not.
  EXPECT_EQ(parse({"-U", "4000"}).settings.port, 4000);
  EXPECT_EQ(parse({"-U", "-1"}).settings.port, -1);
  EXPECT_EQ(parse({"-U", "0"}).settings.port, 11211);
}

// memcached refuses UDP next to authentication, with its words and EX_USAGE; -U 0 is fine.
TEST(FlagsTest, PortZeroIsOffAndMinusOneIsAnyFreePort) {
  EXPECT_EQ(parse({"-p", "0"}).settings.port, 0);
  EXPECT_EQ(parse({"-p", "-1"}).settings.port, -1);
  EXPECT_THROW(parse({"-p", "-2"}), FlagError);
}

// Every flag of `memcached -h` (1.6.18), short and long, with a value memcached takes, except
// -Z, which needs certificates to start, and -S, which excludes the ascii protocol these lines
// fix (both below).
TEST(FlagsTest, EveryMemcachedFlagIsAccepted) {
  const std::vector<std::vector<const char*>> lines = {
      {"-p", "1",         "-U", "0",        "-s", "/tmp/s", "-a", "755",  "-A",
       "-l", "127.0.0.1", "-d", "-r",       "-u", "nobody", "-m", "64",   "-M",
       "-c", "10",        "-k", "-v",       "-P", "/tmp/p", "-f", "1.25", "-n",
       "48", "-L",        "-D", ":",        "-t", "2",      "-R", "5",    "-C",
       "-b", "10",        "-B", "ascii",    "-I", "1m",     "-F", "-X",   "-W",
       "-Y", "/tmp/auth", "-e", "/tmp/mem", "-o", "modern", "-N", "1"},
      {"--port=1",
       "--udp-port=0",
       "--unix-socket=/tmp/s",
       "--unix-mask=755",
       "--enable-shutdown",
       "--listen=127.0.0.1",
       "--daemon",
       "--enable-coredumps",
       "--user=nobody",
       "--memory-limit=64",
       "--disable-evictions",
       "--conn-limit=10",
       "--lock-memory",
       "--verbose",
       "--pidfile=/tmp/p",
       "--slab-growth-factor=1.25",
       "--slab-min-size=48",
       "--enable-largepages",
       "--threads=2",
       "--max-reqs-per-event=5",
       "--disable-cas",
       "--listen-backlog=10",
       "--protocol=ascii",
       "--max-item-size=1m",
       "--disable-flush-all",
       "--disable-dumping",
       "--disable-watch",
       "--auth-file=/tmp/auth",
       "--memory-file=/tmp/mem",
       "--extended=modern",
       "--napi-ids=1"},
  };
  for (const auto& line : lines) {
    const Options o = parse_flags(line);
    const proto::Settings& s = o.settings;
    EXPECT_EQ(s.port, 1);
    EXPECT_EQ(s.unix_socket, "/tmp/s");
    EXPECT_EQ(s.unix_mask, 0755);
    EXPECT_TRUE(s.allow_shutdown);
    EXPECT_TRUE(o.daemonize);
    EXPECT_TRUE(o.raise_core_limit);
    EXPECT_EQ(o.user, "nobody");
    EXPECT_FALSE(s.evictions);
    EXPECT_EQ(s.max_connections, 10);
    EXPECT_TRUE(o.lock_memory);
    EXPECT_EQ(o.verbosity, 1);
    EXPECT_EQ(o.pid_file, "/tmp/p");
    EXPECT_TRUE(o.large_pages);
    EXPECT_EQ(s.threads, 2);
    EXPECT_EQ(s.reqs_per_event, 5);
    EXPECT_FALSE(s.cas_enabled);
    EXPECT_EQ(s.backlog, 10);
    EXPECT_FALSE(s.flush_enabled);
    EXPECT_FALSE(s.dump_enabled);
    EXPECT_EQ(s.auth_file, "/tmp/auth");
    EXPECT_EQ(s.binding_protocol, proto::BindingProtocol::kAscii);
    EXPECT_FALSE(s.watch_enabled);
    EXPECT_EQ(s.growth_factor, 1.25);
    EXPECT_EQ(s.chunk_size, 48);
    // -e -N: one notice each (-f, -n and -o modern have effect).
    EXPECT_EQ(o.notices.size(), 2u);
  }
}

TEST(FlagsTest, NoEffectFlagsSayWhyOnceEach) {
  const Options o = parse({"-N", "1", "-N", "2", "-o", "lru_crawler_sleep=5,lru_crawler_sleep=5"});
  ASSERT_EQ(o.notices.size(), 2u);
  EXPECT_NE(o.notices[0].find("-N: accepted, no effect in cuckood"), std::string::npos);
  EXPECT_NE(o.notices[1].find("-o lru_crawler_sleep: accepted, no effect"), std::string::npos);
}

// -S fixes the protocol to binary and refuses ascii, auto-negotiation and UDP, as memcached
// does; -h offers it (memcached's t/binary-sasl.t reads -h to learn SASL is built in).
TEST(FlagsTest, SaslIsBinaryOnly) {
  for (const char* flag : {"-S", "--enable-sasl"}) {
    const proto::Settings s = parse({flag}).settings;
    EXPECT_TRUE(s.sasl);
    EXPECT_EQ(s.binding_protocol, proto::BindingProtocol::kBinary);
  }
  EXPECT_FALSE(parse({}).settings.sasl);
  EXPECT_TRUE(parse({"-S", "-B", "binary", "-U", "0"}).settings.sasl);
  const std::vector<std::vector<const char*>> refused = {
      {"-S", "-B", "auto"}, {"-S", "-B", "ascii"}, {"-B", "binary", "-B", "ascii", "-S"}};
  for (const auto& line : refused) {
    try {
      parse_flags(line);
      ADD_FAILURE() << "-S with ascii accepted";
    } catch (const FlagError& e) {
      EXPECT_STREQ(e.what(), "ERROR: You cannot allow the ASCII protocol while using SASL.");
      EXPECT_EQ(e.exit_status(), 64);
    }
  }
  try {
    parse({"-S", "-U", "11211"});
    ADD_FAILURE() << "-U accepted";
  } catch (const FlagError& e) {
    EXPECT_STREQ(e.what(), "ERROR: Cannot enable UDP while using binary SASL authentication.");
    EXPECT_EQ(e.exit_status(), 64);
  }
  // memcached: -S does not count as naming the protocol, so -Y next to it fixes ascii.
  EXPECT_EQ(parse({"-S", "-Y", "/tmp/auth"}).settings.binding_protocol,
            proto::BindingProtocol::kAscii);
  EXPECT_NE(usage("cuckood").find("-S, --enable-sasl"), std::string::npos);
}

// -Y fixes the protocol to ascii and refuses binary and UDP, as memcached does.
TEST(FlagsTest, AuthFileIsTextOnly) {
  EXPECT_EQ(parse({"-Y", "/tmp/auth"}).settings.binding_protocol, proto::BindingProtocol::kAscii);
  EXPECT_EQ(parse({"-Y", "/tmp/auth", "-B", "ascii"}).settings.auth_file, "/tmp/auth");
  for (const char* protocol : {"binary", "auto"}) {
    try {
      parse({"-Y", "/tmp/auth", "-B", protocol});
      ADD_FAILURE() << protocol << " accepted";
    } catch (const FlagError& e) {
      EXPECT_STREQ(e.what(),
                   "ERROR: You cannot allow the BINARY protocol while using ascii "
                   "authentication tokens.");
      EXPECT_EQ(e.exit_status(), 64);
    }
  }
  try {
    parse({"-Y", "/tmp/auth", "-U", "11211"});
    ADD_FAILURE() << "-U accepted";
  } catch (const FlagError& e) {
    EXPECT_STREQ(e.what(), "Cannot use UDP with ascii authentication enabled (-U 0 to disable)");
  }
  EXPECT_EQ(parse({"-Y", "/tmp/auth", "-U", "0"}).settings.udp_port, 0);
}

TEST(FlagsTest, SizeClassAndCrawlerOptions) {
  Options o = parse({"-f", "2", "-n", "100", "-o", "slab_chunk_max=4096,no_lru_crawler"});
  EXPECT_EQ(o.settings.growth_factor, 2.0);
  EXPECT_EQ(o.settings.chunk_size, 100);
  EXPECT_EQ(o.settings.slab_chunk_max, 4096);
  EXPECT_FALSE(o.settings.lru_crawler);
  EXPECT_TRUE(o.notices.empty());
  // no_modern: crawler off and a whole page for the largest class, unless given before.
  o = parse({"-o", "no_modern,lru_crawler"});
  EXPECT_TRUE(o.settings.lru_crawler);
  EXPECT_EQ(o.settings.slab_chunk_max, 1 << 20);
  o = parse({"-o", "slab_chunk_max=2048,no_modern"});
  EXPECT_FALSE(o.settings.lru_crawler);
  EXPECT_EQ(o.settings.slab_chunk_max, 2048);
  o = parse({"-o", "lru_crawler_sleep=7,lru_crawler_tocrawl=9,no_chunked_items"});
  EXPECT_EQ(o.settings.lru_crawler_sleep, 7u);
  EXPECT_EQ(o.settings.lru_crawler_tocrawl, 9u);
  EXPECT_EQ(o.settings.slab_chunk_max, 1 << 20);
}

// They choose which of memcached's `stats` keys appear (memcached prints the slab mover's and
// the LRU maintainer's figures only while they are on).
TEST(FlagsTest, SlabReassignAndLruMaintainerFlags) {
  Options o = parse({});
  EXPECT_TRUE(o.settings.slab_reassign);
  EXPECT_TRUE(o.settings.lru_maintainer);
  o = parse({"-o", "no_slab_reassign,no_lru_maintainer"});
  EXPECT_FALSE(o.settings.slab_reassign);
  EXPECT_FALSE(o.settings.lru_maintainer);
  o = parse({"-o", "no_modern,slab_reassign"});
  EXPECT_TRUE(o.settings.slab_reassign);
  EXPECT_FALSE(o.settings.lru_maintainer);
}

TEST(FlagsTest, ImplementedFlagsLeaveNoNotice) {
  const Options o = parse({"-d",
                           "-u",
                           "nobody",
                           "-m",
                           "64",
                           "-p",
                           "11211",
                           "-U",
                           "0",
                           "-l",
                           "127.0.0.1,::1",
                           "-c",
                           "1024",
                           "-P",
                           "/run/cuckood.pid",
                           "-k",
                           "-r",
                           "-L",
                           "-D",
                           "#",
                           "-R",
                           "3",
                           "-b",
                           "5",
                           "-B",
                           "binary",
                           "-a",
                           "600",
                           "-o",
                           "idle_timeout=5,hashpower=16",
                           "-M",
                           "-C",
                           "-F",
                           "-X"});
  EXPECT_TRUE(o.notices.empty());
  EXPECT_EQ(o.settings.listen_address, "127.0.0.1,::1");
  EXPECT_EQ(o.settings.detail_delimiter, '#');
  EXPECT_TRUE(o.settings.detail_enabled);
  EXPECT_EQ(o.settings.binding_protocol, proto::BindingProtocol::kBinary);
  EXPECT_EQ(o.settings.unix_mask, 0600);
  EXPECT_EQ(o.settings.idle_timeout, 5);
  EXPECT_EQ(o.settings.hashpower_init, 16);
}

TEST(FlagsTest, RepeatedListenJoinsLikeMemcached) {
  EXPECT_EQ(parse({"-l", "127.0.0.1", "-l", "::1", "-l", "127.0.0.1"}).settings.listen_address,
            "127.0.0.1,::1");
  EXPECT_EQ(parse({"-l", "10.0.0.1:5;10.0.0.2"}).settings.listen_address, "10.0.0.1:5;10.0.0.2");
  EXPECT_EQ(parse({}).settings.listen_address, "127.0.0.1");
}

TEST(FlagsTest, MemoryLimitReadAsAtoi) {
  EXPECT_EQ(parse({"-m", "64m"}).settings.memory_limit, size_t{64} << 20);
  EXPECT_EQ(parse({"-m", " 128"}).settings.memory_limit, size_t{128} << 20);
  EXPECT_EQ(parse({"-m", "2048"}).settings.memory_limit, size_t{2048} << 20);
}

TEST(FlagsTest, ProtocolAndVerbosity) {
  EXPECT_EQ(parse({"-B", "ascii"}).settings.binding_protocol, proto::BindingProtocol::kAscii);
  EXPECT_EQ(parse({"-B", "auto"}).settings.binding_protocol, proto::BindingProtocol::kAuto);
  EXPECT_EQ(parse({"--protocol=binary"}).settings.binding_protocol,
            proto::BindingProtocol::kBinary);
  EXPECT_EQ(parse({"-vvv"}).verbosity, 3);
  EXPECT_EQ(parse({"--verbose=2"}).verbosity, 1);  // memcached ignores the argument
  EXPECT_EQ(parse({"-i"}).action, Options::Action::kLicense);
  EXPECT_EQ(parse({"--license"}).action, Options::Action::kLicense);
}

// A bad -o sub-option: memcached's words, verbatim, and its exit status 1.
void expect_sub_option_error(const char* value, const std::string& message) {
  try {
    parse({"-o", value});
    ADD_FAILURE() << "accepted -o " << value;
  } catch (const FlagError& e) {
    EXPECT_TRUE(e.memcached_style()) << value;
    EXPECT_EQ(e.exit_status(), 1) << value;
    EXPECT_EQ(std::string(e.what()), message) << value;
  }
}

// -Z and -o ssl_*: memcached's values, refusals and exit statuses; -h offers them.
TEST(FlagsTest, TlsSettings) {
  for (const char* flag : {"-Z", "--enable-ssl"}) {
    EXPECT_TRUE(parse({flag}).settings.tls.enabled) << flag;
  }
  EXPECT_FALSE(parse({}).settings.tls.enabled);
  const proto::TlsSettings tls =
      parse({"-Z", "-o",
             "ssl_chain_cert=/c.pem,ssl_key=/k.pem,ssl_verify_mode=3,ssl_keyformat=2,"
             "ssl_ciphers=HIGH,ssl_ca_cert=/ca.pem,ssl_wbuf_size=32,ssl_session_cache,"
             "ssl_min_version=3"})
          .settings.tls;
  EXPECT_EQ(tls.chain_cert, "/c.pem");
  EXPECT_EQ(tls.key, "/k.pem");
  EXPECT_EQ(tls.verify_mode, 3);
  EXPECT_EQ(tls.keyformat, 2);
  EXPECT_EQ(tls.ciphers, "HIGH");
  EXPECT_EQ(tls.ca_cert, "/ca.pem");
  EXPECT_EQ(tls.wbuf_size, 32u << 10);
  EXPECT_TRUE(tls.session_cache);
  EXPECT_EQ(tls.min_version, 3);
  const proto::TlsSettings defaults = parse({"-Z"}).settings.tls;
  EXPECT_EQ(defaults.min_version, 2);  // tlsv1.2
  EXPECT_EQ(defaults.wbuf_size, 16u << 10);
  EXPECT_EQ(defaults.keyformat, 1);  // PEM

  expect_sub_option_error("ssl_verify_mode=4",
                          "Invalid ssl_verify_mode. Use help to see valid options.");
  expect_sub_option_error("ssl_min_version=-1",
                          "Invalid ssl_min_version. Use help to see valid options.");
  expect_sub_option_error("ssl_min_version=x", "could not parse argument to ssl_min_version");
  auto refusal = [](std::initializer_list<const char*> args) -> std::pair<std::string, int> {
    try {
      parse(args);
    } catch (const FlagError& e) {
      return {e.what(), e.exit_status()};
    }
    return {"", 0};
  };
  EXPECT_EQ(refusal({"-Z", "-p", "0"}),
            std::make_pair(std::string("ERROR: You cannot enable SSL without a TCP port."), 64));
  EXPECT_EQ(refusal({"-l", "notls:127.0.0.1"}),
            std::make_pair(std::string("'notls' option is valid only when SSL is enabled\n"
                                       "failed to listen on one of interface(s) "
                                       "notls:127.0.0.1: Success"),
                           71));
  EXPECT_EQ(refusal({"-Z", "-l", "notls:127.0.0.1:11212,127.0.0.1"}).second, 0);
  const std::string help = usage("cuckood");
  for (const char* word : {"-Z, --enable-ssl", "- ssl_chain_cert", "- ssl_min_version", "notls"}) {
    EXPECT_NE(help.find(word), std::string::npos) << word;
  }
}

TEST(FlagsTest, SubOptionsAsMemcached) {
  expect_sub_option_error("foo", "Illegal suboption \"foo\"");
  expect_sub_option_error("modern,foo=1", "Illegal suboption \"foo=1\"");
  expect_sub_option_error("proxy_config=x", "Illegal suboption \"proxy_config=x\"");
  expect_sub_option_error("hashpower", "Missing numeric argument for hashpower");
  expect_sub_option_error("hashpower=11", "Initial hashtable multiplier of 11 is too low");
  expect_sub_option_error("idle_timeout", "Missing numeric argument for idle_timeout");
  expect_sub_option_error("idle_timeout=x", "could not parse argument to idle_timeout");
  expect_sub_option_error("hash_algorithm=md5",
                          "Unknown hash_algorithm option (jenkins, murmur3, xxh3)");
  expect_sub_option_error("ssl_chain_cert", "Missing ssl_chain_cert argument");
  expect_sub_option_error("slab_automove=3", "slab_automove must be between 0 and 2");
  try {
    parse({"-o", "hashpower=33"});
    ADD_FAILURE();
  } catch (const FlagError& e) {
    EXPECT_TRUE(
        std::string(e.what()).starts_with("Initial hashtable multiplier of 33 is too high"));
  }
  const Options o = parse({"-o", "hashpower=12,idle_timeout=3", "-o", "hashpower=20"});
  EXPECT_EQ(o.settings.hashpower_init, 20);
  EXPECT_EQ(o.settings.idle_timeout, 3);
  EXPECT_TRUE(o.notices.empty());
  // What memcached's own test suite passes, and every sub-option memcached lists.
  const Options suite = parse(
      {"-o", "relaxed_privileges", "-o",
       "ext_page_size=8,ext_wbuf_size=2,ext_threads=1,ext_io_depth=2,ext_item_size=512,"
       "ext_item_age=2,ext_recache_rate=10000,ext_max_frag=0,ext_path=/tmp/x:64m,"
       "slab_automove=0,ext_compact_under=1,no_lru_crawler,slab_chunk_max=16384,"
       "watcher_logbuf_size=8,slab_reassign,slab_automove,lru_crawler,lru_maintainer,"
       "slab_automove_window=3,temporary_ttl=61,read_buf_mem_limit=1,no_modern,"
       "ssl_min_version=3,ssl_verify_mode=2,ssl_ca_cert=/x,ssl_wbuf_size=64,ssl_session_cache,"
       "maxconns_fast,no_hashexpand,tail_repair_time=30,hash_algorithm=xxh3,"
       "lru_crawler_sleep=100,lru_crawler_tocrawl=0,hot_lru_pct=20,warm_lru_pct=40,"
       "hot_max_factor=0.2,warm_max_factor=2.0,worker_logbuf_size=64,track_sizes,"
       "no_inline_ascii_resp,inline_ascii_resp,modern,no_chunked_items,no_slab_reassign,"
       "no_slab_automove,no_maxconns_fast,no_lru_maintainer,no_drop_privileges,"
       "drop_privileges,resp_obj_mem_limit,sock_cookie_id=1,ssl_key=/k,ssl_keyformat=0,"
       "ssl_ciphers=x,ssl_kernel_tls,slab_sizes=100-200,ext_low_ttl=60,ext_drop_under=1,"
       "ext_max_sleep=100000,ext_drop_unread,slab_automove_ratio=0.5,"
       "slab_automove_freeratio=0.01"});
  EXPECT_GT(suite.notices.size(), 40u);
  EXPECT_TRUE(parse({"-o", ""}).notices.empty());
}

TEST(FlagsTest, UsageAndReadmeTableComeFromTheSameRows) {
  const std::string text = usage("cuckood");
  const std::string table = flag_tables_markdown();
  for (const char* flag : {"-p, --port", "-D <char>", "-Y, --auth-file", "- idle_timeout",
                           "- ext_*", "--io=uring|epoll"}) {
    EXPECT_NE(text.find(flag), std::string::npos) << flag;
  }
  // No extstore here: memcached's t/ suite reads ext_path in -h as "extstore built in".
  EXPECT_EQ(text.find("ext_path"), std::string::npos);
  EXPECT_NE(table.find("| `-p <num>` | `--port=<num>` | implemented |"), std::string::npos);
  EXPECT_NE(table.find("| `-Z` | `--enable-ssl` | implemented | enable TLS/SSL |"),
            std::string::npos);
  EXPECT_NE(table.find("| `idle_timeout` | implemented |"), std::string::npos);
#ifdef CUCKOOD_SOURCE_DIR
  std::ifstream readme(std::string(CUCKOOD_SOURCE_DIR) + "/README.md");
  const std::string text_of_readme((std::istreambuf_iterator<char>(readme)),
                                   std::istreambuf_iterator<char>());
  EXPECT_NE(text_of_readme.find(table), std::string::npos)
      << "README.md's flag tables differ from server/flag_table.cc; paste this:\n"
      << table;
#endif
}

TEST(FlagsTest, WatcherBufferInKilobytes) {
  EXPECT_EQ(parse({}).settings.watcher_logbuf_size, size_t{256} << 10);
  EXPECT_EQ(parse({"-o", "watcher_logbuf_size=8"}).settings.watcher_logbuf_size, size_t{8} << 10);
  EXPECT_TRUE(parse({}).settings.watch_enabled);
}

TEST(FlagsTest, HelpDoesNotValidateItemSize) {
  EXPECT_EQ(parse({"-m", "2", "-I", "2m", "-h"}).action, Options::Action::kHelp);
}

}  // namespace
}  // namespace cuckood::server
