// Shows replies of the fuzz targets' sessions on stderr, escaped: where two that should be equal
// part (before a target aborts), or a whole reply (replaying an input with CUCKOOD_FUZZ_SHOW=1).
#pragma once

#include <string_view>

namespace cuckood::fuzz {

// `what` names the property; `name_a`/`name_b` the two sides.
void print_difference(std::string_view what, std::string_view name_a, std::string_view a,
                      std::string_view name_b, std::string_view b);

// A whole reply, when the environment variable CUCKOOD_FUZZ_SHOW is set (else nothing).
void show_reply(std::string_view name, std::string_view reply);

}  // namespace cuckood::fuzz
