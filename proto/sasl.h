// The SASL mechanism behind -S, as the binary protocol's SASL opcodes use it: a process-wide
// SaslServer opens one SaslExchange per connection that asks for one, and the exchange runs
// the mechanism's steps. proto/cyrus_sasl.h implements it with Cyrus SASL; tests may give
// their own.
//
// Threading: SaslServer::open may be called by any worker at any time; an exchange is used by
// its connection's worker only.
#pragma once

#include <memory>
#include <string>
#include <string_view>

namespace cuckood::proto {

enum class SaslOutcome {
  kAuthenticated,  // the client proved who it is
  kContinue,       // the mechanism sent a challenge and waits for a step
  kFailed,         // wrong credentials, unknown mechanism, or a mechanism error
};

struct SaslReply {
  SaslOutcome outcome = SaslOutcome::kFailed;
  // The server's data for the client (a challenge with kContinue). Lifetime: valid until the
  // exchange's next call.
  std::string_view data;
};

// One connection's SASL conversation.
class SaslExchange {
 public:
  virtual ~SaslExchange() = default;
  // The mechanisms offered, separated by single spaces; false if they cannot be listed.
  virtual bool list_mechanisms(std::string& out) = 0;
  // Starts `mechanism` with the client's first data (empty: none).
  virtual SaslReply start(const std::string& mechanism, std::string_view data) = 0;
  // Answers a challenge; only after a start that continued.
  virtual SaslReply step(std::string_view data) = 0;
};

class SaslServer {
 public:
  virtual ~SaslServer() = default;
  // A new exchange, or null when the mechanism layer cannot open one.
  virtual std::unique_ptr<SaslExchange> open() = 0;
};

}  // namespace cuckood::proto
