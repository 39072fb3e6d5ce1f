// consensus/detail/round_log.h: the message log of one round of one height (the paper's "message
// log", SPEC.md line 53): the proposals of the round's proposer and each validator's first
// prevote and precommit, with counts per value id. Only verified messages go in; the state
// machine owns one per round. Not synchronized.
#pragma once

#include <map>
#include <optional>
#include <vector>

#include "consensus/messages.h"

namespace circuledger::consensus::detail {

struct ProposalEntry {
  Proposal proposal;
  Hash256 id;          // id(v)
  bool valid = false;  // valid(v), asked of the application once
};

// Votes of one type in one round. A validator's first vote counts for "2f+1 of any" (lines 34,
// 47); a vote of its for another value counts for that value too, if the state machine admits it
// (an equivocator's votes are all in the paper's message log: see AcceptVote).
class VoteTally {
 public:
  explicit VoteTally(size_t validators) : votes_(validators) {}
  // The first vote of validator `index`, or null.
  const Vote* First(size_t index) const;
  // Its vote for `id`, or null.
  const Vote* Find(size_t index, const std::optional<Hash256>& id) const;
  size_t VotesOf(size_t index) const { return votes_.at(index).size(); }
  // Stores a vote of validator `index` for a value it has no vote for yet.
  void Add(size_t index, const Vote& vote);
  // Validators with at least one vote.
  size_t Total() const { return total_; }
  // Validators with a vote for `id`.
  size_t Count(const std::optional<Hash256>& id) const;
  // An id (never nil) with at least `quorum` votes, if any.
  std::optional<Hash256> QuorumValue(size_t quorum) const;
  // The votes for `id`, in validator (key) order: at most one per validator.
  std::vector<const Vote*> VotesFor(const Hash256& id) const;

 private:
  std::vector<std::vector<Vote>> votes_;  // by validator index; distinct ids, first first
  std::map<std::optional<Hash256>, size_t> counts_;
  size_t total_ = 0;
};

struct RoundLog {
  explicit RoundLog(size_t validators)
      : prevotes(validators), precommits(validators), senders(validators, false) {}

  const ProposalEntry* FindProposal(const Hash256& id) const;
  VoteTally& Tally(VoteType t) { return t == VoteType::kPrevote ? prevotes : precommits; }
  // Records that validator `index` sent something in this round (the paper's line 55 counts
  // senders, not messages).
  void MarkSender(size_t index);

  std::vector<ProposalEntry> proposals;  // distinct ids, in arrival order
  VoteTally prevotes;
  VoteTally precommits;
  std::vector<bool> senders;
  size_t sender_count = 0;
  // "for the first time" guards of lines 34, 36 and 47.
  bool prevote_timeout_scheduled = false;    // line 34
  bool valid_value_updated = false;          // line 36
  bool precommit_timeout_scheduled = false;  // line 47
};

}  // namespace circuledger::consensus::detail
