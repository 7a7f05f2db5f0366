#include "proto/text_auth.h"

#include <algorithm>

#include "proto/text_numbers.h"
#include "proto/text_protocol.h"
#include "proto/text_tokenizer.h"

namespace cuckood::proto {

namespace {

constexpr std::string_view kStored = "STORED\r\n";
constexpr std::string_view kUnauthenticated = "CLIENT_ERROR unauthenticated\r\n";
constexpr std::string_view kFailure = "CLIENT_ERROR authentication failure\r\n";
constexpr std::string_view kBadTermination = "CLIENT_ERROR bad command line termination\r\n";
constexpr std::string_view kBadFormat = "CLIENT_ERROR bad authentication token format\r\n";

void fail(Worker& w, Output& output) {
  w.stats.auth_cmds.add();
  w.stats.auth_errors.add();
  output.bytes.append(kFailure);
}

}  // namespace

size_t TextAuth::process(Worker& w, std::string_view input, Output& output, SessionControl& control,
                         bool& authenticated) noexcept {
  control.bytes_wanted = 0;
  if (discard_ > 0) {
    const size_t n = static_cast<size_t>(std::min<uint64_t>(discard_, input.size()));
    discard_ -= n;
    if (discard_ == 0) fail(w, output);
    return n;
  }
  const size_t newline = input.find('\n');
  if (newline == std::string_view::npos) {
    if (input.size() > kMaxLineWithoutNewline) control.close = true;
    return 0;
  }
  const size_t line_size = newline + 1;
  std::string_view line = input.substr(0, newline);
  if (line.ends_with('\r')) line.remove_suffix(1);
  text::Tokens tokens;
  text::tokenize(line, tokens);
  uint32_t length = 0;
  if (tokens.count() < 5 || tokens[0] != "set" || !text::parse_strtoul32(tokens[4], length)) {
    output.bytes.append(kUnauthenticated);
    return line_size;
  }
  const size_t block = size_t{length} + 2;
  if (block > kMaxCredentials) {
    discard_ = block;
    return line_size;
  }
  if (input.size() - line_size < block) {
    control.bytes_wanted = line_size + block;
    return 0;
  }
  const std::string_view data = input.substr(line_size, block);
  if (!data.ends_with("\r\n")) {
    output.bytes.append(kBadTermination);
    return line_size + block;
  }
  text::Tokens credentials;
  text::tokenize(data.substr(0, length), credentials);
  if (credentials.count() < 2) {
    output.bytes.append(kBadFormat);
    return line_size + block;
  }
  if (!w.server.auth_file.check(credentials[0], credentials[1])) {
    fail(w, output);
    return line_size + block;
  }
  w.stats.auth_cmds.add();
  output.bytes.append(kStored);
  authenticated = true;
  return line_size + block;
}

}  // namespace cuckood::proto
