// What a protocol codec tells its Session (and through it, net/) besides response bytes.
#pragma once

#include <cstddef>
#include <cstdint>

namespace cuckood::proto {

struct SessionControl {
  size_t bytes_wanted = 0;  // see Session::bytes_wanted
  bool close = false;       // close after sending the output
  bool quit = false;        // ...because the client asked (quit): a normal close, not an error
  // `watch` attached this connection to the log as this watcher (WatchLog): from now on it only
  // receives log lines, and its input is discarded. -1: not watching.
  int watcher = -1;
  // Requests a codec may still decode before it returns (-R); each complete request takes one.
  size_t requests_left = SIZE_MAX;
  // Output size past which a codec decodes no further request (net/'s backpressure): a few
  // requests that each produce megabytes must not pile up far beyond the connection's bound.
  // The request that crosses it is answered whole.
  size_t output_limit = SIZE_MAX;

  bool may_decode(size_t output_size) const noexcept {
    return !close && requests_left != 0 && output_size <= output_limit;
  }
};

}  // namespace cuckood::proto
