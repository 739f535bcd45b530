// The Postgres bus's pick cursor (src/bus/pick_cursor.h): what moves it, what resets it, and the
// NOTIFY payload that tells other processes where jobs landed. The claim order it must keep is pinned
// on every bus by bus_test.cc; these cases pin the rules that concurrency makes hard to reach there
// (a pick in flight while something enters, a failed pick beside a successful one).
#include "bus/pick_cursor.h"

#include <gtest/gtest.h>

namespace daira::inline v0::bus::internal {
namespace {

constexpr char kQ[] = "feed.fanout";

PickPosition At(int64_t priority, int64_t run_at, int64_t id) {
  return {.priority = priority, .run_at = run_at, .id = id};
}

void ExpectAt(PickCursors& c, const PickPosition& want) {
  const PickCursors::Start s = c.Begin(kQ);
  ASSERT_TRUE(s.from.has_value());
  EXPECT_EQ(s.from->priority, want.priority);
  EXPECT_EQ(s.from->run_at, want.run_at);
  EXPECT_EQ(s.from->id, want.id);
}

TEST(BusPickCursorTest, AdvancesToTheFurthestPickOfAnEpochAndNeverBack) {
  PickCursors c;
  EXPECT_FALSE(c.Begin(kQ).from.has_value());  // the first pick starts at the head
  const PickCursors::Start a = c.Begin(kQ);
  const PickCursors::Start b = c.Begin(kQ);
  c.Advance(kQ, b, At(0, 100, 9));
  c.Advance(kQ, a, At(0, 100, 5));  // ended later, but claimed less far
  ExpectAt(c, At(0, 100, 9));
  c.Advance(kQ, c.Begin(kQ), At(5, 200, 1));  // a higher priority comes before: not further
  ExpectAt(c, At(0, 100, 9));
  c.Advance(kQ, c.Begin(kQ), At(-1, 50, 2));  // a lower priority comes after
  ExpectAt(c, At(-1, 50, 2));
}

TEST(BusPickCursorTest, APickThatBeganBeforeAnEntryOrAResetDoesNotMoveIt) {
  PickCursors c;
  c.Advance(kQ, c.Begin(kQ), At(0, 100, 9));
  const PickCursors::Start in_flight = c.Begin(kQ);
  c.Entered(kQ, 0, 0, 150);  // after the cursor: kept, but the pick in flight may not have seen it
  c.Advance(kQ, in_flight, At(0, 300, 20));
  ExpectAt(c, At(0, 100, 9));
  // A pick in flight that ended before everything that entered since it began moves it (the entered
  // jobs lie after its last one); one that ended at or past any of them does not.
  const PickCursors::Start short_of = c.Begin(kQ);
  c.Entered(kQ, 0, 0, 150);
  c.Entered(kQ, -5, 5, 140);
  c.Entered(kQ, 3, 9, 0);  // higher priorities only: read from their head anyway
  c.Advance(kQ, short_of, At(0, 120, 12));
  ExpectAt(c, At(0, 120, 12));
  const PickCursors::Start past = c.Begin(kQ);
  c.Entered(kQ, 0, 0, 150);
  c.Advance(kQ, past, At(0, 150, 13));  // the same run-at: the ids are not known, so it may be past one
  ExpectAt(c, At(0, 120, 12));
  // A pick older than the changes kept moves nothing.
  const PickCursors::Start old = c.Begin(kQ);
  for (int i = 0; i < 70; ++i) c.Entered(kQ, 0, 0, 1000);
  c.Advance(kQ, old, At(0, 130, 14));
  ExpectAt(c, At(0, 120, 12));
  const PickCursors::Start failed = c.Begin(kQ);
  const PickCursors::Start ok = c.Begin(kQ);
  c.Advance(kQ, ok, At(0, 300, 20));  // it passed the rows the failing pick held
  c.Reset(kQ);                        // the failed pick's rows are back
  EXPECT_FALSE(c.Begin(kQ).from.has_value());
  c.Advance(kQ, failed, At(0, 400, 30));
  EXPECT_FALSE(c.Begin(kQ).from.has_value());
}

TEST(BusPickCursorTest, OnlyAnEntryThatCanBeAtOrBeforeItAtItsPriorityResetsIt) {
  PickCursors c;
  c.Advance(kQ, c.Begin(kQ), At(0, 100, 9));
  c.Entered(kQ, 5, 9, 0);      // higher priorities: read from their head anyway
  c.Entered(kQ, -3, -1, 0);    // lower priorities: read after the cursor's
  c.Entered(kQ, -1, 3, 101);   // its priority, a later run-at
  c.Entered("other", 0, 0, 0);  // another queue
  ExpectAt(c, At(0, 100, 9));
  c.Entered(kQ, -1, 3, 100);  // the same run-at: the ids are not known, so it may be behind
  EXPECT_FALSE(c.Begin(kQ).from.has_value());
  c.Advance(kQ, c.Begin(kQ), At(0, 100, 9));
  c.Entered(kQ, 0, 0, 99);
  EXPECT_FALSE(c.Begin(kQ).from.has_value());
  c.Advance(kQ, c.Begin(kQ), At(0, 100, 9));
  c.ResetAll();
  EXPECT_FALSE(c.Begin(kQ).from.has_value());
}

TEST(BusPickCursorTest, AProbeSendsOnlyTheNextPickToTheHead) {
  PickCursors c;
  c.Probe(kQ);  // never picked: nothing to do
  EXPECT_FALSE(c.Begin(kQ).from.has_value());
  c.Advance(kQ, c.Begin(kQ), At(0, 100, 9));
  c.Probe(kQ);
  const PickCursors::Start head = c.Begin(kQ);
  EXPECT_FALSE(head.from.has_value());
  ExpectAt(c, At(0, 100, 9));  // the others keep the cursor
  c.Advance(kQ, head, At(0, 50, 3));  // it found something behind the cursor: the cursor never moves back
  ExpectAt(c, At(0, 100, 9));
  c.Advance(kQ, head, At(0, 110, 11));
  ExpectAt(c, At(0, 110, 11));
}

TEST(BusPickCursorTest, TheNoticeCarriesWhereJobsLandedAndAnythingElseIsAReset) {
  const EntryNotice n = ParseEntryNotice(FormatEntryNotice(kQ, 42, -2, 7, 1700000000000000));
  EXPECT_EQ(n.queue, kQ);
  EXPECT_TRUE(n.positioned);
  EXPECT_EQ(n.origin, 42u);
  EXPECT_EQ(n.min_priority, -2);
  EXPECT_EQ(n.max_priority, 7);
  EXPECT_EQ(n.run_at, 1700000000000000);
  const std::string odd = std::string("a") + '\x1f' + "b";  // a queue name holding the separator
  EXPECT_EQ(ParseEntryNotice(FormatEntryNotice(odd, 1, 0, 0, 5)).queue, odd);
  for (const std::string& payload : {std::string(kQ), std::string(kQ) + "\x1f" + "1\x1f" + "x\x1f" + "0\x1f" + "5",
                                     std::string(kQ) + "\x1f" + "1\x1f" + "0"}) {
    const EntryNotice r = ParseEntryNotice(payload);
    EXPECT_FALSE(r.positioned) << payload;
    EXPECT_EQ(r.queue, payload) << payload;
  }
}

}  // namespace
}  // namespace daira::inline v0::bus::internal
