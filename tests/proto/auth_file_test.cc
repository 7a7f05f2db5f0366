#include "proto/auth_file.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <string>

namespace cuckood::proto {
namespace {

TEST(AuthFile, ChecksEveryEntry) {
  AuthFile auth;
  ASSERT_EQ(auth.load_text("foo:bar\nbaaaz:quux\r\n"), AuthFileStatus::kOk);
  EXPECT_TRUE(auth.check("foo", "bar"));
  EXPECT_TRUE(auth.check("baaaz", "quux"));
  EXPECT_FALSE(auth.check("foo", "bab"));
  EXPECT_FALSE(auth.check("foo", "ba"));
  EXPECT_FALSE(auth.check("foo", "barr"));
  EXPECT_FALSE(auth.check("fo", "bar"));
  EXPECT_FALSE(auth.check("baaaz", "bar"));
}

TEST(AuthFile, PasswordRunsFromTheFirstColonToTheLineEnd) {
  AuthFile auth;
  ASSERT_EQ(auth.load_text("u:p:q w\n:empty\nlast:line"), AuthFileStatus::kOk);
  EXPECT_TRUE(auth.check("u", "p:q w"));
  EXPECT_TRUE(auth.check("", "empty"));
  EXPECT_TRUE(auth.check("last", "line"));
}

TEST(AuthFile, ALineWithoutAColonIsMalformedAndKeepsWhatWasLoaded) {
  AuthFile auth;
  ASSERT_EQ(auth.load_text("foo:bar\n"), AuthFileStatus::kOk);
  EXPECT_EQ(auth.load_text("new:one\nnocolon\n"), AuthFileStatus::kMalformed);
  EXPECT_EQ(auth.load_text("new:one\n\n"), AuthFileStatus::kMalformed);
  EXPECT_TRUE(auth.check("foo", "bar"));
  EXPECT_FALSE(auth.check("new", "one"));
}

TEST(AuthFile, OnlyTheFirstEightEntriesCount) {
  std::string text;
  for (int i = 0; i < 10; ++i) text += "user" + std::to_string(i) + ":pw\n";
  AuthFile auth;
  ASSERT_EQ(auth.load_text(text), AuthFileStatus::kOk);
  EXPECT_TRUE(auth.check("user7", "pw"));
  EXPECT_FALSE(auth.check("user8", "pw"));
}

TEST(AuthFile, LoadsAFileAndReportsOneThatCannotBeOpened) {
  const std::string path = ::testing::TempDir() + "cuckood_auth_file_test";
  std::ofstream(path) << "foo:bar\n";
  AuthFile auth;
  EXPECT_EQ(auth.load(path), AuthFileStatus::kOk);
  EXPECT_TRUE(auth.check("foo", "bar"));
  std::remove(path.c_str());
  EXPECT_EQ(auth.load(path), AuthFileStatus::kOpenFailed);
  EXPECT_TRUE(auth.check("foo", "bar"));
}

TEST(AuthFile, EmptyFileLetsNobodyIn) {
  AuthFile auth;
  ASSERT_EQ(auth.load_text(""), AuthFileStatus::kOk);
  EXPECT_FALSE(auth.check("", ""));
}

}  // namespace
}  // namespace cuckood::proto
