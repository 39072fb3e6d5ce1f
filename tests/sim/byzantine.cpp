// The adversary: up to f Byzantine validators that run the honest state machine (so they take
// part and know the height and round) but lie in what they send. They coordinate: when one
// proposes two blocks, the others vote for each block towards the nodes that got it.
#include <algorithm>

#include "consensus/encoding.h"
#include "world.h"

namespace circuledger::sim::detail {

using consensus::Proposal;
using consensus::Vote;

std::vector<bool> World::RandomGroups() {
  std::vector<bool> g(nodes_.size());
  for (size_t i = 0; i < g.size(); ++i) g[i] = rng_.Percent(50);
  return g;
}

void World::BroadcastByzantine(Node& n, const Message& m) {
  if (const Proposal* p = std::get_if<Proposal>(&m)) {
    ByzantineProposal(n, *p);
  } else {
    ByzantineVote(n, std::get<Vote>(m));
  }
}

void World::ByzantineProposal(Node& n, const Proposal& p) {
  // Past f, the adversary always splits (the fork test's attack); otherwise it varies.
  const uint64_t mode = options_.extra_byzantine ? 1 : rng_.Below(5);
  if (mode == 0) {
    BroadcastHonest(n, p);
    return;
  }
  if (mode == 4) {
    // Oversized: the block padded past the chain's max block bytes, properly signed. Honest nodes
    // refuse it from its envelope, unread, and ban the sender; the round times out without it.
    std::string big = p.value;
    big.append(kMaxSimBlockBytes + 1 - std::min(big.size(), kMaxSimBlockBytes), '\0');
    oversized_sent_ += 1;
    BroadcastHonest(n, consensus::MakeProposal(*n.signer, chain_id_, p.height, p.round, p.valid_round, big,
                                               BlockId(big)));
    return;
  }
  std::optional<SimBlock> main = DecodeBlock(p.value);
  if (!main) {
    BroadcastHonest(n, p);
    return;
  }
  SimBlock alt = *main;
  bool alt_valid = true;
  if (mode == 1 && !alt.txs.empty()) {
    alt.txs.pop_back();  // a valid second block: one transaction fewer
  } else if (mode == 1 && registry_.next_id > 1) {
    alt.txs.push_back(rng_.Range(1, registry_.next_id - 1));  // maybe valid, maybe not
  } else {
    // An invalid block: a transaction nobody submitted, or a wrong parent.
    alt_valid = false;
    if (rng_.Percent(50)) {
      alt.txs.push_back(kForgedTxBase + rng_.Below(1000));
    } else {
      alt.parent.bytes[0] ^= 1;
    }
  }
  const std::string alt_bytes = EncodeBlock(alt);
  const Proposal alt_p = consensus::MakeProposal(*n.signer, chain_id_, p.height, p.round,
                                                 p.valid_round, alt_bytes, BlockId(alt_bytes));
  if (!alt_valid && rng_.Percent(50)) {
    BroadcastHonest(n, alt_p);  // only the invalid block, to everyone
    return;
  }
  // Double proposal: one block to group A, the other to group B.
  AltPlan plan{BlockId(p.value), BlockId(alt_bytes), RandomGroups()};
  const std::string a = consensus::EncodeMessage(Message{p});
  const std::string b = consensus::EncodeMessage(Message{alt_p});
  for (size_t j = 0; j < nodes_.size(); ++j) {
    if (j != n.index) Send(n.index, j, plan.group_b[j] ? b : a);
  }
  alt_plans_[{p.height, p.round}] = std::move(plan);
}

void World::ByzantineVote(Node& n, const Vote& v) {
  auto plan = alt_plans_.find({v.height, v.round});
  if (plan != alt_plans_.end() && (options_.extra_byzantine || rng_.Percent(80))) {
    // The split: vote for each block towards the nodes that got it.
    for (size_t j = 0; j < nodes_.size(); ++j) {
      if (j == n.index) continue;
      const Hash256& id = plan->second.group_b[j] ? plan->second.alt_id : plan->second.main_id;
      Send(n.index, j,
           consensus::EncodeMessage(
               consensus::MakeVote(*n.signer, chain_id_, v.type, v.height, v.round, id)));
    }
    return;
  }
  switch (rng_.Below(5)) {
    case 0:
    case 1:
      BroadcastHonest(n, v);
      return;
    case 2: {  // equivocate: the vote to some, a conflicting one to the others
      std::optional<Hash256> other;
      if (!v.value_id) other = ledger::TaggedHash("sim/junk", std::to_string(rng_.Next()));
      const Vote w = consensus::MakeVote(*n.signer, chain_id_, v.type, v.height, v.round, other);
      const std::vector<bool> g = RandomGroups();
      for (size_t j = 0; j < nodes_.size(); ++j) {
        if (j != n.index) Send(n.index, j, consensus::EncodeMessage(g[j] ? Message{w} : Message{v}));
      }
      return;
    }
    case 3: {  // garbage: truncated or bit-flipped bytes, and a vote with a broken signature
      BroadcastHonest(n, v);
      std::string bytes = consensus::EncodeMessage(Message{v});
      const size_t to = rng_.Below(nodes_.size());
      if (rng_.Percent(50)) {
        bytes.resize(rng_.Below(bytes.size()));
      } else {
        bytes[rng_.Below(bytes.size())] ^= static_cast<char>(1u << rng_.Below(8));
      }
      if (to != n.index) {
        garbage_ += 1;
        Send(n.index, to, bytes);
      }
      Vote forged = v;
      forged.value_id = ledger::TaggedHash("sim/junk", std::to_string(rng_.Next()));
      BroadcastHonest(n, forged);
      return;
    }
    default: {  // a vote from a later round: alone (f < f + 1) it must not move anyone
      BroadcastHonest(n, v);
      const uint32_t ahead = v.round + static_cast<uint32_t>(rng_.Range(1, 20));
      BroadcastHonest(n, consensus::MakeVote(*n.signer, chain_id_, v.type, v.height, ahead,
                                             std::nullopt));
      return;
    }
  }
}

// A block for the requester's next height with a certificate signed by the Byzantine validators
// only: fewer than a quorum, so it must be refused.
void World::ForgeSync(Node& n, const Deliver& d, uint64_t height) {
  if (height == 0) return;
  SimBlock fake;
  fake.height = height;
  fake.parent = n.chain.Height() + 1 == height ? n.chain.TipId() : Hash256{};
  fake.txs.push_back(kForgedTxBase + rng_.Below(1000));
  Committed c;
  c.block = EncodeBlock(fake);
  c.id = BlockId(c.block);
  c.cert.height = height;
  c.cert.value_id = c.id;
  const consensus::ValidatorSet& set = ValidatorsAt(height);
  for (const auto& other : nodes_) {
    if (other->byzantine && set.IndexOf(other->signer->Key())) {
      const Vote v = consensus::MakeVote(*other->signer, chain_id_, consensus::VoteType::kPrecommit,
                                         height, 0, c.id);
      c.cert.signatures.push_back(consensus::CommitSig{v.validator, v.signature});
    }
  }
  std::sort(c.cert.signatures.begin(), c.cert.signatures.end());
  Answer(n.index, d.from, d.from_incarnation, network::SyncResponse{height, c.block, consensus::EncodeCertificate(c.cert)});
}

// A real committed block with its real certificate, sent to a node that did not ask this node
// for it (a replay of an old answer, or one meant to make it execute what the sender chose): the
// receiver must refuse it unexecuted and ban the sender.
void World::UnrequestedSync(Node& n) {
  if (n.chain.Height() == 0) return;
  const size_t to = rng_.Below(nodes_.size());
  if (to == n.index) return;
  const uint64_t h = rng_.Range(1, n.chain.Height());
  const Committed& c = n.chain.Blocks()[h - 1];
  unrequested_sent_ += 1;
  Send(n.index, to, network::SyncResponse{h, c.block, consensus::EncodeCertificate(c.cert)});
}

}  // namespace circuledger::sim::detail
