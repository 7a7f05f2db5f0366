#include "bench/load/server_cpu.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <string>

namespace cuckood::load {
namespace {

// Fields 3..13 between the command name and utime, as a real /proc/PID/stat has them.
constexpr std::string_view kMiddle = " S 1 4242 4242 0 -1 4194560 1234 0 0 0 ";

TEST(ServerCpu, ParsesUtimeAndStime) {
  const std::string text = "4242 (cuckood)" + std::string(kMiddle) + "1500 250 0 0 20 0 1 0\n";
  const auto ticks = parse_proc_stat(text);
  ASSERT_TRUE(ticks.has_value());
  EXPECT_EQ(ticks->user, 1500u);
  EXPECT_EQ(ticks->system, 250u);
}

TEST(ServerCpu, CommandNameMayHoldSpacesAndParentheses) {
  const std::string text = "7 (a) b (c) 9)" + std::string(kMiddle) + "31 7 0 0\n";
  const auto ticks = parse_proc_stat(text);
  ASSERT_TRUE(ticks.has_value());
  EXPECT_EQ(ticks->user, 31u);
  EXPECT_EQ(ticks->system, 7u);
}

TEST(ServerCpu, RejectsMalformedText) {
  EXPECT_FALSE(parse_proc_stat("").has_value());
  EXPECT_FALSE(parse_proc_stat("4242 cuckood S 1 2 3").has_value()) << "no ')'";
  EXPECT_FALSE(parse_proc_stat("4242 (cuckood) S 1 2 3\n").has_value()) << "too few fields";
  EXPECT_FALSE(parse_proc_stat("1 (x)" + std::string(kMiddle) + "12a 3").has_value());
  EXPECT_FALSE(parse_proc_stat("1 (x)" + std::string(kMiddle) + "-1 3").has_value());
  EXPECT_FALSE(parse_proc_stat("1 (x)" + std::string(kMiddle) + "12").has_value())
      << "stime missing";
}

TEST(ServerCpu, ReadsARunningProcessAndSumsPids) {
  std::string error;
  const auto before = read_cpu_ticks({getpid()}, error);
  ASSERT_TRUE(before.has_value()) << error;
  // Spin until the kernel has charged this process at least one more tick.
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  std::optional<CpuTicks> after = before;
  volatile uint64_t sink = 0;
  while (after->user + after->system == before->user + before->system &&
         std::chrono::steady_clock::now() < give_up) {
    for (int i = 0; i < 1000000; ++i) sink = sink + static_cast<uint64_t>(i);
    after = read_cpu_ticks({getpid()}, error);
    ASSERT_TRUE(after.has_value()) << error;
  }
  EXPECT_GT(after->user + after->system, before->user + before->system);

  const auto twice = read_cpu_ticks({getpid(), getpid()}, error);
  ASSERT_TRUE(twice.has_value()) << error;
  EXPECT_GE(twice->user, 2 * after->user);
  EXPECT_GE(twice->system, 2 * after->system);
}

TEST(ServerCpu, NamesTheProcessItCannotRead) {
  std::string error;
  // Above the kernel's pid_max limit (2^22), so no process has it.
  EXPECT_FALSE(read_cpu_ticks({getpid(), 99999999}, error).has_value());
  EXPECT_NE(error.find("99999999"), std::string::npos) << error;
}

TEST(ServerCpu, PerRequestAndUserShare) {
  const ServerCpu cpu = cpu_between({100, 40}, {250, 90}, 100);
  EXPECT_TRUE(cpu.measured);
  EXPECT_DOUBLE_EQ(cpu.user_seconds, 1.5);
  EXPECT_DOUBLE_EQ(cpu.system_seconds, 0.5);
  EXPECT_DOUBLE_EQ(cpu.total_seconds(), 2.0);
  EXPECT_DOUBLE_EQ(cpu.us_per_request(1'000'000), 2.0);
  EXPECT_DOUBLE_EQ(cpu.user_share(), 0.75);
  EXPECT_DOUBLE_EQ(cpu.us_per_request(0), 0.0) << "no requests: no figure, not a division by 0";

  const ServerCpu idle = cpu_between({5, 5}, {5, 5}, 100);
  EXPECT_DOUBLE_EQ(idle.user_share(), 0.0);
  EXPECT_DOUBLE_EQ(idle.us_per_request(10), 0.0);
  EXPECT_FALSE(ServerCpu{}.measured);
}

}  // namespace
}  // namespace cuckood::load
