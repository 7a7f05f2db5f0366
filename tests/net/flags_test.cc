// server/flags: every flag in its short, clustered and long spellings, size suffixes, and the
// errors (unknown flag → usage, bad value → one line).
#include "server/flags.h"

#include <gtest/gtest.h>

#include <initializer_list>
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
}

TEST(FlagsTest, HelpAndVersion) {
  EXPECT_EQ(parse({"-h"}).action, Options::Action::kHelp);
  EXPECT_EQ(parse({"--help"}).action, Options::Action::kHelp);
  EXPECT_EQ(parse({"-V"}).action, Options::Action::kVersion);
  EXPECT_EQ(parse({"--version"}).action, Options::Action::kVersion);
  const std::string text = usage("cuckood");
  for (const char* flag : {"-p,", "-l,", "-t,", "-m,", "-c,", "-I,", "-U,", "-A,", "-v,", "-h,",
                           "-V,", "--io=uring|epoll"}) {
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
           {"-p", "0"},
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
           {"-U", "11211"},
           {"-U", "x"},
           {"-l", ""},
           {"--io=kqueue"},
           {"--io"},
           {"--port=abc"},
           {"--port="},
           {"--enable-shutdown=1"},
           {"--debug-time=1"},
           {"-m", "2", "-I", "2m"},  // -I above half of -m, as memcached refuses
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

TEST(FlagsTest, UdpErrorIsClear) {
  try {
    parse({"-U", "11211"});
    FAIL();
  } catch (const FlagError& e) {
    EXPECT_NE(std::string(e.what()).find("UDP is not supported"), std::string::npos);
  }
}

TEST(FlagsTest, HelpDoesNotValidateItemSize) {
  EXPECT_EQ(parse({"-m", "2", "-I", "2m", "-h"}).action, Options::Action::kHelp);
}

}  // namespace
}  // namespace cuckood::server
