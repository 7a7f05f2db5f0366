// -Z's certificates as `refresh_certs` reloads them: the TLS context (net/tls.h) implements
// this; proto/ only asks it.
#pragma once

#include <string>

namespace cuckood::proto {

class CertificateReloader {
 public:
  virtual ~CertificateReloader() = default;
  // Loads the chain, key and CA files again (connections opened afterwards use them). False
  // with memcached's message in `error` when one cannot be loaded.
  virtual bool reload(std::string& error) noexcept = 0;
};

}  // namespace cuckood::proto
