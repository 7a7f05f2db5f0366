#include "proto/text_tokenizer.h"

namespace cuckood::proto::text {

std::string_view next_token(std::string_view& rest) noexcept {
  const size_t start = rest.find_first_not_of(' ');
  if (start == std::string_view::npos) {
    rest = {};
    return {};
  }
  const size_t end = rest.find(' ', start);
  const std::string_view token =
      rest.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
  rest = end == std::string_view::npos ? std::string_view{} : rest.substr(end + 1);
  return token;
}

void tokenize(std::string_view line, Tokens& out) noexcept {
  out.split.clear();
  std::string_view rest = line;
  while (!out.split.full()) {
    const std::string_view token = next_token(rest);
    if (token.empty()) break;
    out.split.push_back(token);
  }
  out.rest = rest;
}

}  // namespace cuckood::proto::text
