#include "proto/session.h"

#include "proto/binary_header.h"

namespace cuckood::proto {

size_t Session::process(std::string_view input, std::string& output, RequestLog* log) noexcept {
  Output plain;
  plain.bytes.swap(output);
  const size_t consumed = process(input, plain, log);
  output.swap(plain.bytes);
  return consumed;
}

size_t Session::process(std::string_view input, Output& output, RequestLog* log) noexcept {
  if (input.empty() || control_.close) return 0;
  if (protocol_ == Protocol::kUndecided) {
    protocol_ = static_cast<unsigned char>(input.front()) == binary::kRequestMagic
                    ? Protocol::kBinary
                    : Protocol::kText;
  }
  // The log reads the replies in output.bytes: values are copied there while it listens.
  output.log_values(log != nullptr);
  const size_t before = output.size();
  size_t consumed = 0;
  if (protocol_ == Protocol::kBinary) {
    consumed = binary_.process(worker_, input, output, control_, log);
  } else {
    while (!authenticated_ && consumed < input.size() && !control_.close) {
      const size_t n =
          auth_.process(worker_, input.substr(consumed), output, control_, authenticated_);
      if (n == 0) break;
      consumed += n;
    }
    if (authenticated_ && consumed < input.size()) {
      consumed += text_.process(worker_, input.substr(consumed), output, control_, log);
    }
  }
  worker_.stats.bytes_read.add(consumed);
  worker_.stats.bytes_written.add(output.size() - before);
  return consumed;
}

}  // namespace cuckood::proto
