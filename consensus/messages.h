// consensus/messages.h: what validators sign and send (Tendermint's PROPOSAL, PREVOTE and
// PRECOMMIT), commit certificates, the validator set of a height, and the signing interfaces.
//
// Signatures are BIP-340 over a tagged hash of a canonical encoding of (chain id, height, round,
// step, value id or nil); proposals and votes use different tags, so neither signature can be
// replayed as the other and no signature is valid on another chain. Plain values, not
// synchronized; Signer and SignatureVerifier implementations must be thread-safe if shared.
#pragma once

#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "ledger/crypto.h"
#include "ledger/types.h"

namespace circuledger::consensus {

using ledger::Hash256;
using ledger::PubKey;
using ledger::Signature;

// The step of a round (SPEC.md lines 4, 13, 27, 41).
enum class Step : uint8_t { kPropose = 0, kPrevote = 1, kPrecommit = 2 };
std::string_view StepName(Step s);

enum class VoteType : uint8_t { kPrevote = 1, kPrecommit = 2 };
constexpr uint8_t kMinVoteType = 1;
constexpr uint8_t kMaxVoteType = 2;

// ⟨PREVOTE|PRECOMMIT, h, r, id(v) | nil⟩ signed by `validator`.
struct Vote {
  VoteType type = VoteType::kPrevote;
  uint64_t height = 0;
  uint32_t round = 0;
  std::optional<Hash256> value_id;  // nullopt: a vote for nil
  PubKey validator;
  Signature signature;
  auto operator<=>(const Vote&) const = default;
};

// ⟨PROPOSAL, h, r, v, vr⟩ signed by `proposer`. The signature covers id(v), computed by the
// application from the value (the block hash), not the value bytes themselves.
struct Proposal {
  uint64_t height = 0;
  uint32_t round = 0;
  std::optional<uint32_t> valid_round;  // the paper's vr; nullopt is its -1
  std::string value;                    // the block, in its canonical encoding
  PubKey proposer;
  Signature signature;
  auto operator<=>(const Proposal&) const = default;
};

// What the network carries and the WAL records.
using Message = std::variant<Proposal, Vote>;

struct CommitSig {
  PubKey validator;
  Signature signature;  // a PRECOMMIT for (height, round, value_id)
  auto operator<=>(const CommitSig&) const = default;
};

// More than 2/3 of the validators of `height` precommitted `value_id` in `round`: the block with
// that hash is final. Stored beside the block; what block sync and proofs ship.
struct CommitCertificate {
  uint64_t height = 0;
  uint32_t round = 0;
  Hash256 value_id;
  std::vector<CommitSig> signatures;  // strictly increasing by validator key
  auto operator<=>(const CommitCertificate&) const = default;
};

// The validators of one height: equal weight, sorted by key, unique, 1..kMaxValidators.
class ValidatorSet {
 public:
  ValidatorSet() = default;
  // Sorts the keys. nullopt when empty, over the limit, or a key repeats.
  static std::optional<ValidatorSet> Make(std::vector<PubKey> keys);

  size_t Size() const { return keys_.size(); }
  const PubKey& At(size_t index) const { return keys_.at(index); }
  const std::vector<PubKey>& Keys() const { return keys_; }
  std::optional<size_t> IndexOf(const PubKey& key) const;
  // Votes that make more than two thirds (the paper's 2f + 1 when n = 3f + 1).
  size_t Quorum() const { return 2 * keys_.size() / 3 + 1; }
  // Faults tolerated; MaxFaulty() + 1 votes include at least one correct validator.
  size_t MaxFaulty() const { return keys_.empty() ? 0 : (keys_.size() - 1) / 3; }
  auto operator<=>(const ValidatorSet&) const = default;

 private:
  std::vector<PubKey> keys_;
};

// The 32-byte messages that signatures sign (tagged hashes of canonical encodings).
Hash256 VoteSignHash(std::string_view chain_id, VoteType type, uint64_t height, uint32_t round,
                     const std::optional<Hash256>& value_id);
Hash256 ProposalSignHash(std::string_view chain_id, uint64_t height, uint32_t round,
                         const std::optional<uint32_t>& valid_round, const Hash256& value_id);

// Holds a validator's secret key. Sign() never fails.
class Signer {
 public:
  virtual ~Signer() = default;
  virtual const PubKey& Key() const = 0;
  virtual Signature Sign(const Hash256& msg) const = 0;
  // Asked before each proposal or vote is signed, with its slot. False refuses it: the state
  // machine then sends nothing for that step, as if the message were lost. A durable guard
  // (node/sign_guard.h) records the slot before agreeing and refuses any slot at or below the last
  // one, so that a validator that lost its WAL never signs twice. Default: always agrees.
  virtual bool Reserve(uint64_t height, uint32_t round, Step step) const {
    (void)height;
    (void)round;
    (void)step;
    return true;
  }
};

// A secret key in memory. `deterministic` uses no auxiliary randomness (BIP-340 permits it: the
// nonce still depends on the key and the message), so a simulation replays bit for bit.
class KeySigner final : public Signer {
 public:
  explicit KeySigner(ledger::SecretKey key, bool deterministic = false)
      : key_(std::move(key)), pub_(key_.Public()), deterministic_(deterministic) {}
  const PubKey& Key() const override { return pub_; }
  Signature Sign(const Hash256& msg) const override;

 private:
  ledger::SecretKey key_;
  PubKey pub_;
  bool deterministic_ = false;
};

// Checks one signature. The default is BIP-340 verification; a caller may add a cache (the
// result is a pure function of its arguments).
class SignatureVerifier {
 public:
  virtual ~SignatureVerifier() = default;
  virtual bool Verify(const PubKey& key, const Hash256& msg, const Signature& sig) const = 0;
};
const SignatureVerifier& DefaultVerifier();

// Builds and signs messages (also what the simulator's Byzantine validators use).
Vote MakeVote(const Signer& signer, std::string_view chain_id, VoteType type, uint64_t height,
              uint32_t round, const std::optional<Hash256>& value_id);
Proposal MakeProposal(const Signer& signer, std::string_view chain_id, uint64_t height,
                      uint32_t round, const std::optional<uint32_t>& valid_round,
                      std::string value, const Hash256& value_id);

// True iff the signature is the signer's over the message's fields on this chain. Membership and
// proposer checks are the caller's (the state machine's, or VerifyCommitCertificate's).
bool VerifyVoteSignature(const Vote& vote, std::string_view chain_id,
                         const SignatureVerifier& verifier = DefaultVerifier());
bool VerifyProposalSignature(const Proposal& proposal, const Hash256& value_id,
                             std::string_view chain_id,
                             const SignatureVerifier& verifier = DefaultVerifier());

}  // namespace circuledger::consensus
