// proto/state_trace: -vvv's lines — memcached 1.6.18's state transitions and "> FOUND KEY"
// lines — from the machine alone, and as the codecs' request log places them among a
// request's lines. The expected lines are what memcached -vvv printed for the same requests,
// each in a read of its own (fd written as 7 here).
#include "proto/state_trace.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <iterator>
#include <string>
#include <vector>

#include "proto/output.h"
#include "proto/request_log.h"
#include "proto/text_protocol.h"
#include "tests/proto/binary_packets.h"
#include "tests/proto/session_fixture.h"

namespace cuckood::proto::testing {
namespace {

using Lines = std::vector<std::string>;

constexpr int kFd = 7;

// Records the log's lines as net/ prints them without the fd ("<request", ">reply", notes
// as they are), and keeps the connection's machine.
class TracingLog final : public RequestLog {
 public:
  void request(std::string_view line) noexcept override {
    lines.push_back("<" + std::string(line));
  }
  void reply(std::string_view line) noexcept override { lines.push_back(">" + std::string(line)); }
  void note(std::string_view line) noexcept override { lines.push_back(std::string(line)); }
  // Level 3 while `verbosity` (when given) says so, as net/'s log.
  StateTrace* state_trace() noexcept override {
    return verbosity == nullptr || *verbosity > 2 ? &machine : nullptr;
  }

