// The data block of a text storage command (set/add/replace/append/prepend/cas and meta ms):
// the line announces <length>, then exactly that many bytes and "\r\n" follow. Written once
// here so the classic and meta commands frame it alike, in memcached's order: the length is
// bounded when the line is read; a value that can never fit is refused before it arrives
// and its block swallowed as it streams in; an incomplete block is waited for; a block not
// ended by "\r\n" is "CLIENT_ERROR bad data chunk" (the block is still consumed).
//
// Lifetime: the value returned by take_data_block is a view into the TextRequest's input.
#pragma once

#include <cstddef>
#include <string_view>

#include "proto/command_results.h"
#include "proto/commands.h"
#include "proto/text_handlers.h"

namespace cuckood::proto::text {

struct DataBlock {
  size_t value_size = 0;
  size_t block_size = 0;  // value and its "\r\n"
};

// Parses the length token as memcached does (strtol, then 0 ≤ length ≤ INT_MAX - 2).
// False: the line is malformed and no block is expected.
bool parse_data_block(std::string_view length, DataBlock& block) noexcept;

// Answers `error` and swallows the block: for errors found after the length is known.
void refuse_data_block(TextRequest& r, const DataBlock& block, std::string_view error) noexcept;

// Takes the block that follows the line, for a store of `mode` under `key`. True: `value` is
// complete and well framed, consumed with its "\r\n". False: the request is answered (too
// large: refused as `removes` says and swallowed; bad data chunk: consumed) or waits for more
// input (r.value_wanted set).
bool take_data_block(TextRequest& r, const DataBlock& block, StoreMode mode, std::string_view key,
                     Family family, std::string_view& value) noexcept;

}  // namespace cuckood::proto::text
