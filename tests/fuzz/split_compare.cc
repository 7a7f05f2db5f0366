#include "tests/fuzz/split_compare.h"

#include <cstdlib>
#include <string>

#include "tests/fuzz/difference.h"

namespace cuckood::fuzz {

namespace {

// Whether the two answers agree up to a reply line that refuses `watch` or `lru_crawler
// metadump` because other requests' replies were still unsent: as in memcached, that depends
// on where the reads ended (after a watch that succeeds, the session only streams log lines).
bool refused_behind_pipeline(std::string_view a, std::string_view b) {
  constexpr std::string_view kRefusal = "ERROR cannot pipeline other commands before ";
  size_t first = 0;
  while (first < a.size() && first < b.size() && a[first] == b[first]) ++first;
  const size_t line = a.rfind('\n', first == 0 ? 0 : first - 1);
  const size_t start = line == std::string_view::npos || first == 0 ? 0 : line + 1;
  return a.substr(start).starts_with(kRefusal) || b.substr(start).starts_with(kRefusal);
}

}  // namespace

Agreement compare_with_reference(std::string_view reference, std::string_view other, bool binary,
                                 bool other_stopped, StatRule rule) {
  if (other_stopped) {
    if (reference.starts_with(other)) return Agreement::kPrefix;
    const std::string masked_reference = mask_stats(reference, binary, rule);
    const std::string masked_other = mask_stats(other, binary, rule);
    if (masked_reference.starts_with(masked_other)) return Agreement::kPrefix;
    // A watch one side refused behind pipelined requests and the other ran (and then closed on).
    return refused_behind_pipeline(masked_reference, masked_other)
               ? Agreement::kRefusedBehindPipeline
               : Agreement::kDiffer;
  }
  if (reference == other) return Agreement::kEqual;
  const std::string masked_reference = mask_stats(reference, binary, rule);
  const std::string masked_other = mask_stats(other, binary, rule);
  if (masked_reference == masked_other) return Agreement::kEqual;
  if (refused_behind_pipeline(masked_reference, masked_other)) {
    return Agreement::kRefusedBehindPipeline;
  }
  return Agreement::kDiffer;
}

bool AgreementCounts::add(Agreement agreement) noexcept {
  switch (agreement) {
    case Agreement::kEqual:
      ++equal;
      return true;
    case Agreement::kPrefix:
      ++prefix;
      return true;
    case Agreement::kRefusedBehindPipeline:
      ++pipelined;
      return true;
    case Agreement::kDiffer:
      break;
  }
  return false;
}

void abort_on_difference(std::string_view what, std::string_view reference, std::string_view other,
                         bool binary, StatRule rule) {
  print_difference(what, "reference", mask_stats(reference, binary, rule), "other",
                   mask_stats(other, binary, rule));
  std::abort();
}

}  // namespace cuckood::fuzz
