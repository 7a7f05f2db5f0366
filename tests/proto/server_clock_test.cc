// ServerClock: the wall clock, shifted, paused and resumed by `debugtime`; and the command,
// which only --debug-time allows.
#include "proto/server_clock.h"

#include <gtest/gtest.h>

#include "tests/proto/session_fixture.h"

namespace cuckood::proto {
namespace {

TEST(ServerClock, FollowsTheWallClockShiftedByDebugtime) {
  ServerClock clock;
  const cache::Time wall = cache::wall_clock_now();
  EXPECT_LE(clock.now() - wall, 1u);
  clock.shift(1000);
  EXPECT_LE(clock.now() - (wall + 1000), 1u);
  clock.shift(-400);
  EXPECT_LE(clock.now() - (wall + 600), 1u);
}

TEST(ServerClock, PauseHoldsTimeAndResumeRunsOnFromThere) {
  ServerClock clock;
  clock.shift(50);
  clock.pause();
  const cache::Time held = clock.now();
  clock.pause();  // twice is once
  clock.shift(30);
  EXPECT_EQ(clock.now(), held + 30);
  clock.resume();
  EXPECT_LE(clock.now() - (held + 30), 1u);
  clock.resume();  // not paused: nothing
  EXPECT_LE(clock.now() - (held + 30), 1u);
}

TEST(Debugtime, AnswersOkOnlyWithDebugTime) {
  testing::expect_response("debugtime 10\r\ndebugtime p\r\ndebugtime r\r\n",
                           "ERROR\r\nERROR\r\nERROR\r\n");
  Settings settings;
  settings.debug_time = true;
  testing::expect_response("debugtime 10\r\ndebugtime -3\r\ndebugtime p\r\ndebugtime r\r\n",
                           "OK\r\nOK\r\nOK\r\nOK\r\n", settings);
  testing::expect_response("debugtime x\r\ndebugtime\r\n", "ERROR\r\nERROR\r\n", settings);
}

TEST(Debugtime, MovesTheClockOfTheServerState) {
  Settings settings;
  settings.debug_time = true;
  testing::Env env(settings);
  const cache::Time before = env.server().clock.now();
  EXPECT_EQ(env.feed("debugtime 3600\r\n"), "OK\r\n");
  EXPECT_GE(env.server().clock.now(), before + 3600);
}

}  // namespace
}  // namespace cuckood::proto
