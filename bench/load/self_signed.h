// A throwaway TLS identity made in memory (an EC P-256 key and a self-signed certificate), for
// the kTLS probe and the generator's TLS tests: nothing to write to or clean from disk.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

using SSL_CTX = struct ssl_ctx_st;

namespace cuckood::load {

struct SslCtxFree {
  void operator()(SSL_CTX* ctx) const noexcept;
};
using SslCtxPtr = std::unique_ptr<SSL_CTX, SslCtxFree>;

// A server context presenting a fresh self-signed certificate for `common_name`; null with
// `error` set when OpenSSL fails. `options` are SSL_OP_* bits set on the context.
SslCtxPtr self_signed_server_context(const std::string& common_name, uint64_t options,
                                     std::string& error);

}  // namespace cuckood::load
