#include "bench/load/soak_model.h"

#include <gtest/gtest.h>

namespace cuckood::load::soak {
namespace {

TEST(SoakModel, AFreshKeyIsAbsentAndAHitOnItIsWrong) {
  KeyModel m;
  EXPECT_FALSE(m.present());
  EXPECT_FALSE(m.check_get("anything"));
  EXPECT_TRUE(m.check_get(std::nullopt));
}

TEST(SoakModel, AGetMustShowExactlyTheStoredValue) {
  KeyModel m;
  m.stored("a1_0#3;");
  EXPECT_TRUE(m.check_get("a1_0#3;"));
  EXPECT_FALSE(m.check_get("a1_0#4;"));
  EXPECT_FALSE(m.check_get("a1_0#3"));    // torn
  EXPECT_FALSE(m.check_get("a1_0#3; "));  // no incr happened: no padding allowed
  EXPECT_TRUE(m.present());
}

TEST(SoakModel, AMissIsEvictionAndMakesTheKeyAbsent) {
  KeyModel m;
  m.stored("v");
  EXPECT_TRUE(m.check_get(std::nullopt));
  EXPECT_FALSE(m.present());
  EXPECT_FALSE(m.check_get("v"));  // came back without a write of ours
}

TEST(SoakModel, AppendsAccumulateInOrder) {
  KeyModel m;
  m.stored(append_chunk("a0_1", 1));
  EXPECT_TRUE(m.check_append(append_chunk("a0_1", 2), true));
  EXPECT_TRUE(m.check_append(append_chunk("a0_1", 5), true));
  EXPECT_TRUE(m.check_get("a0_1#1;a0_1#2;a0_1#5;"));
  EXPECT_FALSE(m.check_get("a0_1#1;a0_1#5;a0_1#2;"));         // out of order
  EXPECT_FALSE(m.check_get("a0_1#1;a0_1#2;"));                // an append lost
  EXPECT_FALSE(m.check_get("a0_1#1;a0_1#2;a0_1#5;a0_1#5;"));  // applied twice
}

TEST(SoakModel, AnAppendStoredOnAnAbsentKeyIsWrong) {
  KeyModel m;
  EXPECT_FALSE(m.check_append("x", true));
  EXPECT_TRUE(m.check_append("x", false));  // NOT_STORED: legal, stays absent
  EXPECT_FALSE(m.present());
}

TEST(SoakModel, NotStoredOnAppendMeansEvicted) {
  KeyModel m;
  m.stored("base");
  EXPECT_TRUE(m.check_append("x", false));
  EXPECT_FALSE(m.present());
}

TEST(SoakModel, IncrMustAddExactlyDeltaAndWrapAt64Bits) {
  KeyModel m;
  m.stored("41");
  EXPECT_TRUE(m.check_incr(1, 42));
  EXPECT_FALSE(m.check_incr(1, 42));  // the counter is 42 now: 43 was due
  m.stored("18446744073709551615");
  EXPECT_TRUE(m.check_incr(2, 1));
  EXPECT_EQ(m.content(), "1");
}

TEST(SoakModel, AfterAnIncrAGetMayShowSpacePadding) {
  KeyModel m;
  m.stored("18446744073709551615");
  ASSERT_TRUE(m.check_incr(1, 0));
  EXPECT_TRUE(m.check_get("0                   "));
  EXPECT_TRUE(m.check_get("0"));
  EXPECT_FALSE(m.check_get("1   "));
  m.stored("7");
  EXPECT_FALSE(m.check_get("7 "));  // a set stores exactly what was sent
}

TEST(SoakModel, IncrOnAnAbsentKeyMustBeNotFound) {
  KeyModel m;
  EXPECT_FALSE(m.check_incr(1, 1));
  EXPECT_TRUE(m.check_incr(1, std::nullopt));
  m.stored("5");
  EXPECT_TRUE(m.check_incr(1, std::nullopt));  // evicted
  EXPECT_FALSE(m.present());
}

TEST(SoakModel, DeleteAndTouchMustFindOnlyPresentKeys) {
  KeyModel m;
  EXPECT_FALSE(m.check_found(true, false));
  EXPECT_TRUE(m.check_found(false, true));
  m.stored("v");
  EXPECT_TRUE(m.check_found(true, false));  // touch keeps it
  EXPECT_TRUE(m.present());
  EXPECT_TRUE(m.check_found(true, true));  // delete removes it
  EXPECT_FALSE(m.present());
  EXPECT_FALSE(m.check_found(true, true));
}

TEST(SoakModel, AnUnknownKeyAcceptsAnyReplyUntilOneRevealsIt) {
  KeyModel m = KeyModel::unknown();
  EXPECT_TRUE(m.check_found(true, false));
  EXPECT_TRUE(m.check_append("x", true));
  EXPECT_FALSE(m.known());
  EXPECT_TRUE(m.check_get("whatever"));
  EXPECT_TRUE(m.known());
  EXPECT_FALSE(m.check_get("other"));

  KeyModel n = KeyModel::unknown();
  EXPECT_TRUE(n.check_incr(3, 10));
  EXPECT_TRUE(n.check_incr(1, 11));
  EXPECT_FALSE(n.check_incr(1, 13));
}

TEST(SoakModel, AppendChunksNameKeyAndVersion) {
  EXPECT_EQ(append_chunk("a3_7", 12), "a3_7#12;");
}

}  // namespace
}  // namespace cuckood::load::soak
