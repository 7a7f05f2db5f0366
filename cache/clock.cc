// The default clock of a Cache: wall-clock Unix seconds. CLOCK_REALTIME_COARSE is read from
// the vDSO without a syscall; its tick (a few ms) is far below memcached's one-second grain.
#include <time.h>

#include "cache/cache.h"

namespace cuckood::cache {

Time wall_clock_now() noexcept {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME_COARSE, &ts);
  return static_cast<Time>(ts.tv_sec);
}

}  // namespace cuckood::cache
