// -S in the binary codec (proto/binary_sasl.h) over a scripted mechanism layer, at every
// binary split size: what is refused before authentication, the SASL opcodes' answers and
// counters, and memcached's rule that any SASL request starts authentication over.
#include "proto/binary_sasl.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <string_view>

#include "tests/proto/binary_packets.h"

namespace cuckood::proto::testing {
namespace {

using binary::Opcode;
using binary::Status;

using namespace std::string_view_literals;

constexpr std::string_view kGoodPlain = "\0alice\0pw"sv;

// PLAIN accepts alice/pw in one step; TWO-STEP challenges "nonce" and accepts "answer".
class ScriptedExchange final : public SaslExchange {
 public:
  bool list_mechanisms(std::string& out) override {
    out = "PLAIN TWO-STEP";
    return true;
  }
  SaslReply start(const std::string& mechanism, std::string_view data) override {
    if (mechanism == "PLAIN" && data == kGoodPlain) return {SaslOutcome::kAuthenticated, {}};
    if (mechanism == "TWO-STEP") return {SaslOutcome::kContinue, "nonce"};
    return {};
  }
  SaslReply step(std::string_view data) override {
    if (data == "answer") return {SaslOutcome::kAuthenticated, {}};
    return {};
  }
};

class ScriptedSasl final : public SaslServer {
 public:
  std::unique_ptr<SaslExchange> open() override {
    ++opened;
    if (refuse) return nullptr;
    return std::make_unique<ScriptedExchange>();
  }
  int opened = 0;
  bool refuse = false;
};

Settings sasl_settings() {
  Settings s;
  s.sasl = true;
  s.binding_protocol = BindingProtocol::kBinary;
  return s;
}

class SaslEnv : public Env {
 public:
  SaslEnv() : Env(sasl_settings()) { server().sasl = &sasl; }
  ScriptedSasl sasl;
};

std::string auth(std::string_view mechanism, std::string_view data, uint32_t opaque = 0) {
  return request({Opcode::kSaslAuth, mechanism, "", data, opaque});
}
std::string step(std::string_view data, uint32_t opaque = 0) {
  return request({Opcode::kSaslStep, "TWO-STEP", "", data, opaque});
}
std::string list(uint32_t opaque = 0) {
  return request({Opcode::kSaslListMechs, "", "", "", opaque});
}
std::string get(std::string_view key, uint32_t opaque = 0) {
  return request({Opcode::kGet, key, "", "", opaque});
}
std::string authenticated(Opcode opcode, uint32_t opaque = 0) {
  return response({opcode, Status::kSuccess, "", "", "Authenticated", opaque});
}
std::string refused(Opcode opcode, uint32_t opaque = 0) {
  return error_response(opcode, Status::kAuthError, opaque);
}
std::string miss(uint32_t opaque = 0) {
  return error_response(Opcode::kGet, Status::kKeyNotFound, opaque);
}

// Feeds `input` to a fresh SaslEnv at every binary split size; returns the last env's answer
// after checking all answers agree with `expected` and the connection's state with `closes`.
void expect_sasl(std::string_view input, std::string_view expected, bool closes = false) {
  for (size_t split : kBinarySplitSizes) {
    SaslEnv env;
    EXPECT_EQ(env.feed(input, split), expected) << "split size " << split;
    EXPECT_EQ(env.session().should_close(), closes) << "split size " << split;
  }
}

TEST(BinarySasl, RequestsBeforeAuthenticationAreRefusedAndClose) {
  for (const std::string& first :
       {get("k", 1), request({Opcode::kSet, "k", store_extras(0, 0), "v", 1}),
        request({Opcode::kGetQ, "k", "", "", 1}), request({Opcode::kNoOp, "", "", "", 1}),
        request({Opcode::kStat, "", "", "", 1}), request({Opcode::kFlush, "", "", "", 1}),
        request({static_cast<Opcode>(0x50), "", "", "", 1})}) {
    binary::RequestHeader h = binary::decode_request_header(first.data());
    expect_sasl(first + get("k", 2), refused(h.opcode, 1), /*closes=*/true);
  }
}

TEST(BinarySasl, TheAuthCheckComesBeforeTheKeyLengthCheck) {
  expect_sasl(get(std::string(251, 'k'), 3), refused(Opcode::kGet, 3), /*closes=*/true);
}

TEST(BinarySasl, VersionAndListMechsNeedNoAuthentication) {
  expect_sasl(
      request({Opcode::kVersion, "", "", "", 1}) + list(2),
      response({Opcode::kVersion, Status::kSuccess, "", "", kVersion, 1}) +
          response({Opcode::kSaslListMechs, Status::kSuccess, "", "", "PLAIN TWO-STEP", 2}));
}

TEST(BinarySasl, APlainSuccessServesTheConnection) {
  expect_sasl(auth("PLAIN", kGoodPlain, 1) + get("k", 2) +
                  request({Opcode::kSet, "k", store_extras(0, 0), "v", 3}),
              authenticated(Opcode::kSaslAuth, 1) + miss(2) +
                  response({Opcode::kSet, Status::kSuccess, "", "", "", 3, 1}));
}

TEST(BinarySasl, AFailureIsAnsweredTheConnectionStaysOpenButUnauthenticated) {
  expect_sasl(
      auth("PLAIN", "\0alice\0no"sv, 1) + auth("NOPE", kGoodPlain, 2) + get("k", 3),
      refused(Opcode::kSaslAuth, 1) + refused(Opcode::kSaslAuth, 2) + refused(Opcode::kGet, 3),
      /*closes=*/true);
  expect_sasl(auth("PLAIN", "\0alice\0no"sv, 1) + auth("PLAIN", kGoodPlain, 2) + get("k", 3),
              refused(Opcode::kSaslAuth, 1) + authenticated(Opcode::kSaslAuth, 2) + miss(3));
}

TEST(BinarySasl, AChallengeIsAnsweredWithAStep) {
  expect_sasl(auth("TWO-STEP", "", 1) + step("answer", 2) + get("k", 3),
              response({Opcode::kSaslAuth, Status::kAuthContinue, "", "", "nonce", 1}) +
                  authenticated(Opcode::kSaslStep, 2) + miss(3));
  expect_sasl(auth("TWO-STEP", "", 1) + step("wrong", 2),
              response({Opcode::kSaslAuth, Status::kAuthContinue, "", "", "nonce", 1}) +
                  refused(Opcode::kSaslStep, 2));
}

TEST(BinarySasl, AStepWithoutAnAuthFails) {
  expect_sasl(step("answer", 1) + list(2),
              refused(Opcode::kSaslStep, 1) + response({Opcode::kSaslListMechs, Status::kSuccess,
                                                        "", "", "PLAIN TWO-STEP", 2}));
  // A failed Auth does not open the way for a Step either.
  expect_sasl(auth("NOPE", "", 1) + step("answer", 2),
              refused(Opcode::kSaslAuth, 1) + refused(Opcode::kSaslStep, 2));
}

TEST(BinarySasl, AnySaslRequestStartsAuthenticationOver) {
  expect_sasl(
      auth("PLAIN", kGoodPlain, 1) + list(2) + get("k", 3),
      authenticated(Opcode::kSaslAuth, 1) +
          response({Opcode::kSaslListMechs, Status::kSuccess, "", "", "PLAIN TWO-STEP", 2}) +
          refused(Opcode::kGet, 3),
      /*closes=*/true);
  expect_sasl(auth("PLAIN", kGoodPlain, 1) + auth("TWO-STEP", "", 2) + get("k", 3),
              authenticated(Opcode::kSaslAuth, 1) +
                  response({Opcode::kSaslAuth, Status::kAuthContinue, "", "", "nonce", 2}) +
                  refused(Opcode::kGet, 3),
              /*closes=*/true);
}

TEST(BinarySasl, AttemptsAndFailuresAreCounted) {
  SaslEnv env;
  env.feed(auth("PLAIN", "\0alice\0no"sv) + step("x") + auth("TWO-STEP", "") + step("answer") +
           auth("PLAIN", kGoodPlain) + list());
  EXPECT_EQ(env.worker().stats.auth_cmds.load(), 4u);    // a Continue is not counted
  EXPECT_EQ(env.worker().stats.auth_errors.load(), 2u);  // wrong password, Step without Auth
  EXPECT_EQ(env.sasl.opened, 1);                         // one exchange per connection
}

TEST(BinarySasl, AnOverlongMechanismNameIsInvalidItsDataSkipped) {
  const std::string name(BinarySasl::kMaxMechanismLength + 1, 'X');
  expect_sasl(auth(name, kGoodPlain, 1) + request({Opcode::kVersion, "", "", "", 2}),
              error_response(Opcode::kSaslAuth, Status::kInvalidArguments, 1) +
                  response({Opcode::kVersion, Status::kSuccess, "", "", kVersion, 2}));
  const std::string longest(BinarySasl::kMaxMechanismLength, 'X');
  expect_sasl(auth(longest, kGoodPlain, 1), refused(Opcode::kSaslAuth, 1));
}

TEST(BinarySasl, DataLargerThanOneItemChunkIsOutOfMemoryAndNeverBuffered) {
  SaslEnv env;
  const size_t data_size = static_cast<size_t>(env.settings().slab_chunk_max);
  const std::string data(data_size, 'd');
  const std::string input = auth("PLAIN", data, 1) + list(2);
  // In 1000-byte pieces the pending input stays within one piece plus a header.
  std::string answer;
  for (size_t pos = 0; pos < input.size(); pos += 1000) {
    answer += env.feed(std::string_view(input).substr(pos, 1000));
    EXPECT_LE(env.pending().size(), size_t{1000 + binary::kHeaderSize});
  }
  EXPECT_EQ(answer,
            error_response(Opcode::kSaslAuth, Status::kOutOfMemory, 1) +
                response({Opcode::kSaslListMechs, Status::kSuccess, "", "", "PLAIN TWO-STEP", 2}));
  EXPECT_EQ(env.worker().stats.auth_cmds.load(), 0u);
}

TEST(BinarySasl, WithoutAnExchangeEverySaslRequestFails) {
  SaslEnv env;
  env.sasl.refuse = true;
  EXPECT_EQ(env.feed(list(1) + auth("PLAIN", kGoodPlain, 2) + get("k", 3)),
            refused(Opcode::kSaslListMechs, 1) + refused(Opcode::kSaslAuth, 2) +
                refused(Opcode::kGet, 3));
  EXPECT_EQ(env.worker().stats.auth_errors.load(), 1u);
}

TEST(BinarySasl, AuthenticationBelongsToOneConnection) {
  SaslEnv env;
  Session other(env.worker(), BindingProtocol::kBinary);
  EXPECT_EQ(env.feed(auth("PLAIN", kGoodPlain, 1)), authenticated(Opcode::kSaslAuth, 1));
  std::string out;
  other.process(get("k", 2), out);
  EXPECT_EQ(out, refused(Opcode::kGet, 2));
  EXPECT_TRUE(other.should_close());
  EXPECT_EQ(env.feed(get("k", 3)), miss(3));
}

TEST(BinarySasl, MalformedSaslRequestsAreInvalidAndClose) {
  // memcached checks the shape first: List Mechs takes no body, Auth and Step need a key.
  expect_sasl(request({Opcode::kSaslListMechs, "", "", "abc", 1}) + list(2),
              error_response(Opcode::kSaslListMechs, Status::kInvalidArguments, 1),
              /*closes=*/true);
  expect_sasl(request({Opcode::kSaslAuth, "", "", "abc", 1}) + list(2),
              error_response(Opcode::kSaslAuth, Status::kInvalidArguments, 1), /*closes=*/true);
}

TEST(BinarySasl, TheSettingsSayWhetherSaslIsOn) {
  SaslEnv env;
  std::string out =
      env.feed(auth("PLAIN", kGoodPlain) + request({Opcode::kStat, "settings", "", ""}));
  EXPECT_NE(out.find("auth_enabled_saslyes"), std::string::npos);
  Env plain;
  out = plain.feed(request({Opcode::kStat, "settings", "", ""}));
  EXPECT_NE(out.find("auth_enabled_saslno"), std::string::npos);
}

}  // namespace
}  // namespace cuckood::proto::testing
