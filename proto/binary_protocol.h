// memcached's binary protocol: decodes every complete request packet in the input, runs it
// through the command layer (proto/commands.h) and appends the response packets.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "proto/session_control.h"
#include "proto/worker.h"

namespace cuckood::proto {

class BinaryProtocol {
 public:
  // Same contract as Session::process.
  size_t process(Worker& w, std::string_view input, std::string& output,
                 SessionControl& control) noexcept;

 private:
  // TO BE DESIGNED by the binary codec.
  uint64_t swallow_ = 0;
};

}  // namespace cuckood::proto
