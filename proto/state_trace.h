// -vvv: what memcached 1.6.18 prints at verbosity 3 for a connection — its state machine's
// transitions ("<fd>: going from conn_a to conn_b", its conn_set_state) and each item lookup's
// outcome ("> FOUND KEY <key>" / "> NOT FOUND <key>", its do_item_get). cuckood has no such
// machine: this class keeps the state memcached's would be in and moves it at the steps
// cuckood does take, so that the lines come out as memcached prints them when each request
// arrives in a read of its own:
//   - net/ reports reads (data_arrived, read_done) and the close (closing, closed);
//   - the codecs' request log (proto/request_log.h) reports each request as it logs it: its
//     start, a value read (conn_nread), and the state the command left the machine in;
//   - the command layer reports each lookup as it happens (looked_up), at the reply offset it
//     happened at, and the request log prints it among the reply lines by that offset.
//
// Pipelined input (several requests in one read): each request after the first starts with
// conn_new_cmd -> conn_parse_cmd (after a get's conn_mwrite, conn_mwrite -> conn_new_cmd
// first), as memcached goes when its buffer still holds bytes; the read then ends through
// conn_mwrite -> conn_new_cmd -> conn_waiting -> conn_read (with the start of a request left,
// through conn_parse_cmd where memcached tries it). A request is logged once it is complete:
// a value that arrives over several reads prints what memcached prints (it waits in
// conn_nread without a transition), but a binary header whose key or extras arrive later is
// dumped once (memcached dumps it at each try). memcached's -R yield (conn_new_cmd without a
// transition) is not modelled.
//
// Lookups: the cache does not say why a key missed, so memcached's "-nuked by expire" and
// "-nuked by flush" (a dead item found, then removed) are printed as "> NOT FOUND".
//
// Threading: one per connection, used by its worker's thread only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace cuckood::proto {

class RequestLog;
class Output;

// memcached's conn_states, those its TCP connections pass.
enum class MachineState : uint8_t {
  kNewCmd,
  kWaiting,
  kRead,
  kParseCmd,
  kNread,
  kSwallow,
  kMwrite,
  kClosing,
  kClosed,
};
// memcached's name: "conn_new_cmd", ...
std::string_view machine_state_name(MachineState state) noexcept;

// Where a request left memcached's machine once its command ran (and its value, if any, was
// read), as the codec saw it end.
enum class RequestPath : uint8_t {
  kAnswered,      // a reply queued: conn_new_cmd
  kFlushed,       // a reply flushed at once (a text get, a binary error): conn_mwrite
  kValueRead,     // a value read (conn_nread), then answered: conn_new_cmd
  kValueFlushed,  // a value read (conn_nread), then an error flushed: conn_mwrite
  kValueRefused,  // answered at once, its value discarded: conn_new_cmd, conn_swallow
  kErrorSwallow,  // an error flushed with its value discarded: conn_swallow (binary)
  // (Both stay in conn_swallow until the value is discarded, then conn_new_cmd.)
  kQuit,          // flushed, then closed: conn_mwrite and close after the write
  kAnsweredQuit,  // queued, then closed: conn_new_cmd and close after the write
  kClosed,        // closed at once: conn_closing
};

// What a read left undecoded, as memcached's machine sees it.
enum class InputLeft : uint8_t {
  kNone,
  kPartialRequest,  // the start of a request (its command line or header incomplete)
  kValue,           // a request whose value is incomplete: memcached reads it in conn_nread
  kSwallow,         // part of a refused value, still being discarded: conn_swallow
};

class StateTrace {
 public:
  // Lines go to `log` as notes (no "<fd"/">fd" prefix); `fd` names the connection in them.
  StateTrace(int fd, RequestLog& log) noexcept : fd_(fd), log_(log) {}

  // net/: bytes arrived (a read); the read's requests were answered, `left` what remains of
  // its input; the connection is closing (before memcached's "connection closed." line) and
  // closed (after).
  void data_arrived() noexcept;
  void read_done(InputLeft left) noexcept;
  void closing() noexcept;
  void closed() noexcept;

  // The session: lookups from now on are placed by their offset in `output` (null: none).
  // Lookups not printed yet move to the start of the next output: the reply lines logged so
  // far were the previous output's (a long get line's key that missed at the end of a read).
  void set_output(const Output* output) noexcept;

  // The command layer: a lookup starts (its reply, if any, will start at the output's present
  // end: a visitor may append it before the outcome is reported); it found an item or not.
  void lookup_starts() noexcept;
  void looked_up(std::string_view key, bool found) noexcept;
  // Level 3 ended before the lookups recorded were printed (a verbosity command): forgets them.
  void drop_lookups() noexcept { lookups_.clear(); }

  // The request log, for each request: it starts (before its request line); its value is
  // being read (after its request line); the lookups recorded before reply offset `offset`
  // (all of them: SIZE_MAX) are printed; it ended as `path`, after its reply lines (the
  // lookups not printed yet follow the transitions for a refused value, whose key memcached
  // looks up once it is discarding the value, and precede them otherwise).
  void request_begins() noexcept;
  void value_read_begins() noexcept { go(MachineState::kNread); }
  void print_lookups(size_t offset) noexcept;
  void request_ends(RequestPath path) noexcept;

  MachineState state() const noexcept { return state_; }

 private:
  struct Lookup {
    std::string key;
    size_t offset;
    bool found;
  };
  void go(MachineState next) noexcept;
  // conn_mwrite's write completed: conn_new_cmd, or conn_closing after a quit.
  void written() noexcept;

  int fd_;
  RequestLog& log_;
  MachineState state_ = MachineState::kNewCmd;
  bool close_after_write_ = false;
  const Output* output_ = nullptr;
  size_t lookup_offset_ = SIZE_MAX;  // where the reply stood when the lookup started
  std::vector<Lookup> lookups_;
};

}  // namespace cuckood::proto
