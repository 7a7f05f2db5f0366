// -S through Cyrus SASL, configured as memcached 1.6.18 configures it (its sasl_defs.c), so an
// existing memcached SASL setup works unchanged: the service is "memcached", so Cyrus reads
// memcached.conf (mech_list, sasldb_path, ...) from the directory memcached_sasl_conf_path()
// finds, and the users are those `saslpasswd2 -a memcached` made. A user who names no realm is
// looked up in the host name's realm (gethostname), as memcached passes it. Cyrus's log lines
// go to stderr at memcached's verbosity: warnings and failures from -v, the rest from -vv.
//
// Cyrus keeps process-wide state: one CyrusSasl per process, created before workers serve and
// destroyed after they stop. Workers open exchanges concurrently, so it gives Cyrus real
// mutexes (Cyrus's own defaults do not lock).
#pragma once

#include <atomic>
#include <memory>
#include <stdexcept>
#include <string>

#include "proto/sasl.h"

namespace cuckood::proto {

// Cyrus refused to start (no configuration found, an unreadable one).
class SaslInitError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Where memcached looks for memcached.conf: the directory $SASL_CONF_PATH names; else
// /etc/sasl/memcached.conf or /etc/sasl2/memcached.conf, each either the file itself (its
// directory is returned) or a directory holding the file. Empty when there is none, with
// which Cyrus, as in memcached, refuses to start.
std::string memcached_sasl_conf_path();

class CyrusSasl final : public SaslServer {
 public:
  // Starts Cyrus with the configuration in the directory `conf_path`; `verbosity` (-v, the
  // `verbosity` command) decides which of its log lines are printed. Throws SaslInitError
  // with memcached's words when Cyrus refuses.
  CyrusSasl(std::string conf_path, const std::atomic<int>& verbosity);
  ~CyrusSasl() override;
  CyrusSasl(const CyrusSasl&) = delete;
  CyrusSasl& operator=(const CyrusSasl&) = delete;

  std::unique_ptr<SaslExchange> open() override;

  // The callbacks' context: what they read, fixed for the life of the object.
  struct Config {
    std::string conf_path;
    const std::atomic<int>& verbosity;
  };

 private:
  struct Callbacks;
  Config config_;
  std::unique_ptr<Callbacks> callbacks_;
  std::string realm_;  // gethostname(); empty: none
};

}  // namespace cuckood::proto
