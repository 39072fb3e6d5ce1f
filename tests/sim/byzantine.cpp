// The adversary: up to f Byzantine validators that run the honest state machine (so they take
// part and know the height and round) but lie in what they send. They coordinate: when one
// proposes two blocks, the others vote for each block towards the nodes that got it.
#include <algorithm>

#include "consensus/encoding.h"
#include "ledger/block.h"
#include "ledger/encoding.h"
#include "node/ledger_sync.h"
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
  ledger::Result<ledger::Block> main = ledger::Decode<ledger::Block>(p.value);
  if (mode == 0 || !main.ok()) {
    BroadcastHonest(n, p);
    return;
  }
  const Hash256 main_id = ledger::BlockHash(main->header);
  if (mode == 4) {
    // Oversized: the block padded past the chain's max block bytes, properly signed (the padded
    // bytes begin with the same header, so the envelope names the same hash). Honest nodes refuse
    // it from its envelope, unread, and ban the sender; the round times out without it.
    std::string big = p.value;
    big.append(kSimMaxBlockBytes + 1 - std::min<size_t>(big.size(), kSimMaxBlockBytes), '\0');
    oversized_sent_ += 1;
    BroadcastHonest(n, consensus::MakeProposal(*n.signer, chain_id_, p.height, p.round, p.valid_round, big, main_id));
    return;
  }
  std::string alt_bytes;
  bool alt_valid = true;
  if (mode == 1) {
    // A valid second block on the same parent: one transaction fewer, or a later block time.
    std::vector<ledger::Tx> txs = main->txs;
    uint64_t time_ms = main->header.time_ms;
    if (!txs.empty()) {
      txs.pop_back();
    } else {
      time_ms += 1;
    }
    ledger::Result<ledger::BuiltBlock> built = n.proc->ledger->executor().BuildBlock(txs, time_ms, n.signer->Key());
    if (!built.ok()) {
      BroadcastHonest(n, p);
      return;
    }
    alt_bytes = built->commit.block_bytes;
  } else {
    alt_valid = false;
    alt_bytes = InvalidVariant(n, *main);
    invalid_proposals_ += 1;
  }
  ledger::Result<ledger::Block> alt = ledger::Decode<ledger::Block>(alt_bytes);
  if (!alt.ok()) return Fail("the adversary made a block that does not decode: " + alt.status().ToString());
  const Hash256 alt_id = ledger::BlockHash(alt->header);
  const Proposal alt_p = consensus::MakeProposal(*n.signer, chain_id_, p.height, p.round, p.valid_round, alt_bytes, alt_id);
  if (!alt_valid && rng_.Percent(50)) {
    BroadcastHonest(n, alt_p);  // only the invalid block, to everyone
    return;
  }
  // Double proposal: one block to group A, the other to group B.
  AltPlan plan{main_id, alt_id, RandomGroups()};
  const std::string a = consensus::EncodeMessage(Message{p});
  const std::string b = consensus::EncodeMessage(Message{alt_p});
  for (size_t j = 0; j < nodes_.size(); ++j) {
    if (j != n.index) Send(n.index, j, plan.group_b[j] ? b : a);
  }
  alt_plans_[{p.height, p.round}] = std::move(plan);
}

