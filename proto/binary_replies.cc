#include "proto/binary_replies.h"

#include "cache/copy_bytes.h"

namespace cuckood::proto::binary {

std::string_view status_message(Status status) noexcept {
  // memcached's words (proto_bin.c, write_bin_error); clients may show them to users.
  switch (status) {
    case Status::kSuccess:
      return {};
    case Status::kKeyNotFound:
      return "Not found";
    case Status::kKeyExists:
      return "Data exists for key.";
    case Status::kTooLarge:
      return "Too large.";
    case Status::kInvalidArguments:
      return "Invalid arguments";
    case Status::kNotStored:
      return "Not stored.";
    case Status::kNonNumeric:
      return "Non-numeric server-side value for incr or decr";
    case Status::kAuthError:
      return "Auth failure.";
    case Status::kAuthContinue:
      return {};
    case Status::kUnknownCommand:
      return "Unknown command";
    case Status::kOutOfMemory:
      return "Out of memory";
  }
  return "Unknown error";
}

namespace {

// Header, extras and key of a packet whose value (`value_size` bytes) the caller appends.
void append_head(std::string& out, Reply reply, Status status, uint64_t cas,
                 std::string_view extras, std::string_view key, size_t value_size) {
  ResponseHeader h;
  h.opcode = reply.opcode;
  h.key_length = static_cast<uint16_t>(key.size());
  h.extras_length = static_cast<uint8_t>(extras.size());
  h.status = status;
  h.body_length = static_cast<uint32_t>(extras.size() + key.size() + value_size);
  h.opaque = reply.opaque;
  h.cas = cas;
  char header[kHeaderSize];
  encode_response_header(h, header);
  out.append(header, sizeof(header));
  out.append(extras);
  out.append(key);
}

}  // namespace

void append_packet(std::string& out, Reply reply, Status status, uint64_t cas,
                   std::string_view extras, std::string_view key, std::string_view value) {
  append_head(out, reply, status, cas, extras, key, value.size());
  cache::append_bytes(out, value);
}

void append_success(std::string& out, Reply reply, uint64_t cas) {
  append_packet(out, reply, Status::kSuccess, cas, {}, {}, {});
}

void append_error(std::string& out, Reply reply, Status status) {
  append_error(out, reply, status, status_message(status));
}

void append_error(std::string& out, Reply reply, Status status, std::string_view message) {
  append_packet(out, reply, status, 0, {}, {}, message);
}

void append_miss_with_key(std::string& out, Reply reply, std::string_view key) {
  append_packet(out, reply, Status::kKeyNotFound, 0, {}, key, {});
}

void append_item(Output& out, Reply reply, const cache::ItemView& item, bool with_key,
                 bool with_value) {
  char flags[kFlagsExtrasSize];
  store_big(flags, item.flags);
  const std::string_view value = with_value ? item.value : std::string_view{};
  append_head(out.bytes, reply, Status::kSuccess, item.cas, {flags, sizeof(flags)},
              with_key ? item.key : std::string_view{}, value.size());
  out.append_value(value);
}

void append_counter(std::string& out, Reply reply, uint64_t cas, uint64_t value) {
  char body[sizeof(value)];
  store_big(body, value);
  append_packet(out, reply, Status::kSuccess, cas, {}, {}, {body, sizeof(body)});
}

void append_stat(std::string& out, Reply reply, std::string_view name, std::string_view value) {
  append_packet(out, reply, Status::kSuccess, 0, {}, name, value);
}

}  // namespace cuckood::proto::binary
