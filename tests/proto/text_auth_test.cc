// The -Y gate as a Session applies it (proto/text_auth.h), at every split of the input.
#include "proto/text_auth.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "tests/proto/session_fixture.h"

namespace cuckood::proto::testing {
namespace {

Settings auth_settings() {
  Settings s;
  s.auth_file = "/unused/authfile";
  s.binding_protocol = BindingProtocol::kAscii;
  return s;
}

class AuthEnv : public Env {
 public:
  AuthEnv() : Env(auth_settings()) { server().auth_file.load_text("foo:bar\nbaaaz:quux\n"); }
};

void expect_auth_response(std::string_view input, std::string_view expected) {
  for (size_t split : kSplitSizes) {
    AuthEnv env;
    EXPECT_EQ(env.feed(input, split), expected) << "split size " << split;
  }
}

TEST(TextAuth, EveryCommandIsRefusedUntilAuthenticated) {
  // A set is an attempt: its data block is read as the credentials.
  expect_auth_response("set foo 0 0 2\r\nhi\r\nget foo\r\nversion\r\ndelete foo\r\n",
                       "CLIENT_ERROR bad authentication token format\r\n"
                       "CLIENT_ERROR unauthenticated\r\n"
                       "CLIENT_ERROR unauthenticated\r\n"
                       "CLIENT_ERROR unauthenticated\r\n");
}

TEST(TextAuth, AWrongPasswordFailsAndTheRightOneServesTheRest) {
  expect_auth_response(
      "set foo 0 0 7\r\nfoo bab\r\nset any 1 2 7\r\nfoo bar\r\nset toast 0 0 2\r\nhi\r\n"
      "get toast\r\n",
      "CLIENT_ERROR authentication failure\r\nSTORED\r\nSTORED\r\nVALUE toast 0 "
      "2\r\nhi\r\nEND\r\n");
}

TEST(TextAuth, AttemptsAndFailuresAreCounted) {
  AuthEnv env;
  env.feed("set a 0 0 7\r\nfoo bab\r\nget x\r\nset a 0 0 10\r\nbaaaz quux\r\n");
  EXPECT_EQ(env.worker().stats.auth_cmds.load(), 2u);
  EXPECT_EQ(env.worker().stats.auth_errors.load(), 1u);
}

TEST(TextAuth, MalformedCredentialBlocks) {
  expect_auth_response("set a 0 0 3\r\nfoo\r\n",
                       "CLIENT_ERROR bad authentication token format\r\n");
  expect_auth_response("set a 0 0 7\r\nfoo barXY", "CLIENT_ERROR bad command line termination\r\n");
  expect_auth_response("set a 0 0\r\nset a 0 0 x\r\nget a 0 0 7\r\n",
                       "CLIENT_ERROR unauthenticated\r\nCLIENT_ERROR unauthenticated\r\n"
                       "CLIENT_ERROR unauthenticated\r\n");
}

TEST(TextAuth, AnOverLongBlockIsDiscardedAsItArrives) {
  const std::string block(TextAuth::kMaxCredentials * 3, 'x');
  const std::string input = "set a 0 0 " + std::to_string(block.size()) + "\r\n" + block +
                            "\r\nset a 0 0 7\r\nfoo bar\r\n";
  for (size_t split : kSplitSizes) {
    AuthEnv env;
    EXPECT_EQ(env.feed(input, split), "CLIENT_ERROR authentication failure\r\nSTORED\r\n")
        << "split size " << split;
    EXPECT_LT(env.pending().size(), TextAuth::kMaxCredentials) << "split size " << split;
  }
}

TEST(TextAuth, ALongLineWithoutNewlineCloses) {
  AuthEnv env;
  EXPECT_EQ(env.feed(std::string(3000, 'a')), "");
  EXPECT_TRUE(env.session().should_close());
}

TEST(TextAuth, WithoutAuthFileNothingIsGated) {
  Env env;
  EXPECT_EQ(env.feed("set foo 0 0 2\r\nhi\r\n"), "STORED\r\n");
}

}  // namespace
}  // namespace cuckood::proto::testing
