#include "proto/state_trace.h"

#include <algorithm>
#include <string>

#include "proto/output.h"
#include "proto/request_log.h"

namespace cuckood::proto {

std::string_view machine_state_name(MachineState state) noexcept {
  switch (state) {
    case MachineState::kNewCmd:
      return "conn_new_cmd";
    case MachineState::kWaiting:
      return "conn_waiting";
    case MachineState::kRead:
      return "conn_read";
    case MachineState::kParseCmd:
      return "conn_parse_cmd";
    case MachineState::kNread:
      return "conn_nread";
    case MachineState::kSwallow:
      return "conn_swallow";
    case MachineState::kMwrite:
      return "conn_mwrite";
    case MachineState::kClosing:
      return "conn_closing";
    case MachineState::kClosed:
      return "conn_closed";
  }
  return "conn_unknown";
}

void StateTrace::go(MachineState next) noexcept {
  if (next == state_) return;
  std::string line = std::to_string(fd_);
  line.append(": going from ").append(machine_state_name(state_));
  line.append(" to ").append(machine_state_name(next));
  log_.note(line);
  state_ = next;
}

void StateTrace::written() noexcept {
  go(MachineState::kNewCmd);
  if (close_after_write_) go(MachineState::kClosing);
}

// memcached's first event on a new connection finds no bytes read yet (conn_new_cmd ->
// conn_waiting), arms the read (conn_read), then reads (conn_parse_cmd).
void StateTrace::data_arrived() noexcept {
  if (state_ == MachineState::kNewCmd) {
    go(MachineState::kWaiting);
    go(MachineState::kRead);
  }
  if (state_ == MachineState::kRead) go(MachineState::kParseCmd);
}

// With a request's value to come memcached parses on (conn_parse_cmd) and reads it; with the
// start of a request, it tries to parse it (conn_parse_cmd), and finding too little flushes
// the queued replies and waits for the next read.
void StateTrace::read_done(InputLeft left) noexcept {
  if (state_ == MachineState::kSwallow) {
    if (left == InputLeft::kSwallow) return;
    go(MachineState::kNewCmd);
  }
  if (left == InputLeft::kValue) {
    if (state_ == MachineState::kMwrite) written();
    if (state_ == MachineState::kNewCmd) go(MachineState::kParseCmd);
    return;
  }
  const bool partial = left == InputLeft::kPartialRequest;
  if (state_ == MachineState::kNewCmd) {
    if (partial) go(MachineState::kParseCmd);
    go(MachineState::kMwrite);
  }
  if (state_ == MachineState::kMwrite) {
    written();
    if (partial && state_ == MachineState::kNewCmd) go(MachineState::kParseCmd);
  }
  if (state_ == MachineState::kNewCmd || state_ == MachineState::kParseCmd) {
    go(MachineState::kWaiting);
  }
  if (state_ == MachineState::kWaiting) go(MachineState::kRead);
}

// A connection closed before it sent anything: memcached's first event was its end.
void StateTrace::closing() noexcept {
  if (state_ == MachineState::kNewCmd) {
    go(MachineState::kWaiting);
    go(MachineState::kRead);
  }
  go(MachineState::kClosing);
}

void StateTrace::closed() noexcept {
  go(MachineState::kClosing);
  go(MachineState::kClosed);
}

void StateTrace::set_output(const Output* output) noexcept {
  output_ = output;
  for (Lookup& lookup : lookups_) lookup.offset = 0;
}

void StateTrace::lookup_starts() noexcept {
  lookup_offset_ = output_ != nullptr ? output_->bytes.size() : SIZE_MAX;
}

void StateTrace::looked_up(std::string_view key, bool found) noexcept {
  size_t offset = lookup_offset_;
  if (offset == SIZE_MAX && output_ != nullptr) offset = output_->bytes.size();
  lookup_offset_ = SIZE_MAX;
  lookups_.push_back(Lookup{std::string(key), offset, found});
}

void StateTrace::print_lookups(size_t offset) noexcept {
  size_t printed = 0;
  for (const Lookup& lookup : lookups_) {
    if (lookup.offset > offset) break;
    std::string line = lookup.found ? "> FOUND KEY " : "> NOT FOUND ";
    log_.note(line.append(lookup.key));
    ++printed;
  }
  lookups_.erase(lookups_.begin(), lookups_.begin() + static_cast<ptrdiff_t>(printed));
}

// The next request follows in the same read: memcached's conn_new_cmd finds bytes left.
void StateTrace::request_begins() noexcept {
  if (state_ == MachineState::kSwallow) go(MachineState::kNewCmd);
  if (state_ == MachineState::kMwrite) written();
  if (state_ == MachineState::kNewCmd || state_ == MachineState::kRead) {
    go(MachineState::kParseCmd);
  }
}

void StateTrace::request_ends(RequestPath path) noexcept {
  if (path == RequestPath::kValueRefused) {
    go(MachineState::kNewCmd);
    go(MachineState::kSwallow);
  } else if (path == RequestPath::kErrorSwallow) {
    go(MachineState::kSwallow);
  }
  print_lookups(SIZE_MAX);
  switch (path) {
    case RequestPath::kAnswered:
    case RequestPath::kValueRead:
      go(MachineState::kNewCmd);
      break;
    case RequestPath::kFlushed:
    case RequestPath::kValueFlushed:
      go(MachineState::kMwrite);
      break;
    case RequestPath::kValueRefused:
    case RequestPath::kErrorSwallow:
      break;
    case RequestPath::kQuit:
      go(MachineState::kMwrite);
      close_after_write_ = true;
      break;
    case RequestPath::kAnsweredQuit:
      go(MachineState::kNewCmd);
      close_after_write_ = true;
      break;
    case RequestPath::kClosed:
      go(MachineState::kClosing);
      break;
  }
}

}  // namespace cuckood::proto
