// memcached's slab class table (slabs.c slabs_init), which cuckood reports its statistics by:
// class 1 holds items up to 48 bytes of item header plus -n (chunk_size), each next class -f
// (growth_factor) times more, rounded up to 8 bytes, until slab_chunk_max / factor; the last
// class is slab_chunk_max. cuckood has no slab classes (items of every size share segments);
// grouping its figures by memcached's table gives `stats items`, `stats slabs` and the tools
// that read them (memcached-tool, memcached_exporter) the classes they expect.
#pragma once

#include <cstdint>
#include <vector>

#include "proto/settings.h"

namespace cuckood::proto {

// memcached's item header on 64-bit builds (sizeof(item)): the base of class 1's chunk.
inline constexpr uint32_t kMemcachedItemHeader = 48;
// memcached's slab page: what chunks_per_page divides.
inline constexpr uint32_t kSlabPageSize = 1 << 20;

// The largest item size of each class, class 1 first (at most 63 classes, as memcached).
std::vector<uint32_t> slab_classes(uint32_t chunk_size, double factor, uint32_t slab_chunk_max);

// The table of -n, -f and -o slab_chunk_max.
std::vector<uint32_t> slab_classes(const Settings& settings);

}  // namespace cuckood::proto
