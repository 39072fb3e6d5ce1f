// network/handshake.h: the mutual authentication of two nodes (network/P2P.md, "Handshake").
//
// Each side sends a Hello with a fresh 32-byte nonce, its node key and the chain id. On the
// other's Hello each side checks the version, the chain id, that the key is not its own (a
// connection to oneself) and that the owner allows the key (registered validators and configured
// full nodes), then sends an Auth: its BIP-340 signature of
//
//   AuthDigest = tagged_hash("circuledger/p2p-auth",
//                  u8 version | u32 len | chain id | 32 verifier's nonce | 32 signer key | 32 verifier key)
//
// The verifier's fresh nonce makes a recorded Auth useless on any other connection; both keys and
// the chain id bind it to this pair of nodes on this chain (a signature for A->B never verifies
// as B->A, nor on another chain). A Handshake is one connection's state: not thread-safe. It
// borrows the node's secret key, which must outlive it.
#pragma once

#include <functional>
#include <string>

#include "ledger/crypto.h"
#include "network/messages.h"
#include "network/reasons.h"

namespace circuledger::network {

// Whether a node key may connect (the owner's allow-list). Called on the transport's thread.
using KeyFilter = std::function<bool(const ledger::PubKey&)>;

// The 32 bytes the signer signs (see above). Canonical, length-prefixed, domain-tagged.
ledger::Hash256 AuthDigest(std::string_view chain_id, const Nonce& verifier_nonce,
                           const ledger::PubKey& signer_key, const ledger::PubKey& verifier_key);

class Handshake {
 public:
  // Draws a fresh nonce from the operating system's random source.
  Handshake(std::string chain_id, const ledger::SecretKey& key, KeyFilter allowed);

  const Hello& our_hello() const { return ours_; }

  struct Step {
    DisconnectReason error = DisconnectReason::kNone;  // kNone: send `auth`
    Auth auth;
  };
  // Checks the peer's Hello (once). Errors: kIncompatibleVersion, kWrongChain, kSelfConnection,
  // kUnknownKey, kUnexpectedMessage (a second Hello).
  Step OnHello(const Hello& theirs);
  // Verifies the peer's Auth after its Hello. kNone when the peer proved its key; otherwise
  // kBadSignature, or kUnexpectedMessage when no Hello came first.
  DisconnectReason OnAuth(const Auth& auth) const;

  bool got_hello() const { return got_hello_; }
  // The peer's claimed key (proven only once OnAuth returned kNone).
  const ledger::PubKey& peer_key() const { return theirs_.node_key; }

 private:
  const ledger::SecretKey& key_;
  KeyFilter allowed_;
  Hello ours_;
  Hello theirs_;
  bool got_hello_ = false;
};

}  // namespace circuledger::network
