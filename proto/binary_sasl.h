// -S in the binary protocol, as memcached 1.6.18 does it (proto_bin.c: authenticated(),
// bin_list_sasl_mechs, process_bin_sasl_auth and its completion): one connection's SASL state
// and the answers to the SASL opcodes.
//
// Under -S a connection is served only once a SASL exchange has authenticated it; before that
// every request but the SASL opcodes and Version is answered "auth error" and the connection
// closed (the codec does that, asking allows()). Any SASL request starts over: the connection
// is unauthenticated again until an exchange succeeds, as memcached's init_sasl_conn resets
// it. Without -S the SASL opcodes are unknown commands (the codec answers them so).
//
// Threading: used by its connection's worker only.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "proto/binary_header.h"
#include "proto/binary_replies.h"
#include "proto/sasl.h"
#include "proto/worker.h"

namespace cuckood::proto {

class BinarySasl {
 public:
  // memcached's MAX_SASL_MECH_LEN: a longer mechanism name is refused as invalid.
  static constexpr size_t kMaxMechanismLength = 32;

  static constexpr bool is_sasl_opcode(binary::Opcode opcode) noexcept {
    return opcode == binary::Opcode::kSaslListMechs || opcode == binary::Opcode::kSaslAuth ||
           opcode == binary::Opcode::kSaslStep;
  }

  // Whether a request with `opcode` may be served on this connection now.
  bool allows(const Worker& w, binary::Opcode opcode) const noexcept {
    return !w.settings.sasl || authenticated_ || is_sasl_opcode(opcode) ||
           opcode == binary::Opcode::kVersion;
  }

  // What an Auth or Step request is refused with before its data is read (kSuccess: none):
  // kInvalidArguments for a mechanism name over kMaxMechanismLength, kOutOfMemory for data
  // that would not fit one of memcached's unchunked items (it reads the data into one). The
  // data of a refused request is skipped, and the connection stays open.
  static binary::Status refusal(const Worker& w, size_t mechanism_length,
                                size_t data_length) noexcept;

  // List Mechs: the mechanisms, separated by spaces, as the value; "auth error" when they
  // cannot be listed.
  void list_mechanisms(Worker& w, std::string& out, binary::Reply reply);

  // Auth (`step` false) or Step: runs the exchange and answers "Authenticated" (success),
  // the mechanism's challenge with status 0x21 (continue) or "auth error" (failure; a Step
  // without an Auth that continued fails). Successes and failures count in auth_cmds, failures
  // also in auth_errors.
  void authenticate(Worker& w, std::string& out, binary::Reply reply, bool step,
                    std::string_view mechanism, std::string_view data);

  bool authenticated() const noexcept { return authenticated_; }

 private:
  // memcached's init_sasl_conn: forgets the authentication and opens the exchange if this
  // connection has none yet. False when there is no exchange.
  bool restart(Worker& w);

  std::unique_ptr<SaslExchange> exchange_;
  bool authenticated_ = false;
  bool started_ = false;  // an Auth succeeded or continued: a Step may follow
};

}  // namespace cuckood::proto
