#include "bench/load/self_signed.h"

#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "bench/load/tls_client.h"

namespace cuckood::load {
namespace {

struct KeyFree {
  void operator()(EVP_PKEY* key) const noexcept { EVP_PKEY_free(key); }
};
struct CertFree {
  void operator()(X509* cert) const noexcept { X509_free(cert); }
};

constexpr long kValidSeconds = 24 * 3600;

}  // namespace

void SslCtxFree::operator()(SSL_CTX* ctx) const noexcept {
  SSL_CTX_free(ctx);
}

SslCtxPtr self_signed_server_context(const std::string& common_name, uint64_t options,
                                     std::string& error) {
  std::unique_ptr<EVP_PKEY, KeyFree> key(EVP_EC_gen("P-256"));
  std::unique_ptr<X509, CertFree> cert(X509_new());
  SslCtxPtr ctx(SSL_CTX_new(TLS_server_method()));
  if (!key || !cert || !ctx) {
    error = openssl_error("out of memory");
    return nullptr;
  }
  X509_NAME* name = X509_get_subject_name(cert.get());
  const bool made =
      X509_set_version(cert.get(), 2) == 1 &&
      ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), 1) == 1 &&
      X509_gmtime_adj(X509_getm_notBefore(cert.get()), -60) != nullptr &&
      X509_gmtime_adj(X509_getm_notAfter(cert.get()), kValidSeconds) != nullptr &&
      X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                                 reinterpret_cast<const unsigned char*>(common_name.c_str()), -1,
                                 -1, 0) == 1 &&
      X509_set_issuer_name(cert.get(), name) == 1 && X509_set_pubkey(cert.get(), key.get()) == 1 &&
      X509_sign(cert.get(), key.get(), EVP_sha256()) > 0 &&
      SSL_CTX_use_certificate(ctx.get(), cert.get()) == 1 &&
      SSL_CTX_use_PrivateKey(ctx.get(), key.get()) == 1;
  if (!made) {
    error = openssl_error("cannot make a self-signed certificate");
    return nullptr;
  }
  SSL_CTX_set_options(ctx.get(), options);
  return ctx;
}

}  // namespace cuckood::load
