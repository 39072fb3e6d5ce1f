#include "network/handshake.h"

#include "network/detail/wire.h"

namespace circuledger::network {

ledger::Hash256 AuthDigest(std::string_view chain_id, const Nonce& verifier_nonce,
                           const ledger::PubKey& signer_key, const ledger::PubKey& verifier_key) {
  static const ledger::TaggedHasher kHasher("circuledger/p2p-auth");
  detail::WireWriter w(1 + 4 + chain_id.size() + 3 * 32);
  w.U8(limits::kProtocolVersion);
  w.Bytes(chain_id);
  w.Fixed(verifier_nonce);
  w.Fixed(signer_key);
  w.Fixed(verifier_key);
  return kHasher.Hash(w.Finish());
}

Handshake::Handshake(std::string chain_id, const ledger::SecretKey& key, KeyFilter allowed)
    : key_(key), allowed_(std::move(allowed)) {
  ours_.chain_id = std::move(chain_id);
  ours_.node_key = key_.Public();
  ledger::RandomBytes(ours_.nonce.bytes.data(), ours_.nonce.bytes.size());
}

Handshake::Step Handshake::OnHello(const Hello& theirs) {
  Step step;
  if (got_hello_) {
    step.error = DisconnectReason::kUnexpectedMessage;
    return step;
  }
  got_hello_ = true;
  theirs_ = theirs;
  if (theirs.version != ours_.version) {
    step.error = DisconnectReason::kIncompatibleVersion;
  } else if (theirs.chain_id != ours_.chain_id) {
    step.error = DisconnectReason::kWrongChain;
  } else if (theirs.node_key == ours_.node_key || theirs.nonce == ours_.nonce) {
    step.error = DisconnectReason::kSelfConnection;
  } else if (!allowed_ || !allowed_(theirs.node_key)) {
    step.error = DisconnectReason::kUnknownKey;
  } else {
    const ledger::Hash256 digest = AuthDigest(ours_.chain_id, theirs.nonce, ours_.node_key, theirs.node_key);
    step.auth.sig = key_.Sign(digest.View());
  }
  return step;
}

DisconnectReason Handshake::OnAuth(const Auth& auth) const {
  if (!got_hello_) return DisconnectReason::kUnexpectedMessage;
  const ledger::Hash256 digest = AuthDigest(ours_.chain_id, ours_.nonce, theirs_.node_key, ours_.node_key);
  return ledger::VerifySchnorr(theirs_.node_key, digest.View(), auth.sig) ? DisconnectReason::kNone
                                                                           : DisconnectReason::kBadSignature;
}

}  // namespace circuledger::network
