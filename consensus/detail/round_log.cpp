#include "consensus/detail/round_log.h"

namespace circuledger::consensus::detail {

const Vote* VoteTally::First(size_t index) const {
  const std::vector<Vote>& v = votes_.at(index);
  return v.empty() ? nullptr : &v.front();
}

const Vote* VoteTally::Find(size_t index, const std::optional<Hash256>& id) const {
  for (const Vote& v : votes_.at(index)) {
    if (v.value_id == id) return &v;
  }
  return nullptr;
}

void VoteTally::Add(size_t index, const Vote& vote) {
  std::vector<Vote>& v = votes_.at(index);
  if (v.empty()) total_ += 1;
  v.push_back(vote);
  counts_[vote.value_id] += 1;
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
  for (size_t i = 0; i < votes_.size(); ++i) {
    if (const Vote* v = Find(i, id)) out.push_back(v);
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