  Lines lines;
  StateTrace machine{kFd, *this};
  const std::atomic<int>* verbosity = nullptr;
};

std::string go(std::string_view from, std::string_view to) {
  return "7: going from conn_" + std::string(from) + " to conn_" + std::string(to);
}

// What memcached prints between one request's last line and the next read's request.
Lines next_read(std::string_view from) {
  Lines lines;
  if (from == "new_cmd") lines.push_back(go("new_cmd", "mwrite"));
  lines.push_back(go("mwrite", "new_cmd"));
  lines.push_back(go("new_cmd", "waiting"));
  lines.push_back(go("waiting", "read"));
  lines.push_back(go("read", "parse_cmd"));
  return lines;
}

void append(Lines& to, const Lines& lines) {
  to.insert(to.end(), lines.begin(), lines.end());
}

// A connection's first read: memcached's first event finds nothing read yet, arms the read and
// reads; then `lines`.
Lines first_read(const Lines& lines) {
  Lines out{go("new_cmd", "waiting"), go("waiting", "read"), go("read", "parse_cmd")};
  append(out, lines);
  return out;
}

// The last read's end: its replies flushed, waiting for a read that does not come.
void end_reads(Lines& expected, std::string_view from) {
  append(expected, next_read(from));
  expected.pop_back();
}

// A connection's session fed one read per element of `reads`, as net/ drives it at -vvv; the
// lines up to the last read's end, with the protocol line left out.
Lines trace_reads(const std::vector<std::string>& reads) {
  Env env;
  TracingLog log;
  for (const std::string& read : reads) {
    log.machine.data_arrived();
    env.feed(read, 0, &log);
    log.machine.read_done(env.session().input_left(!env.pending().empty()));
  }
  std::erase_if(log.lines, [](const std::string& l) { return l.find("Client using") != l.npos; });
  return log.lines;
}

TEST(StateTrace, NamesAreMemcachedsStates) {
  EXPECT_EQ(machine_state_name(MachineState::kNewCmd), "conn_new_cmd");
  EXPECT_EQ(machine_state_name(MachineState::kParseCmd), "conn_parse_cmd");
  EXPECT_EQ(machine_state_name(MachineState::kNread), "conn_nread");
  EXPECT_EQ(machine_state_name(MachineState::kSwallow), "conn_swallow");
  EXPECT_EQ(machine_state_name(MachineState::kMwrite), "conn_mwrite");
  EXPECT_EQ(machine_state_name(MachineState::kClosed), "conn_closed");
}

TEST(StateTrace, ConnectionOpenedReadAndClosedByThePeer) {
  TracingLog log;
  log.machine.data_arrived();
  log.machine.request_begins();
  log.machine.request_ends(RequestPath::kAnswered);
  log.machine.read_done(InputLeft::kNone);
  log.machine.closing();
  log.machine.closed();
  Lines expected = first_read({go("parse_cmd", "new_cmd")});
  end_reads(expected, "new_cmd");  // no next read: the peer closed
  expected.push_back(go("read", "closing"));
  expected.push_back(go("closing", "closed"));
  EXPECT_EQ(log.lines, expected);
}

TEST(StateTrace, ConnectionClosedBeforeItSentAnything) {
  TracingLog log;
  log.machine.closing();
  log.machine.closed();
  const Lines expected{go("new_cmd", "waiting"), go("waiting", "read"), go("read", "closing"),
                       go("closing", "closed")};
  EXPECT_EQ(log.lines, expected);
}

TEST(StateTrace, QuitClosesAfterItsWrite) {
  TracingLog log;
  log.machine.data_arrived();
  log.machine.request_begins();
  log.machine.request_ends(RequestPath::kQuit);
  log.machine.read_done(InputLeft::kNone);
  log.machine.closing();
  log.machine.closed();
  const Lines expected = first_read({go("parse_cmd", "mwrite"), go("mwrite", "new_cmd"),
                                     go("new_cmd", "closing"), go("closing", "closed")});
  EXPECT_EQ(log.lines, expected);
}

TEST(StateTrace, LookupsComeBeforeTheReplyLineTheyPrecede) {
  TracingLog log;
  Output output;
  log.machine.set_output(&output);
  log.machine.lookup_starts();
  output.bytes = "VALUE a 0 1\r\n";  // appended by the lookup's visitor
  log.machine.looked_up("a", true);
  log.machine.looked_up("b", false);
  log.machine.print_lookups(0);
  EXPECT_EQ(log.lines, (Lines{"> FOUND KEY a"}));
  log.machine.print_lookups(SIZE_MAX);
  EXPECT_EQ(log.lines, (Lines{"> FOUND KEY a", "> NOT FOUND b"}));
}

TEST(StateTrace, TextRequestsEachInItsOwnRead) {
  const Lines lines = trace_reads({"set a 0 0 5\r\nhello\r\n", "get a nokey a\r\n", "delete a\r\n",
                                   "set q 0 0 1 noreply\r\nx\r\n", "bogus\r\n"});
  Lines expected = first_read({"<set a 0 0 5", go("parse_cmd", "nread"), "> NOT FOUND a", ">STORED",
                               go("nread", "new_cmd")});
  append(expected, next_read("new_cmd"));
  append(expected, {"<get a nokey a", "> FOUND KEY a", ">VALUE a 0 5", "> NOT FOUND nokey",
                    "> FOUND KEY a", ">VALUE a 0 5", ">END", go("parse_cmd", "mwrite")});
  append(expected, next_read("mwrite"));
  append(expected, {"<delete a", "> FOUND KEY a", ">DELETED", go("parse_cmd", "new_cmd")});
  append(expected, next_read("new_cmd"));
  append(expected, {"<set q 0 0 1 noreply", go("parse_cmd", "nread"), "> NOT FOUND q",
                    ">NOREPLY STORED", go("nread", "new_cmd")});
  append(expected, next_read("new_cmd"));
  append(expected, {"<bogus", ">ERROR", go("parse_cmd", "new_cmd")});
  end_reads(expected, "new_cmd");
  EXPECT_EQ(lines, expected);
}

TEST(StateTrace, PipelinedRequestsContinueWithoutAWait) {
  const Lines lines = trace_reads({"set a 0 0 1\r\nx\r\nget a\r\ndelete a noreply\r\nmn\r\n"});
  Lines expected = first_read({"<set a 0 0 1",
                               go("parse_cmd", "nread"),
                               "> NOT FOUND a",
                               ">STORED",
                               go("nread", "new_cmd"),
                               go("new_cmd", "parse_cmd"),
                               "<get a",
                               "> FOUND KEY a",
                               ">VALUE a 0 1",
                               ">END",
                               go("parse_cmd", "mwrite"),
                               go("mwrite", "new_cmd"),
                               go("new_cmd", "parse_cmd"),
                               "<delete a noreply",
                               "> FOUND KEY a",
                               ">NOREPLY DELETED",
                               go("parse_cmd", "new_cmd"),
                               go("new_cmd", "parse_cmd"),
                               "<mn",
                               ">MN",
                               go("parse_cmd", "new_cmd")});
  end_reads(expected, "new_cmd");
  EXPECT_EQ(lines, expected);
}

TEST(StateTrace, TheStartOfARequestAfterAnswersIsTriedThenWaitedFor) {
  const Lines lines = trace_reads({"get a\r\nget b", "\r\n"});
  Lines expected = first_read(
      {"<get a", "> NOT FOUND a", ">END", go("parse_cmd", "mwrite"), go("mwrite", "new_cmd"),
       go("new_cmd", "parse_cmd"), go("parse_cmd", "waiting"), go("waiting", "read"),
       go("read", "parse_cmd"), "<get b", "> NOT FOUND b", ">END", go("parse_cmd", "mwrite")});
  end_reads(expected, "mwrite");
  EXPECT_EQ(lines, expected);
}

TEST(StateTrace, AValueOverSeveralReadsPrintsNoWaitInBetween) {
  const Lines lines = trace_reads({"set a 0 0 5\r\nhe", "llo\r\n"});
  Lines expected = first_read({"<set a 0 0 5", go("parse_cmd", "nread"), "> NOT FOUND a", ">STORED",
                               go("nread", "new_cmd")});
  end_reads(expected, "new_cmd");
  EXPECT_EQ(lines, expected);
}

TEST(StateTrace, ARefusedValueIsSwallowedThenItsKeyLookedUp) {
  const std::string big = "set big 0 0 2000000\r\n" + std::string(2000000, 'v') + "\r\n";
  const Lines lines =
      trace_reads({big.substr(0, 1000), big.substr(1000, 5000), big.substr(6000), "mn\r\n"});
  Lines expected = first_read({"<set big 0 0 2000000", ">SERVER_ERROR object too large for cache",
                               go("parse_cmd", "new_cmd"), go("new_cmd", "swallow"),
                               "> NOT FOUND big", go("swallow", "new_cmd")});
  append(expected, next_read("new_cmd"));
  append(expected, {"<mn", ">MN", go("parse_cmd", "new_cmd")});
  end_reads(expected, "new_cmd");
  EXPECT_EQ(lines, expected);
}

TEST(StateTrace, LookupsAreForgottenWhenLevel3EndsBeforeTheyArePrinted) {
  Env env;
  TracingLog log;
  log.verbosity = &env.server().verbosity;
  env.server().verbosity = 3;
  env.feed("verbosity 2\r\nget a\r\n", 0, &log);
  EXPECT_EQ(env.server().verbosity, 2);
  env.server().verbosity = 3;
  log.lines.clear();
  env.feed("get b\r\n", 0, &log);
  // Nothing of "get a" (its lookup was made while level 3 was ending); the machine goes on
  // from where level 3 left it.
  EXPECT_EQ(log.lines, (Lines{go("new_cmd", "parse_cmd"), "<get b", "> NOT FOUND b", ">END",
                              go("parse_cmd", "mwrite")}));
}

// A get line too long to wait for whole is answered as its keys arrive (one call per read, each
// with an output of its own): a key that missed at the end of one read, so that no reply line
// followed it there, still prints before the next read's reply lines.
TEST(StateTrace, ALookupLeftAtAReadsEndPrintsBeforeTheNextReadsReplies) {
  std::string line = "get k";  // a hit first: the misses after it stand past its reply
  int misses = 0;
  while (line.size() <= kMaxLineWithoutNewline) line += " miss" + std::to_string(misses++);
  const Lines lines = trace_reads({"set k 0 0 2\r\nhi\r\n", line + " ", "k\r\n"});
  Lines lookups_and_replies;
  std::copy_if(lines.begin(), lines.end(), std::back_inserter(lookups_and_replies),
               [](const std::string& l) { return l.starts_with('>'); });
  ASSERT_GE(lookups_and_replies.size(), 4U);
  const Lines tail(lookups_and_replies.end() - 4, lookups_and_replies.end());
  EXPECT_EQ(tail, (Lines{"> NOT FOUND miss" + std::to_string(misses - 1), "> FOUND KEY k",
                         ">VALUE k 0 2", ">END"}));
}

TEST(StateTrace, MetaCommandsAndACounterCreatedOnAMiss) {
  const Lines lines = trace_reads({"ms m 2\r\nhi\r\n", "mg m v\r\n", "ma c N0\r\n"});
  Lines expected = first_read(
      {"<ms m 2", go("parse_cmd", "nread"), "> NOT FOUND m", ">HD", go("nread", "new_cmd")});
  append(expected, next_read("new_cmd"));
  append(expected, {"<mg m v", "> FOUND KEY m", ">VA 2", go("parse_cmd", "new_cmd")});
  append(expected, next_read("new_cmd"));
  // memcached stores the counter it creates with an add, which looks the key up again.
  append(expected,
         {"<ma c N0", "> NOT FOUND c", "> NOT FOUND c", ">HD", go("parse_cmd", "new_cmd")});
  end_reads(expected, "new_cmd");
  EXPECT_EQ(lines, expected);
}

// The lines of a binary request that are not -vv's dumps: its command line, transitions and
// lookups ("Writing an error" kept, to place the lookups).
Lines binary_trace(const std::vector<std::string>& reads) {
  Lines lines = trace_reads(reads);
  std::erase_if(lines, [](const std::string& l) {
    return l.starts_with("<  ") || l.starts_with(">  ") || l.starts_with("> 0x") ||
           l.starts_with("<Read binary") || l.starts_with(">Writing bin");
  });
  return lines;
}

TEST(StateTrace, BinaryRequestsEachInItsOwnRead) {
  const std::string set = request({binary::Opcode::kSet, "k", store_extras(0, 0), "value"});
  const std::string get = request({binary::Opcode::kGet, "k", "", ""});
  const std::string miss = request({binary::Opcode::kGet, "nokey", "", ""});
  const std::string add = request({binary::Opcode::kAdd, "k", store_extras(0, 0), "x"});
  const std::string getq = request({binary::Opcode::kGetQ, "nokey", "", ""});
  const std::string noop = request({binary::Opcode::kNoOp, "", "", ""});
  const Lines lines = binary_trace({set, get, miss, add, getq + noop});
  Lines expected = first_read(
      {"<SET k Value len is 5", go("parse_cmd", "nread"), "> NOT FOUND k", go("nread", "new_cmd")});
  append(expected, next_read("new_cmd"));
  append(expected, {"<GET k", "> FOUND KEY k", go("parse_cmd", "new_cmd")});
  append(expected, next_read("new_cmd"));
  append(expected, {"<GET nokey", "> NOT FOUND nokey", ">Writing an error: Not found",
                    go("parse_cmd", "mwrite")});
  append(expected, next_read("mwrite"));
  append(expected, {"<ADD k Value len is 1", go("parse_cmd", "nread"), "> FOUND KEY k",
                    ">Writing an error: Data exists for key.", go("nread", "mwrite")});
  append(expected, next_read("mwrite"));
  append(expected, {"<GET nokey", "> NOT FOUND nokey", go("parse_cmd", "new_cmd"),
                    go("new_cmd", "parse_cmd"), go("parse_cmd", "new_cmd")});
  end_reads(expected, "new_cmd");
  EXPECT_EQ(lines, expected);
}

}  // namespace
}  // namespace cuckood::proto::testing
