// Diagnostics on stderr, written only when -v/-vv (ServerState::verbosity) asks for them, so
// that the request path pays one relaxed load when they are off. One fprintf per line: stdio
// locks the stream per call, so lines of different workers do not interleave.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace cuckood::net {

void log_line(const char* format, ...) __attribute__((format(printf, 1, 2)));

// `bytes` with control and non-ASCII bytes escaped (\r, \n, \xNN), cut to `limit` input bytes.
std::string printable(std::string_view bytes, size_t limit);

}  // namespace cuckood::net
