// The simulated node: the production height driver and block sync over the simulated network,
// the node's durable WAL and its ledger (world.h: SimNodeIo, Process; sim_ledger.h), with the
// checkers that watch what an honest node persists, sends and commits.
#include <algorithm>

#include "consensus/certificate.h"
#include "consensus/encoding.h"
#include "world.h"

namespace circuledger::sim::detail {

using consensus::Proposal;
using consensus::Vote;

namespace {
constexpr uint64_t kSyncBatch = 8;  // blocks per sync answer

bool SignedBy(const Message& m, const consensus::PubKey& key) {
  const Vote* v = std::get_if<Vote>(&m);
  return v ? v->validator == key : std::get<Proposal>(m).proposer == key;
}
}  // namespace

// ---- The process ----

void World::StartProcess(Node& n) {
  auto p = std::make_unique<Process>();
  Node* np = &n;
  ProcessLedgerDeps ld{n.dir,
                       chain_,
                       n.signer->Key(),
                       [this] { return kSimGenesisTimeMs + now_; },
                       [this] { return now_; },
                       verifier_,
                       log_,
                       [this, np](const ledger::BlockCommit& c, bool synced) { Committed(*np, c, synced); }};
  try {
    p->ledger = std::make_unique<ProcessLedger>(std::move(ld));
  } catch (const std::exception& e) {
    return Fail("node " + std::to_string(n.index) + ": " + e.what());
  }
  if (p->ledger->Height() != n.height) {
    return Fail("node " + std::to_string(n.index) + " restarted at height " + std::to_string(p->ledger->Height()) +
                " but had committed " + std::to_string(n.height));
  }
  p->io = std::make_unique<SimNodeIo>(*this, n, *p->ledger);
  node::SyncOptions o;
  o.batch_blocks = static_cast<uint32_t>(kSyncBatch);
  p->sync = std::make_unique<node::BlockSync>(o, *p->io, *p->io);
  node::HeightOptions ho;
  ho.chain_id = chain_id_;
  ho.timeouts = timeouts_;
  ho.block_min_interval_ms = commit_delay_ms_;
  ho.create_empty_blocks = empty_blocks_;
  ho.empty_block_interval_ms = commit_delay_ms_;
  ho.gossip = true;
  p->driver = std::make_unique<node::HeightDriver>(
      node::HeightDriverDeps{std::move(ho), p->ledger->app(), proposers_, verifier_, n.signer.get(), *p->io,
                             *p->io, *p->io, clock_, log_},
      n.wal);
  n.wakes.clear();
  n.proc = std::move(p);
  n.proc->driver->Begin();
  Poll(n);
}

void World::Poll(Node& n) {
  if (n.proc) n.proc->driver->Poll();
  ArmWake(n);
}

void World::ArmWake(Node& n) {
  if (!n.up || !n.proc || !failure_.empty()) return;
  std::optional<uint64_t> at = n.proc->driver->NextWakeMs();
  if (!at) return;
  const uint64_t t = std::max(*at, now_);
  if (!n.wakes.empty() && *n.wakes.begin() <= t) return;  // an earlier one will look again
  n.wakes.insert(t);
  Schedule(t, Wake{n.index, n.incarnation, t});
}

SimNodeIo::SimNodeIo(World& world, Node& node, ProcessLedger& ledger)
    : world_(world), node_(node), incarnation_(node.incarnation), ledger_(ledger) {}

bool SimNodeIo::Live() const { return node_.up && node_.incarnation == incarnation_ && node_.proc; }

bool SimNodeIo::MaybeCrash(const char* where) {
  if (node_.byzantine || !world_.CrashesAllowed()) return false;
  if (world_.rng_.Below(world_.options_.lose_wal_on_restart ? 20 : 300) != 0) return false;
  world_.Crash(node_, where);
  return true;
}

// ---- HeightChain and SyncTarget: the node's own (node::LedgerChain, node::LedgerSyncTarget) ----

uint64_t SimNodeIo::TipHeight() { return ledger_.chain().TipHeight(); }

ledger::Result<consensus::ValidatorSet> SimNodeIo::StartingHeight(uint64_t height) {
  return ledger_.chain().StartingHeight(height);
}

bool SimNodeIo::HasReadyTxs() { return ledger_.chain().HasReadyTxs(); }

node::EnvelopeCheck SimNodeIo::CheckProposal(const consensus::Proposal& proposal) {
  if (world_.options_.skip_envelope_check) return node::EnvelopeCheck::kOk;
  return ledger_.chain().CheckProposal(proposal);
}

bool SimNodeIo::ProposerFault(const Hash256& value_id) { return ledger_.chain().ProposerFault(value_id); }

ledger::Status SimNodeIo::CommitDecided(const consensus::Decide& decide) {
  if (!Live()) return ledger::Status::Ok();  // the process is gone: nothing is written
  node_.committing_set = node::ValidatorsAt(ledger_.store(), decide.height);
  return ledger_.chain().CommitDecided(decide);
}

void SimNodeIo::RequestSync(const std::optional<consensus::PubKey>& peer) {
  if (Live()) node_.proc->sync->Request(peer, world_.now_);
}

void SimNodeIo::Fatal(const ledger::Status& status) {
  if (Live()) world_.Fail("node " + std::to_string(node_.index) + ": fatal: " + status.ToString());
}

node::SyncApplied SimNodeIo::Apply(uint64_t height, std::string_view block, std::string_view certificate) {
  node_.committing_set = node::ValidatorsAt(ledger_.store(), height);
  node::SyncApplied applied = ledger_.sync_target().Apply(height, block, certificate);
  if (applied.kind == node::SyncApplied::Kind::kPeerFault) {
    world_.sync_rejected_ += 1;
    world_.Trace("node " + std::to_string(node_.index) + " refuses a synced block: " + applied.status.ToString());
  }
  return applied;
}

// ---- ConsensusTransport and SyncPeers ----

void SimNodeIo::Broadcast(const Message& message) {
  if (!Live() || MaybeCrash("before a send")) return;
  if (node_.byzantine) return world_.BroadcastByzantine(node_, message);
  if (SignedBy(message, node_.signer->Key()) &&
      !node_.wal_bytes.count(consensus::EncodeMessage(message))) {
    world_.Fail("node " + std::to_string(node_.index) + " sends what it did not persist");
  }
  world_.BroadcastHonest(node_, message);
}

void SimNodeIo::Send(const consensus::PubKey& peer, const Message& message) {
  const std::optional<size_t> to = world_.IndexOf(peer);
  if (Live() && to) world_.Send(node_.index, *to, consensus::EncodeMessage(message));
}

void SimNodeIo::Ban(const consensus::PubKey& peer, network::DisconnectReason reason) {
  if (Live()) world_.BanPeer(node_, peer, reason);
}

std::vector<consensus::PubKey> SimNodeIo::Peers() {
  std::vector<consensus::PubKey> keys;
  for (const auto& other : world_.nodes_) {
    if (other->index != node_.index && !node_.banned.count(other->index))
      keys.push_back(other->signer->Key());
  }
  return keys;
}

bool SimNodeIo::SendRequest(const consensus::PubKey& peer, const network::SyncRequest& request) {
  const std::optional<size_t> to = world_.IndexOf(peer);
  if (!Live() || !to) return false;
  world_.Send(node_.index, *to, request);
  return true;
}

// ---- ConsensusWal ----

ledger::Status SimNodeIo::Append(const std::vector<node::WalRecord>& records) {
  if (!Live()) return ledger::Status::Ok();  // the process is gone: the driver's call unwinds
  for (const node::WalRecord& r : records) {
    ledger::Result<Message> m = consensus::DecodeMessage(r.payload);
    if (r.type != node::kWalConsensusMessage || !m.ok()) {
      world_.Fail("node " + std::to_string(node_.index) +
                  " wrote a WAL record that does not decode");
      return ledger::Status::Corruption("bad WAL record");
    }
    if (!node_.byzantine) world_.CheckSigned(node_, *m);
    node_.wal_bytes.insert(r.payload);
    node_.wal.push_back(std::move(m).value());
    node_.wal_size += node::kWalHeaderBytes + r.payload.size();
  }
  MaybeCrash("after a WAL write");  // durable, and nothing of it sent
  return ledger::Status::Ok();
}

ledger::Status SimNodeIo::Reset(const std::vector<node::WalRecord>& keep) {
  if (!Live()) return ledger::Status::Ok();
  node_.wal.clear();
  node_.wal_bytes.clear();
  node_.wal_size = 0;
  for (const node::WalRecord& r : keep) {
    ledger::Result<Message> m = consensus::DecodeMessage(r.payload);
    if (!m.ok()) return ledger::Status::Corruption("bad WAL record");
    node_.wal_bytes.insert(r.payload);
    node_.wal.push_back(std::move(m).value());
    node_.wal_size += node::kWalHeaderBytes + r.payload.size();
  }
  return ledger::Status::Ok();
}

uint64_t SimNodeIo::size_bytes() const { return node_.wal_size; }

// ---- The world's side ----

void World::Committed(Node& n, const ledger::BlockCommit& commit, bool synced) {
  const uint64_t h = commit.block.header.height;
  const std::string who = "node " + std::to_string(n.index) + " height " + std::to_string(h);
  if (h != n.height + 1) return Fail(who + ": committed after height " + std::to_string(n.height));
  n.height = h;
  if (!n.byzantine) {
    ledger::Result<CommitCertificate> cert = consensus::DecodeCertificate(commit.certificate);
    if (!cert.ok()) return Fail(who + ": its certificate does not decode");
    if (cert->height != h) return Fail(who + ": decided height " + std::to_string(cert->height));
    if (!n.committing_set) return Fail(who + ": no validator set read for the height");
    const consensus::CertCheck check = consensus::VerifyCommitCertificate(*cert, *n.committing_set, chain_id_, verifier_);
    if (check != consensus::CertCheck::kOk) {
      return Fail(who + ": certificate " + std::string(consensus::CertCheckName(check)));
    }
    if (commit.block_hash != cert->value_id) return Fail(who + ": certificate for another block");
    for (const Hash256& tx : commit.tx_ids) {
      if (!submitted_.count(tx)) return Fail(who + ": committed tx " + tx.ToHex().substr(0, 16) + " nobody submitted");
      auto [it, fresh] = tx_height_.emplace(tx, h);
      if (!fresh && it->second != h) {
        return Fail(who + ": tx " + tx.ToHex().substr(0, 16) + " committed again (first at height " +
                    std::to_string(it->second) + ")");
      }
    }
    std::string keys;
    for (const consensus::PubKey& k : n.committing_set->Keys()) keys.append(k.View());
    const Hash256 set_id = ledger::TaggedHash("sim/validator-set", keys);
    auto [at, first] = set_at_.emplace(h, set_id);
    if (!first && at->second != set_id) return Fail(who + ": another validator set than other nodes");
    if (first && h > 1 && set_at_.count(h - 1) && set_at_[h - 1] != set_id) set_changes_.push_back(h);
  }
  n.committing_set.reset();
  Trace("node " + std::to_string(n.index) + (synced ? " syncs" : " commits") + " height " + std::to_string(h) +
        " " + commit.block_hash.ToHex().substr(0, 8) + " (" + std::to_string(commit.tx_ids.size()) + " txs)");
  // What the node's LedgerSyncTarget callback does: the height driver's height is over.
  if (synced && n.proc) n.proc->driver->OnCommitted(h);
  if (n.byzantine) return;
  auto [it, fresh] = committed_.emplace(h, std::make_pair(commit.block_hash, commit.tip.state_root));
  if (!fresh && it->second.first != commit.block_hash) {
    return Fail("two different blocks committed at height " + std::to_string(h) + ": " +
                it->second.first.ToHex().substr(0, 16) + " and " + commit.block_hash.ToHex().substr(0, 16) +
                " (node " + std::to_string(n.index) + ")");
  }
  if (!fresh && it->second.second != commit.tip.state_root) {
    return Fail("state roots differ at height " + std::to_string(h) + " (node " + std::to_string(n.index) + ")");
  }
  if (gst_done_) check_live_ = true;
}

void World::Send(size_t from, size_t to, const Payload& p) {
  Answer(from, to, nodes_[to]->incarnation, p);
}

void World::Answer(size_t from, size_t to, uint64_t to_incarnation, const Payload& p) {
  for (uint64_t at : net_.Plan(from, to, now_, rng_)) {
    Schedule(at, Deliver{from, to, p, nodes_[from]->incarnation, to_incarnation});
  }
}

void World::BroadcastHonest(const Node& n, const Message& m) {
  const std::string bytes = consensus::EncodeMessage(m);
  for (size_t j = 0; j < nodes_.size(); ++j) {
    if (j != n.index) Send(n.index, j, bytes);
  }
}

void World::BanPeer(Node& n, const consensus::PubKey& peer, network::DisconnectReason reason) {
  const std::optional<size_t> who = IndexOf(peer);
  if (!who) return;
  n.banned.insert(*who);
  bans_ += 1;
  if (reason == network::DisconnectReason::kBadConsensusSignature) sig_bans_ += 1;
  Trace("node " + std::to_string(n.index) + " bans node " + std::to_string(*who) + ": " +
        std::string(network::ReasonString(reason)));
  if (!n.byzantine && !nodes_[*who]->byzantine) {
    Fail("honest node " + std::to_string(n.index) + " banned honest node " + std::to_string(*who) +
         " (" + std::string(network::ReasonString(reason)) + ")");
  }
}

void World::ServeSync(Node& n, const Deliver& d, const network::SyncRequest& r) {
  if (n.byzantine && rng_.Percent(50) && DamagedSync(n, d, r.from_height)) return;
  if (n.byzantine && rng_.Percent(30)) return ForgeSync(n, d, r.from_height);
  if (r.from_height == 0) return;
  ledger::Store& store = n.proc->ledger->store();
  const uint64_t last = std::min<uint64_t>(n.proc->ledger->Height(), r.from_height + r.count - 1);
  for (uint64_t h = r.from_height; h <= last; ++h) {
    ledger::Result<std::string> block = store.ReadBlockBytes(h);
    ledger::Result<std::string> cert = store.ReadCertificate(h);
    if (!block.ok() || !cert.ok()) {
      return Fail("node " + std::to_string(n.index) + " cannot read its block " + std::to_string(h));
    }
    Answer(n.index, d.from, d.from_incarnation, network::SyncResponse{h, std::move(block).value(), std::move(cert).value()});
  }
}

void World::OnSyncResponse(Node& n, size_t from, network::SyncResponse r) {
  const ledger::Status s =
      n.proc->sync->OnResponse(nodes_[from]->signer->Key(), std::move(r), now_);
  if (!s.ok()) return Fail("node " + std::to_string(n.index) + ": block sync: " + s.ToString());
  Poll(n);
}

std::optional<size_t> World::IndexOf(const consensus::PubKey& key) const {
  for (const auto& n : nodes_) {
    if (n->signer->Key() == key) return n->index;
  }
  return std::nullopt;
}

}  // namespace circuledger::sim::detail
