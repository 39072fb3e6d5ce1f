#include "consensus/detail/round_log.h"

namespace circuledger::consensus::detail {

bool VoteTally::Add(size_t index, const Vote& vote) {
  std::optional<Vote>& slot = votes_.at(index);
  if (slot) return false;
  slot = vote;
  counts_[vote.value_id] += 1;
  total_ += 1;
  return true;
}

size_t VoteTally::Count(const std::optional<Hash256>& id) const {
  auto it = counts_.find(id);
  return it == counts_.end() ? 0 : it->second;
}

std::optional<Hash256> VoteTally::QuorumValue(size_t quorum) const {
  for (const auto& [id, n] : counts_) {
    if (id && n >= quorum) return id;
  }
  return std::nullopt;
}

std::vector<const Vote*> VoteTally::VotesFor(const Hash256& id) const {
  std::vector<const Vote*> out;
  for (const std::optional<Vote>& v : votes_) {
    if (v && v->value_id == id) out.push_back(&*v);
  }
  return out;
}

const ProposalEntry* RoundLog::FindProposal(const Hash256& id) const {
  for (const ProposalEntry& e : proposals) {
    if (e.id == id) return &e;
  }
  return nullptr;
}

void RoundLog::MarkSender(size_t index) {
  if (!senders.at(index)) {
    senders[index] = true;
    sender_count += 1;
  }
}

}  // namespace circuledger::consensus::detail
