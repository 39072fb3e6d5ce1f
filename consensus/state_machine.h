// consensus/state_machine.h: Tendermint (Buchman, Kwon, Milosevic 2018, Algorithm 1) as a pure,
// deterministic state machine. SPEC.md holds the numbered pseudo-code; every handler in
// state_machine.cpp cites the lines it implements.
//
// Inputs: Start (a height, with its validator set and what this node's WAL holds for it),
// OnProposal, OnVote, OnTimeout. Each returns the actions the caller must perform, IN ORDER:
//   PersistMessage  - make the message durable (WAL append + fsync) before ANY later action;
//                     this is what lets a restarted node never sign two different votes for
//                     one height, round and step. Consecutive ones may share one fsync. Besides
//                     what this node signs, a lock persists its proposal and 2f+1 prevotes.
//   BroadcastMessage- send to every peer: this node's own message (already applied locally), or
//                     another validator's prevote that proves the valid round of its proposal.
//   ScheduleTimeout - call OnTimeout(timeout) after delay_ms (virtual or real time).
//   Decide          - the value is final at the height, with its commit certificate. The caller
//                     commits it and then calls Start(height + 1, ...).
// No sockets, threads, clock or disk. Every incoming message is checked (height, round bound,
// membership, proposer, signature) before it changes anything; duplicates are dropped and
// equivocations kept as evidence. A node without a signer (or whose key is not in the set)
// follows and decides but never signs.
//
// Ownership: holds references to the Application, ProposerSelector and SignatureVerifier (they
// must outlive it) and a pointer to the optional Signer. Not thread-safe: one caller at a time.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <variant>
#include <utility>
#include <vector>

#include "consensus/application.h"
#include "consensus/detail/round_log.h"
#include "consensus/messages.h"

namespace circuledger::consensus {

struct Timeout {
  uint64_t height = 0;
  uint32_t round = 0;
  Step step = Step::kPropose;
  auto operator<=>(const Timeout&) const = default;
};

struct PersistMessage {
  Message message;
};
struct BroadcastMessage {
  Message message;
};
struct ScheduleTimeout {
  Timeout timeout;
  uint64_t delay_ms = 0;
};
struct Decide {
  uint64_t height = 0;
  std::string value;
  CommitCertificate certificate;
};
using Action = std::variant<PersistMessage, BroadcastMessage, ScheduleTimeout, Decide>;

// What became of an incoming message.
enum class Verdict : uint8_t {
  kAccepted = 0,
  kBuffered,       // for the next height: kept and replayed by Start(height + 1)
  kDuplicate,      // already held (relayed copies are normal)
  kEquivocation,   // a second, different message for one validator/round/step: evidence kept
  kStaleHeight,    // an earlier height, or this height after the decision
  kFutureHeight,   // too far ahead, or the buffer is full: block sync's job
  kRoundTooHigh,   // beyond limits::kMaxRound
  kNotValidator,
  kNotProposer,
  kBadSignature,
  kMalformed,      // e.g. a valid round not below the round
  kNotStarted,
};
std::string_view VerdictName(Verdict v);

struct Output {
  std::vector<Action> actions;
  Verdict verdict = Verdict::kAccepted;
};

// A proposal the application found invalid: its value's id and its (verified) proposer.
struct InvalidProposal {
  Hash256 value_id;
  PubKey proposer;
};

// Two signed messages from one validator for one height, round and step that differ.
struct Evidence {
  Message first;
  Message second;
};

class ConsensusState {
 public:
  struct Config {
    std::string chain_id;
    TimeoutConfig timeouts;
  };

  // `signer` may be null (a non-validating node). References must outlive this object.
  ConsensusState(Config config, Application& app, const ProposerSelector& proposers,
                 const SignatureVerifier& verifier, const Signer* signer);

  // Lines 10, 52-54: starts `height` (greater than any started before) with its validator set.
  // `wal` is what this node persisted earlier (PersistMessage) for this height, in write order;
  // other heights are ignored. From it the node learns what it already signed (it re-sends those
  // and never signs a different one for the same round and step) and its lock.
  Output Start(uint64_t height, ValidatorSet validators, const std::vector<Message>& wal = {});
  Output OnProposal(const Proposal& proposal);
  Output OnVote(const Vote& vote);
  Output OnTimeout(const Timeout& timeout);

