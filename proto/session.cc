#include "proto/session.h"

namespace cuckood::proto {

namespace {
constexpr unsigned char kBinaryRequestMagic = 0x80;
}

size_t Session::process(std::string_view input, std::string& output) noexcept {
  if (input.empty() || control_.close) return 0;
  if (protocol_ == Protocol::kUndecided) {
    protocol_ = static_cast<unsigned char>(input.front()) == kBinaryRequestMagic ? Protocol::kBinary
                                                                                 : Protocol::kText;
  }
  const size_t before = output.size();
  const size_t consumed = protocol_ == Protocol::kBinary
                              ? binary_.process(worker_, input, output, control_)
                              : text_.process(worker_, input, output, control_);
  worker_.stats.bytes_read.add(consumed);
  worker_.stats.bytes_written.add(output.size() - before);
  return consumed;
}

}  // namespace cuckood::proto
