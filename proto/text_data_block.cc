#include "proto/text_data_block.h"

#include <climits>
#include <cstdint>

#include "proto/commands.h"
#include "proto/text_numbers.h"
#include "proto/text_replies.h"

namespace cuckood::proto::text {

bool parse_data_block(std::string_view length, DataBlock& block) noexcept {
  int32_t n = 0;
  if (!parse_strtol32(length, n) || n < 0 || n > INT_MAX - 2) return false;
  block.value_size = static_cast<size_t>(n);
  block.block_size = block.value_size + kCrlf.size();
  return true;
}

void refuse_data_block(TextRequest& r, const DataBlock& block, std::string_view error) noexcept {
  r.reply(error);
  r.swallow = block.block_size;
}

bool take_data_block(TextRequest& r, const DataBlock& block, StoreMode mode, std::string_view key,
                     Family family, std::string_view& value) noexcept {
  if (!fits(r.w, key.size(), block.value_size)) {
    refuse_too_large(r.w, mode, key, family);
    refuse_data_block(r, block, kTooLarge);
    return false;
  }
  if (r.rest.size() < block.block_size) {
    r.value_wanted = block.block_size;
    return false;
  }
  r.value_consumed = block.block_size;
  if (r.rest.substr(block.value_size, kCrlf.size()) != kCrlf) {
    r.reply(kBadDataChunk);
    return false;
  }
  value = r.rest.substr(0, block.value_size);
  return true;
}

}  // namespace cuckood::proto::text
