#include "consensus/messages.h"

#include <algorithm>

#include "consensus/limits.h"
#include "ledger/detail/codec.h"

namespace circuledger::consensus {

namespace {

// Domain tags: a signature under one can never be valid under another.
constexpr std::string_view kVoteTag = "circuledger/consensus/vote";
constexpr std::string_view kProposalTag = "circuledger/consensus/proposal";

}  // namespace

std::string_view StepName(Step s) {
  switch (s) {
    case Step::kPropose: return "propose";
    case Step::kPrevote: return "prevote";
    case Step::kPrecommit: return "precommit";
  }
  return "?";
}

std::optional<ValidatorSet> ValidatorSet::Make(std::vector<PubKey> keys) {
  if (keys.empty() || keys.size() > limits::kMaxValidators) return std::nullopt;
  std::sort(keys.begin(), keys.end());
  if (std::adjacent_find(keys.begin(), keys.end()) != keys.end()) return std::nullopt;
  ValidatorSet set;
  set.keys_ = std::move(keys);
  return set;
}

std::optional<size_t> ValidatorSet::IndexOf(const PubKey& key) const {
  auto it = std::lower_bound(keys_.begin(), keys_.end(), key);
  if (it == keys_.end() || *it != key) return std::nullopt;
  return static_cast<size_t>(it - keys_.begin());
}

// Sign bytes: the canonical archive of the fields, chain id first (length-prefixed, so no two
// field lists share an encoding).
Hash256 VoteSignHash(std::string_view chain_id, VoteType type, uint64_t height, uint32_t round,
                     const std::optional<Hash256>& value_id) {
  ledger::detail::Writer w;
  std::string chain(chain_id);
  w.Str(chain, limits::kMaxChainIdLen);
  uint8_t t = static_cast<uint8_t>(type);
  w.U8(t);
  w.U64(height);
  w.U32(round);
  uint8_t has = value_id ? 1 : 0;
  w.U8(has);
  if (value_id) {
    Hash256 id = *value_id;
    w.Fixed(id);
  }
  return ledger::TaggedHash(kVoteTag, w.Finish());
}

Hash256 ProposalSignHash(std::string_view chain_id, uint64_t height, uint32_t round,
                         const std::optional<uint32_t>& valid_round, const Hash256& value_id) {
  ledger::detail::Writer w;
  std::string chain(chain_id);
  w.Str(chain, limits::kMaxChainIdLen);
  w.U64(height);
  w.U32(round);
  uint8_t has = valid_round ? 1 : 0;
  w.U8(has);
  if (valid_round) {
    uint32_t vr = *valid_round;
    w.U32(vr);
  }
  Hash256 id = value_id;
  w.Fixed(id);
  return ledger::TaggedHash(kProposalTag, w.Finish());
}

Signature KeySigner::Sign(const Hash256& msg) const {
  if (deterministic_) return key_.Sign(msg.View(), ledger::FixedBytes<32>{});
  return key_.Sign(msg.View());
}

namespace {
class Bip340Verifier final : public SignatureVerifier {
 public:
  bool Verify(const PubKey& key, const Hash256& msg, const Signature& sig) const override {
    return ledger::VerifySchnorr(key, msg.View(), sig);
  }
};
}  // namespace

const SignatureVerifier& DefaultVerifier() {
  static const Bip340Verifier verifier;
  return verifier;
}

Vote MakeVote(const Signer& signer, std::string_view chain_id, VoteType type, uint64_t height,
              uint32_t round, const std::optional<Hash256>& value_id) {
  Vote v;
  v.type = type;
  v.height = height;
  v.round = round;
  v.value_id = value_id;
  v.validator = signer.Key();
  v.signature = signer.Sign(VoteSignHash(chain_id, type, height, round, value_id));
  return v;
}

Proposal MakeProposal(const Signer& signer, std::string_view chain_id, uint64_t height,
                      uint32_t round, const std::optional<uint32_t>& valid_round,
                      std::string value, const Hash256& value_id) {
  Proposal p;
  p.height = height;
  p.round = round;
  p.valid_round = valid_round;
  p.value = std::move(value);
  p.proposer = signer.Key();
  p.signature = signer.Sign(ProposalSignHash(chain_id, height, round, valid_round, value_id));
  return p;
}

bool VerifyVoteSignature(const Vote& vote, std::string_view chain_id,
                         const SignatureVerifier& verifier) {
  return verifier.Verify(
      vote.validator, VoteSignHash(chain_id, vote.type, vote.height, vote.round, vote.value_id),
      vote.signature);
}

bool VerifyProposalSignature(const Proposal& proposal, const Hash256& value_id,
                             std::string_view chain_id, const SignatureVerifier& verifier) {
  return verifier.Verify(proposal.proposer,
                         ProposalSignHash(chain_id, proposal.height, proposal.round,
                                          proposal.valid_round, value_id),
                         proposal.signature);
}

}  // namespace circuledger::consensus