  uint64_t height() const { return height_; }
  uint32_t round() const { return round_; }
  Step step() const { return step_; }
  bool decided() const { return decided_; }
  const ValidatorSet& validators() const { return validators_; }
  std::optional<uint32_t> locked_round() const { return locked_round_; }
  const std::optional<Hash256>& locked_id() const { return locked_id_; }
  std::optional<uint32_t> valid_round() const { return valid_round_; }
  // What this node signed at the current height, by round and step.
  std::vector<Message> OwnMessages() const;
  // What to re-send periodically so that messages lost before the network stabilised still
  // arrive: OwnMessages() plus, for its proposals with a valid round, the prevotes that justify
  // them (the proof of lock; other validators' signatures), plus, from round 1 on, the other
  // validators' votes that moved it into its round: their precommits of the round before (line
  // 47) and their prevotes and precommits of this round (line 55); at most 3 per validator.
  std::vector<Message> GossipMessages() const;
  const std::vector<Evidence>& evidence() const { return evidence_; }
  // The peers' proposals found invalid since the last call (by OnProposal, or by Start replaying
  // buffered ones), with their proposers: the caller may blame whoever proposed them, never
  // whoever's message happened to be handled when the check ran.
  std::vector<InvalidProposal> TakeInvalidProposals() { return std::exchange(invalid_, {}); }

 private:
  using Actions = std::vector<Action>;
  detail::RoundLog& Round(uint32_t round);
  const detail::RoundLog* FindRound(uint32_t round) const;
  bool IsValidator() const;
  Verdict AcceptProposal(const Proposal& p, bool own);
  Verdict AcceptVote(const Vote& v, bool own);
  void AddEvidence(Message first, Message second);
  bool HoldsProposal(uint32_t round, const Hash256& id) const;
  std::vector<Vote> ProofOfLock(const Proposal& p) const;

  // The upon-rules, evaluated until none fires. Each returns whether it changed the state.
  void Evaluate(Actions& out);
  bool TryDecide(Actions& out);             // line 49
  bool TrySkipRound(Actions& out);          // line 55
  bool TryPrevoteProposal(Actions& out);    // lines 22, 28
  bool TryScheduleTimeouts(Actions& out);   // lines 34, 47
  bool TryLock(Actions& out);               // line 36
  bool TryPrecommitNil(Actions& out);       // line 44

  void StartRound(uint32_t round, Actions& out);
  void CastVote(VoteType type, const std::optional<Hash256>& id, Actions& out);
  void Schedule(Step step, Actions& out);
  void Restore(const std::vector<Message>& wal, Actions& out);

  Config config_;
  Application& app_;
  const ProposerSelector& proposers_;
  const SignatureVerifier& verifier_;
  const Signer* signer_ = nullptr;

  // Lines 2-9.
  bool started_ = false;
  uint64_t height_ = 0;
  uint32_t round_ = 0;
  Step step_ = Step::kPropose;
  bool decided_ = false;
  std::optional<Hash256> locked_id_;        // lockedValue (its id: line 23 compares ids)
  std::optional<uint32_t> locked_round_;    // lockedRound; nullopt is -1
  std::optional<std::string> valid_value_;  // validValue
  std::optional<uint32_t> valid_round_;     // validRound; nullopt is -1

  ValidatorSet validators_;
  std::map<uint32_t, detail::RoundLog> rounds_;
  // What this node signed at this height: key (round, 0 proposal / 1 prevote / 2 precommit).
  std::map<std::pair<uint32_t, uint8_t>, Message> own_;
  std::vector<Message> buffered_;  // for height_ + 1
  size_t buffered_proposals_ = 0;
  std::vector<Evidence> evidence_;
  std::vector<InvalidProposal> invalid_;  // since the last TakeInvalidProposals
};

}  // namespace circuledger::consensus
