// -vv logging: a codec hands each request it decoded, then the reply it produced, to a
// RequestLog, request by request, in the order memcached prints them ("<fd request" then
// ">fd reply" lines; net/ adds the prefixes). Nothing re-parses the bytes: the text codec
// gives the command line it framed, the binary codec the header it decoded (the opcode named
// by its command table), and replies are read from the output the codec just appended, value
// data left out by the spans Output recorded (proto/output.h).
//
// Lines: text — the command line without its data block; each reply line, value data left
// out; a reply that `noreply` held back as "NOREPLY <reply>" (memcached's words). Binary — as
// memcached prints it: "Read binary protocol data:" and the request header in hex, four bytes a
// line; the line memcached's command code prints (GET/TOUCH <key>, SET/ADD/REPLACE <key> Value
// len is <n>, STATS <group>; and as notes "Value len is <n>" for append/prepend, "Deleting
// <key>", "incr <key> <delta>, <initial>, <exptime>" for incr and decr); per response packet
// "Writing an error: <text>" for a keyless error, then "Writing bin response:" and its header
// in hex (none for Stat answers, which memcached writes without its header routine).
//
// -vvv adds memcached's level-3 lines (proto/state_trace.h) through the log's state_trace():
// each request's state transitions around its lines, and each lookup's "> FOUND KEY" among
// its reply lines, where memcached prints it.
//
// Cost: with no log attached (verbosity < 2) a codec tests one pointer per request and
// allocates nothing. Views passed to the log live only during the call.
#pragma once

#include <string_view>

#include "proto/binary_header.h"
#include "proto/output.h"
#include "proto/state_trace.h"

namespace cuckood::proto {

class RequestLog {
 public:
  virtual void request(std::string_view line) noexcept = 0;
  virtual void reply(std::string_view line) noexcept = 0;
  // A line memcached prints without the connection's "<fd" or ">fd" prefix.
  virtual void note(std::string_view line) noexcept = 0;
  // -vvv: the connection's state machine as memcached's would be; null below verbosity 3.
  virtual StateTrace* state_trace() noexcept { return nullptr; }

 protected:
  ~RequestLog() = default;
};

// The text codec, once a request is answered: its command `line`, then the reply bytes from
// output.bytes[reply_from], then `held_back` (what noreply suppressed, "" if nothing). `path`:
// how it went through memcached's machine (kAnswered for a get family line that ended with
// END is taken as memcached's flushed retrieval).
void log_text_request(RequestLog& log, std::string_view line, const Output& output,
                      size_t reply_from, std::string_view held_back, RequestPath path);

// The reply bytes alone, from output.bytes[reply_from] (the text codec answers a long
// retrieval line in parts: its line is logged when it starts, each part's reply as it goes).
void log_text_reply(RequestLog& log, const Output& output, size_t reply_from);

// The binary codec, once a request is answered (or refused): its header, the bytes consumed
// for it (the key when they hold it) and the response packets from output.bytes[reply_from].
// `closes`: the connection closes after it (quit, or an error memcached closes on).
void log_binary_request(RequestLog& log, const binary::RequestHeader& header,
                        std::string_view consumed, const Output& output, size_t reply_from,
                        bool closes);

}  // namespace cuckood::proto
