// One client connection's protocol state, independent of sockets: net/ hands it the bytes
// received and sends the bytes it appends. Unless -B (or the listener) fixes the protocol, the
// first byte of a connection picks it, as in memcached: 0x80 is the binary protocol's request
// magic, anything else is text. Under -Y a text connection must authenticate first
// (proto/text_auth.h).
//
// After `watch` a session only streams log lines (drain_watch) and discards its input, as
// memcached's conn_watch.
//
// Threading: a Session is used by its worker's thread only.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "proto/binary_protocol.h"
#include "proto/output.h"
#include "proto/request_log.h"
#include "proto/text_auth.h"
#include "proto/text_protocol.h"
#include "proto/worker.h"

namespace cuckood::proto {

class Session {
 public:
  // `client_fd` identifies the connection in log entries (memcached's cfd).
  explicit Session(Worker& worker, BindingProtocol protocol = BindingProtocol::kAuto,
                   int client_fd = -1) noexcept
      : worker_(worker),
        protocol_(protocol == BindingProtocol::kAscii    ? Protocol::kText
                  : protocol == BindingProtocol::kBinary ? Protocol::kBinary
                                                         : Protocol::kUndecided),
        client_fd_(client_fd),
        authenticated_(worker.settings.auth_file.empty()) {}
  // A watching session stops watching.
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // Consumes every complete request at the front of `input` (pipelining), appending each
  // response to `output` in request order. Returns the bytes consumed; the caller keeps the
  // rest (a partial request) and presents it again, followed by more input. Keys and values
  // are views into `input`, used only during the call.
  // Large values may be appended as slices of `output` (proto/output.h).
  // `log` (-vv), when given, hears each request as its codec decoded it, then that request's
  // reply (proto/request_log.h); values are then copied into `output`, never sliced. Null
  // (the default) costs one pointer test per request.
  size_t process(std::string_view input, Output& output, RequestLog* log = nullptr) noexcept;
  // The same into a plain string: every value copied (tests, tools).
  size_t process(std::string_view input, std::string& output, RequestLog* log = nullptr) noexcept;

  // How many bytes, counted from the first unconsumed one, the next request needs in all,
  // when its header announced it (a value of known length); 0 = unknown. net/ may wait for
  // that much before calling process() again, so a large value is parsed once.
  size_t bytes_wanted() const noexcept { return control_.bytes_wanted; }

  // A refused value's bytes are being discarded as they arrive (memcached's conn_swallow).
  bool swallowing() const noexcept { return text_.swallowing() || binary_.swallowing(); }

  // -vvv: what the last process() left undecoded as memcached's machine sees it; `bytes_kept`:
  // the caller kept unconsumed bytes.
  InputLeft input_left(bool bytes_kept) const noexcept {
    if (swallowing()) return InputLeft::kSwallow;
    if (bytes_wanted() != 0) return InputLeft::kValue;
    return bytes_kept ? InputLeft::kPartialRequest : InputLeft::kNone;
  }

  // The connection is to be closed once `output` has been sent (quit, or an error after
  // which memcached closes the connection).
  bool should_close() const noexcept { return control_.close; }
  // The close was asked for by the client (quit), not forced by an error.
  bool closed_by_quit() const noexcept { return control_.quit; }

  // `watch` made this session a watcher: it only receives log lines.
  bool watching() const noexcept { return control_.watcher >= 0; }
  // Appends the log lines waiting for this watcher to `output`, about `max_bytes` at most;
  // returns the bytes appended.
  size_t drain_watch(Output& output, size_t max_bytes);

  // -R: process() decodes at most this many more requests (each complete request takes one),
  // then returns with the rest unconsumed until the budget is set again. Unlimited by default.
  void set_request_budget(size_t requests) noexcept { control_.requests_left = requests; }
  size_t request_budget() const noexcept { return control_.requests_left; }

  // process() decodes no further request once `output` holds more than `bytes` (the request
  // that crosses it is answered whole, as is a long get line's key). Unlimited by default.
  void set_output_limit(size_t bytes) noexcept { control_.output_limit = bytes; }

 private:
  enum class Protocol { kUndecided, kText, kBinary };

  // process() once the protocol is known and the log set up.
  size_t process_requests(std::string_view input, Output& output, RequestLog* log) noexcept;

  Worker& worker_;
  Protocol protocol_;
  const int client_fd_;
  SessionControl control_;
  TextProtocol text_;
  BinaryProtocol binary_;
  // -Y: a text connection is gated by TextAuth until it authenticates.
  TextAuth auth_;
  bool authenticated_;
};

}  // namespace cuckood::proto