// An invalid block on the proposal's parent: a transaction signature damaged, a committed
// transaction replayed, a transaction nobody submitted (signed by a key no org has), or a wrong
// parent. The header's tx_root is recomputed, so only executing the block shows what is wrong.
std::string World::InvalidVariant(Node& n, ledger::Block b) {
  const uint64_t kind = rng_.Below(4);
  if (kind == 0 && !b.txs.empty()) {
    ledger::Tx& tx = b.txs[rng_.Below(b.txs.size())];
    tx.sig.bytes[rng_.Below(tx.sig.bytes.size())] ^= static_cast<uint8_t>(1u << rng_.Below(8));
  } else if (kind == 1 && n.height > 0) {
    ledger::Result<ledger::Block> old = n.proc->ledger->store().ReadBlock(rng_.Range(1, n.height));
    if (old.ok() && !old->txs.empty()) {
      b.txs.insert(b.txs.begin() + static_cast<std::ptrdiff_t>(rng_.Below(b.txs.size() + 1)),
                   old->txs[rng_.Below(old->txs.size())]);
      replays_sent_ += 1;
    } else {
      b.header.prev_hash.bytes[0] ^= 1;
    }
  } else if (kind == 2) {
    ledger::Composition c;
    c.entries.push_back(ledger::MaterialAmount{"Co", 1000, 0});
    b.txs.push_back(SignSim(chain_, chain_.forger, 0, ledger::CreateLot{"forged-" + std::to_string(rng_.Below(1000)), c}));
  } else {
    b.header.prev_hash.bytes[0] ^= 1;
  }
  b.header.tx_root = ledger::TxRoot(b.txs);
  return ledger::Encode(b);
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
  ledger::Block fake;
  if (n.height >= height) {
    ledger::Result<ledger::Block> real = n.proc->ledger->store().ReadBlock(height);
    if (real.ok()) fake = std::move(real).value();
  }
  fake.header.chain_id = chain_id_;
  fake.header.height = height;
  fake.header.time_ms += 1;  // not the block the validators certified
  const std::string bytes = ledger::Encode(fake);
  CommitCertificate cert;
  cert.height = height;
  cert.value_id = ledger::BlockHash(fake.header);
  std::optional<consensus::ValidatorSet> set = node::ValidatorsAt(n.proc->ledger->store(), height);
  for (const auto& other : nodes_) {
    if (other->byzantine && set && set->IndexOf(other->signer->Key())) {
      const Vote v = consensus::MakeVote(*other->signer, chain_id_, consensus::VoteType::kPrecommit, height, 0,
                                         cert.value_id);
      cert.signatures.push_back(consensus::CommitSig{v.validator, v.signature});
    }
  }
  std::sort(cert.signatures.begin(), cert.signatures.end());
  Answer(n.index, d.from, d.from_incarnation, network::SyncResponse{height, bytes, consensus::EncodeCertificate(cert)});
}

// The attack issue 16 opened with: a real block and its real certificate, one transaction
// signature bit flipped. The header, and so the certificate, still match; the block's tx_root
// commits to the signatures, so executing it fails: the receiver must refuse it (not stop) and
// ban the sender. Blocks are public: the adversary takes one from any node that has it.
bool World::DamagedSync(Node& n, const Deliver& d, uint64_t height) {
  if (height == 0) return false;
  Node* source = n.height >= height ? &n : nullptr;
  for (const auto& other : nodes_) {
    if (!source && other->proc && other->height >= height) source = other.get();
  }
  if (!source) return false;
  ledger::Store& store = source->proc->ledger->store();
  ledger::Result<ledger::Block> block = store.ReadBlock(height);
  ledger::Result<std::string> cert = store.ReadCertificate(height);
  if (!block.ok() || !cert.ok() || block->txs.empty()) return false;
  ledger::Tx& tx = block->txs[rng_.Below(block->txs.size())];
  tx.sig.bytes[rng_.Below(tx.sig.bytes.size())] ^= static_cast<uint8_t>(1u << rng_.Below(8));
  damaged_syncs_ += 1;
  Answer(n.index, d.from, d.from_incarnation, network::SyncResponse{height, ledger::Encode(*block), std::move(cert).value()});
  return true;
}

// A real committed block with its real certificate, sent to a node that did not ask this node
// for it (a replay of an old answer, or one meant to make it execute what the sender chose): the
// receiver must refuse it unexecuted and ban the sender.
void World::UnrequestedSync(Node& n) {
  if (n.height == 0) return;
  const size_t to = rng_.Below(nodes_.size());
  if (to == n.index) return;
  const uint64_t h = rng_.Range(1, n.height);
  ledger::Store& store = n.proc->ledger->store();
  ledger::Result<std::string> block = store.ReadBlockBytes(h);
  ledger::Result<std::string> cert = store.ReadCertificate(h);
  if (!block.ok() || !cert.ok()) return;
  unrequested_sent_ += 1;
  Send(n.index, to, network::SyncResponse{h, std::move(block).value(), std::move(cert).value()});
}

}  // namespace circuledger::sim::detail
