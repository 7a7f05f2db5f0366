// memcached's text protocol (classic commands; meta commands in a later step): decodes every
// complete request line (and data block) in the input, runs it through the command layer
// (proto/commands.h) and appends the text response.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "proto/session_control.h"
#include "proto/worker.h"

namespace cuckood::proto {

class TextProtocol {
 public:
  // Same contract as Session::process.
  size_t process(Worker& w, std::string_view input, std::string& output,
                 SessionControl& control) noexcept;

 private:
  // TO BE DESIGNED by the text codec: e.g. bytes still to swallow after a refused value.
  uint64_t swallow_ = 0;
};

}  // namespace cuckood::proto
