#include "proto/slab_classes.h"

#include "cache/size_classes.h"

namespace cuckood::proto {

std::vector<uint32_t> slab_classes(uint32_t chunk_size, double factor, uint32_t slab_chunk_max) {
  constexpr uint32_t kAlign = 8;  // memcached's CHUNK_ALIGN_BYTES
  std::vector<uint32_t> bounds;
  // memcached's arithmetic, unsigned truncation of size * factor included.
  auto size = static_cast<uint32_t>(kMemcachedItemHeader + chunk_size);
  while (bounds.size() + 1 < cache::SizeClasses::kMaxClasses &&
         size < static_cast<double>(slab_chunk_max) / factor) {
    if (size % kAlign != 0) size += kAlign - size % kAlign;
    bounds.push_back(size);
    size = static_cast<uint32_t>(size * factor);
  }
  bounds.push_back(slab_chunk_max);
  return bounds;
}

std::vector<uint32_t> slab_classes(const Settings& settings) {
  return slab_classes(static_cast<uint32_t>(settings.chunk_size), settings.growth_factor,
                      static_cast<uint32_t>(settings.slab_chunk_max));
}

}  // namespace cuckood::proto
