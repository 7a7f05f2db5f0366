#include "proto/session.h"

#include "proto/binary_header.h"

namespace cuckood::proto {

Session::~Session() {
  if (watching()) worker_.server.watch_log.detach(static_cast<size_t>(control_.watcher));
}

size_t Session::drain_watch(Output& output, size_t max_bytes) {
  return worker_.server.watch_log.drain(static_cast<size_t>(control_.watcher), output.bytes,
                                        max_bytes);
}

size_t Session::process(std::string_view input, std::string& output, RequestLog* log) noexcept {
  Output plain;
  plain.bytes.swap(output);
  const size_t consumed = process(input, plain, log);
  output.swap(plain.bytes);
  return consumed;
}

size_t Session::process(std::string_view input, Output& output, RequestLog* log) noexcept {
  if (input.empty() || control_.close) return 0;
  if (watching()) return input.size();  // a watcher's input is read and dropped
  worker_.client_fd = client_fd_;
  if (protocol_ == Protocol::kUndecided) {
    protocol_ = static_cast<unsigned char>(input.front()) == binary::kRequestMagic
                    ? Protocol::kBinary
                    : Protocol::kText;
    if (log != nullptr) {
      log->note(std::to_string(client_fd_) + ": Client using the " +
                (protocol_ == Protocol::kBinary ? "binary" : "ascii") + " protocol");
    }
  }
  // The log reads the replies in output.bytes: values are copied there while it listens.
  output.log_values(log != nullptr);
  StateTrace* trace = log != nullptr ? log->state_trace() : nullptr;
  if (trace != nullptr) trace->set_output(&output);
  worker_.state_trace = trace;
  const size_t consumed = process_requests(input, output, log);
  worker_.state_trace = nullptr;
  if (trace != nullptr) {
    trace->set_output(nullptr);
    if (log->state_trace() == nullptr) trace->drop_lookups();  // -vvv ended during the call
  }
  return consumed;
}

size_t Session::process_requests(std::string_view input, Output& output, RequestLog* log) noexcept {
  if (protocol_ == Protocol::kBinary) return binary_.process(worker_, input, output, control_, log);
  size_t consumed = 0;
  while (!authenticated_ && consumed < input.size() && !control_.close) {
    const size_t n =
        auth_.process(worker_, input.substr(consumed), output, control_, authenticated_);
    if (n == 0) break;
    consumed += n;
  }
  if (authenticated_ && consumed < input.size()) {
    consumed += text_.process(worker_, input.substr(consumed), output, control_, log);
  }
  return consumed;
}

}  // namespace cuckood::proto
