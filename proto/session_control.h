// What a protocol codec tells its Session (and through it, net/) besides response bytes.
#pragma once

#include <cstddef>

namespace cuckood::proto {

struct SessionControl {
  size_t bytes_wanted = 0;  // see Session::bytes_wanted
  bool close = false;       // close after sending the output
};

}  // namespace cuckood::proto
