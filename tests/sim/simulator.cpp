// The simulator: setup from the seed, the event loop on virtual time, the node driver and the
// checkers. See simulator.h for what it models and checks.
#include <algorithm>
#include <cstdio>

#include "consensus/certificate.h"
#include "consensus/encoding.h"
#include "world.h"

namespace circuledger::sim {
namespace detail {

using consensus::Output;
using consensus::Proposal;
using consensus::Vote;

namespace {
constexpr uint64_t kMaxEvents = 3'000'000;  // a safety valve, far above any healthy run
constexpr uint64_t kSyncBatch = 8;          // blocks per sync answer

template <class... F>
struct Overloaded : F... {
  using F::operator()...;
};
template <class... F>
Overloaded(F...) -> Overloaded<F...>;

uint64_t HeightOf(const Message& m) {
  return std::visit([](const auto& x) { return x.height; }, m);
}
bool SignedBy(const Message& m, const consensus::PubKey& key) {
  const Vote* v = std::get_if<Vote>(&m);
  return v ? v->validator == key : std::get<Proposal>(m).proposer == key;
}
}  // namespace

bool CachingVerifier::Verify(const consensus::PubKey& key, const Hash256& msg,
                             const consensus::Signature& sig) const {
  std::string k;
  k.reserve(128);
  k.append(key.View()).append(msg.View()).append(sig.View());
  auto it = cache_.find(k);
  if (it != cache_.end()) return it->second;
  const bool ok = consensus::DefaultVerifier().Verify(key, msg, sig);
  cache_.emplace(std::move(k), ok);
  return ok;
}

World::World(uint64_t seed, const SimOptions& options)
    : seed_(seed), options_(options), rng_(seed) {
  Configure();
}

// ---- Setup ----

void World::Configure() {
  static constexpr size_t kSizes[] = {1, 2, 3, 4, 4, 4, 4, 5, 7};
  validators_ = kSizes[rng_.Below(std::size(kSizes))];
  if (options_.extra_byzantine) validators_ = rng_.Percent(50) ? 4 : 7;
  faulty_ = (validators_ - 1) / 3;
  byzantine_ = rng_.Percent(50) ? faulty_ : rng_.Below(faulty_ + 1);
  if (options_.extra_byzantine) byzantine_ = faulty_ + options_.extra_byzantine;
  const bool change = validators_ >= 2 && byzantine_ < validators_ && rng_.Percent(30);
  const size_t pool = validators_ + (change ? 1 : 0);

  net_ = Network(pool);
  for (size_t i = 0; i < pool; ++i) {
    auto n = std::make_unique<Node>(registry_);
    n->index = i;
    for (;;) {
      ledger::FixedBytes<32> secret;
      for (size_t b = 0; b < 32; b += 8) {
        const uint64_t x = rng_.Next();
        for (size_t k = 0; k < 8; ++k) secret.bytes[b + k] = static_cast<uint8_t>(x >> (8 * k));
      }
      if (auto key = ledger::SecretKey::FromBytes(secret.View())) {
        n->signer = std::make_unique<consensus::KeySigner>(*key, /*deterministic=*/true);
        break;
      }
    }
    nodes_.push_back(std::move(n));
  }
  // Byzantine: the first `byzantine_` of a shuffled [0, validators_).
  std::vector<size_t> order(validators_);
  for (size_t i = 0; i < validators_; ++i) order[i] = i;
  for (size_t i = 0; i < validators_; ++i) {
    std::swap(order[i], order[i + rng_.Below(validators_ - i)]);
  }
  for (size_t i = 0; i < byzantine_; ++i) nodes_[order[i]]->byzantine = true;

  std::vector<consensus::PubKey> first;
  for (size_t i = 0; i < validators_; ++i) first.push_back(nodes_[i]->signer->Key());
  sets_.push_back(*consensus::ValidatorSet::Make(first));
  if (change) {
    // An honest validator leaves and the extra node (a follower until then) joins, as a
    // governance change would (DESIGN.md 2: from a later height).
    const size_t leaver = order[byzantine_ + rng_.Below(validators_ - byzantine_)];
    std::vector<consensus::PubKey> second;
    for (size_t i = 0; i < pool; ++i) {
      if (i != leaver) second.push_back(nodes_[i]->signer->Key());
    }
    sets_.push_back(*consensus::ValidatorSet::Make(second));
    change_height_ = rng_.Range(2, 10);
  }

  timeouts_ = consensus::TimeoutConfig{rng_.Range(100, 300), rng_.Range(50, 150), rng_.Range(20, 80)};
  commit_delay_ms_ = rng_.Range(20, 120);
  gst_ms_ = rng_.Percent(10) ? 0 : rng_.Range(500, 8000);
  crashes_allowed_ = rng_.Percent(60) || options_.lose_wal_on_restart;
  net_.faults = LinkFaults{rng_.Range(0, 20), rng_.Range(0, 10), 1, rng_.Range(5, 150), 0, 0};
}

const consensus::ValidatorSet& World::ValidatorsAt(uint64_t height) const {
  return height < change_height_ ? sets_[0] : sets_[1];
}

// ---- The event loop ----

void World::Schedule(uint64_t at, Event e) { events_.emplace(std::make_pair(at, seq_++), std::move(e)); }

SimResult World::Run() {
  for (auto& n : nodes_) {
    n->sm = std::make_unique<consensus::ConsensusState>(
        consensus::ConsensusState::Config{chain_id_, timeouts_}, n->chain, proposers_, verifier_,
        n->signer.get());
    NewSync(*n);
  }
  for (auto& n : nodes_) {
    if (!failure_.empty()) break;
    StartHeight(*n, 1);
    Schedule(rng_.Range(1, 100), Tick{n->index, n->incarnation});
  }
  Schedule(rng_.Range(0, 50), Submit{});
  if (gst_ms_ > 0) Schedule(rng_.Range(1, 300), Chaos{});
  Schedule(gst_ms_, Gst{});

  while (failure_.empty() && !events_.empty()) {
    auto it = events_.begin();
    now_ = it->first.first;
    Event e = std::move(it->second);
    events_.erase(it);
    if (gst_done_ && now_ > gst_ms_ + kLivenessWindowMs) {
      std::string heights;
      for (const auto& n : nodes_) {
        heights += " " + std::to_string(n->chain.Height());
        if (n->sm) {
          heights += "(" + std::to_string(n->sm->height()) + "/" + std::to_string(n->sm->round()) +
                     "/" + std::string(consensus::StepName(n->sm->step())) +
                     (n->sm->locked_round() ? " locked@" + std::to_string(*n->sm->locked_round())
                                            : "") +
                     (n->byzantine ? " byzantine" : "") + ")";
        }
      }
      Fail("liveness: " + std::to_string(kLivenessWindowMs) + " ms after GST not every honest " +
           "node reached height " + std::to_string(target_height_) + "; heights:" + heights);
      break;
    }
    if (++events_run_ > kMaxEvents) {
      Fail("event budget exhausted");
      break;
    }
    Handle(e);
    if (check_live_) {
      check_live_ = false;
      if (Live()) break;
    }
  }

  uint64_t top = 0;
  for (const auto& n : nodes_) top = std::max(top, n->chain.Height());
  SimResult r;
  r.failure = failure_;
  r.summary = "n=" + std::to_string(validators_) + " f=" + std::to_string(faulty_) +
              " byzantine=" + std::to_string(byzantine_) +
              (change_height_ != UINT64_MAX ? " set-change@" + std::to_string(change_height_) : "") +
              " gst=" + std::to_string(gst_ms_) + "ms end=" + std::to_string(now_) +
              "ms height=" + std::to_string(top) + " events=" + std::to_string(events_run_) +
              " crashes=" + std::to_string(crashes_) + " partitions=" + std::to_string(partitions_) +
              " txs=" + std::to_string(tx_height_.size()) + " equivocations=" +
              std::to_string(equivocations_) + " bad-sigs=" + std::to_string(bad_signatures_) +
              " garbage=" + std::to_string(garbage_) + " forged-syncs=" +
              std::to_string(sync_rejected_) + " unrequested-syncs=" + std::to_string(unrequested_sent_) +
              " bans=" + std::to_string(bans_);
  return r;
}

void World::Handle(Event& e) {
  std::visit(Overloaded{
                 [&](Deliver& d) { OnDeliver(d); },
                 [&](Fire& f) {
                   Node& n = *nodes_[f.node];
                   if (n.up && n.incarnation == f.incarnation) Execute(n, n.sm->OnTimeout(f.timeout));
                 },
                 [&](Tick& t) {
                   Node& n = *nodes_[t.node];
                   if (!n.up || n.incarnation != t.incarnation) return;
                   Gossip(n);
                   Schedule(now_ + rng_.Range(80, 200), Tick{n.index, n.incarnation});
                 },
                 [&](StartNext& s) {
                   Node& n = *nodes_[s.node];
                   if (n.up && n.incarnation == s.incarnation && n.sm->height() < s.height &&
                       n.chain.Height() + 1 == s.height) {
                     StartHeight(n, s.height);
                   }
                 },
                 [&](Restart& r) {
                   if (!nodes_[r.node]->up) RestartNode(*nodes_[r.node]);
                 },
                 [&](Chaos&) { OnChaos(); },
                 [&](Submit&) { OnSubmit(); },
                 [&](Gst&) { OnGst(); },
             },
             e);
}

void World::OnDeliver(Deliver& d) {
  Node& n = *nodes_[d.to];
  if (!n.up || n.banned.count(d.from)) return;  // a banned peer's connection is closed
  std::visit(Overloaded{
                 [&](std::string& bytes) {
                   auto m = consensus::DecodeMessage(bytes);
                   if (!m.ok()) {
                     garbage_ += 1;
                     return;
                   }
                   Output out = std::holds_alternative<Proposal>(*m)
                                    ? n.sm->OnProposal(std::get<Proposal>(*m))
                                    : n.sm->OnVote(std::get<Vote>(*m));
                   if (out.verdict == consensus::Verdict::kEquivocation) equivocations_ += 1;
                   if (out.verdict == consensus::Verdict::kBadSignature) bad_signatures_ += 1;
                   // Others are ahead: the node's driver asks the sender for blocks.
                   const bool ahead = out.verdict == consensus::Verdict::kFutureHeight;
                   Execute(n, std::move(out));
                   if (ahead && n.up && n.sync) n.sync->Request(nodes_[d.from]->signer->Key(), now_);
                 },
                 [&](network::SyncRequest& r) {
                   if (d.to_incarnation == n.incarnation || options_.sync_survives_restart) ServeSync(n, d, r);
                 },
                 [&](network::SyncResponse& r) {
                   const bool connection_died =
                       d.to_incarnation != n.incarnation || d.from_incarnation != nodes_[d.from]->incarnation;
                   if (connection_died && !options_.sync_survives_restart) return;
                   OnSyncResponse(n, d.from, std::move(r));
                 },
             },
             d.payload);
}

void World::OnChaos() {
  if (gst_done_) return;
  const uint64_t dice = rng_.Below(100);
  if (dice < 30) {
    partitions_ += 1;
    Trace("partition: " + net_.RandomPartition(rng_));
  } else if (dice < 45) {
    net_.HealAll();
    Trace("heal");
  } else if (dice < 60) {
    net_.faults = LinkFaults{rng_.Range(0, 40), rng_.Range(0, 20), 1, rng_.Range(5, 300),
                             rng_.Range(0, 10), rng_.Range(500, 3000)};
    Trace("faults: loss " + std::to_string(net_.faults.loss_pct) + "% max delay " +
          std::to_string(net_.faults.max_delay_ms) + "ms");
  } else if (CrashesAllowed()) {
    std::vector<size_t> up;
    for (const auto& n : nodes_) {
      if (n->up && !n->byzantine) up.push_back(n->index);
    }
    if (!up.empty()) Crash(*nodes_[up[rng_.Below(up.size())]], "chaos");
  }
  const uint64_t next = now_ + rng_.Range(100, 1500);
  if (next < gst_ms_) Schedule(next, Chaos{});
}

void World::OnSubmit() {
  const uint64_t tx = registry_.next_id++;
  if (rng_.Percent(10)) registry_.invalid.insert(tx);  // it will fail execution
  const uint64_t copies = rng_.Range(1, 3);
  for (uint64_t i = 0; i < copies; ++i) {
    Node& n = *nodes_[rng_.Below(nodes_.size())];
    if (n.up) n.chain.AddToMempool(tx);
  }
  Schedule(now_ + rng_.Range(10, 80), Submit{});
}

void World::OnGst() {
  gst_done_ = true;
  net_.HealAll();
  net_.faults = LinkFaults{0, 5, 1, 40, 0, 0};
  uint64_t top = 0;
  for (const auto& n : nodes_) {
    if (!n->byzantine) top = std::max(top, n->chain.Height());
  }
  target_height_ = top + kLivenessHeights;
  Trace("GST: heal, restart all; target height " + std::to_string(target_height_));
  for (auto& n : nodes_) {
    if (!n->up) RestartNode(*n);
  }
}

void World::Crash(Node& n, const std::string& why) {
  crashes_ += 1;
  n.up = false;
  n.incarnation += 1;
  n.sm.reset();
  n.chain.ClearMempool();
  Trace("crash node " + std::to_string(n.index) + " (" + why + ")");
  Schedule(now_ + rng_.Range(50, 3000), Restart{n.index});
}

void World::RestartNode(Node& n) {
  n.up = true;
  n.incarnation += 1;
  if (options_.lose_wal_on_restart) {
    n.wal.clear();
    n.wal_bytes.clear();
  }
  n.sm = std::make_unique<consensus::ConsensusState>(
      consensus::ConsensusState::Config{chain_id_, timeouts_}, n.chain, proposers_, verifier_,
      n.signer.get());
  Trace("restart node " + std::to_string(n.index) + " at height " +
        std::to_string(n.chain.Height() + 1) + " with " + std::to_string(n.wal.size()) +
        " WAL records");
  NewSync(n);
  StartHeight(n, n.chain.Height() + 1);
  Schedule(now_ + rng_.Range(1, 100), Tick{n.index, n.incarnation});
}

void World::NewSync(Node& n) {
  n.sync_peers = std::make_unique<SimSyncPeers>(*this, n);
  n.sync_target = std::make_unique<SimSyncTarget>(*this, n);
  node::SyncOptions o;
  o.batch_blocks = static_cast<uint32_t>(kSyncBatch);
  n.sync = std::make_unique<node::BlockSync>(o, *n.sync_peers, *n.sync_target);
}

// ---- The node driver ----

// Performs the actions in order, as the node will: persist (durable at once), send, arm timers,
// commit. A crash may strike between any two actions (before GST).
void World::Execute(Node& n, Output out) {
  const uint64_t incarnation = n.incarnation;
  size_t crash_at = SIZE_MAX;
  if (!n.byzantine && CrashesAllowed() && !out.actions.empty() &&
      rng_.Below(options_.lose_wal_on_restart ? 20 : 150) == 0) {
    crash_at = static_cast<size_t>(rng_.Below(out.actions.size()));
  }
  for (size_t i = 0; i < out.actions.size() && failure_.empty(); ++i) {
    if (!n.up || n.incarnation != incarnation) return;
    if (i == crash_at) {
      Crash(n, "between actions");
      return;
    }
    std::visit(Overloaded{
                   [&](consensus::PersistMessage& p) {
                     if (!n.byzantine) CheckSigned(n, p.message);
                     n.wal_bytes.insert(consensus::EncodeMessage(p.message));
                     n.wal.push_back(std::move(p.message));
                   },
                   [&](consensus::BroadcastMessage& b) {
                     if (n.byzantine) {
                       BroadcastByzantine(n, b.message);
                       return;
                     }
                     if (SignedBy(b.message, n.signer->Key()) &&
                         !n.wal_bytes.count(consensus::EncodeMessage(b.message))) {
                       Fail("node " + std::to_string(n.index) + " sends what it did not persist");
                     }
                     BroadcastHonest(n, b.message);
                   },
                   [&](consensus::ScheduleTimeout& t) {
                     Schedule(now_ + t.delay_ms, Fire{n.index, incarnation, t.timeout});
                   },
                   [&](consensus::Decide& d) {
                     Commit(n, d.value, d.certificate);
                     Schedule(now_ + commit_delay_ms_, StartNext{n.index, incarnation, d.height + 1});
                   },
               },
               out.actions[i]);
  }
}

void World::StartHeight(Node& n, uint64_t height) {
  // The WAL keeps only what the current height may need (its earlier heights are committed).
  std::erase_if(n.wal, [&](const Message& m) { return HeightOf(m) < height; });
  n.wal_bytes.clear();
  for (const Message& m : n.wal) n.wal_bytes.insert(consensus::EncodeMessage(m));
  Execute(n, n.sm->Start(height, ValidatorsAt(height), n.wal));
}

void World::Commit(Node& n, const std::string& block, const consensus::CommitCertificate& cert) {
  const uint64_t h = n.chain.Height() + 1;
  if (!n.byzantine) {
    const std::string who = "node " + std::to_string(n.index) + " height " + std::to_string(h);
    if (cert.height != h) return Fail(who + ": decided height " + std::to_string(cert.height));
    const consensus::CertCheck check =
        consensus::VerifyCommitCertificate(cert, ValidatorsAt(h), chain_id_, verifier_);
    if (check != consensus::CertCheck::kOk) {
      return Fail(who + ": certificate " + std::string(consensus::CertCheckName(check)));
    }
    if (BlockId(block) != cert.value_id) return Fail(who + ": certificate for another block");
    std::optional<SimBlock> b = DecodeBlock(block);
    if (!b) return Fail(who + ": committed a malformed block");
    for (uint64_t tx : b->txs) {
      if (!registry_.Valid(tx)) {
        return Fail(who + ": committed tx " + std::to_string(tx) +
                    (registry_.Submitted(tx) ? " that fails execution" : " never submitted"));
      }
      auto [it, fresh] = tx_height_.emplace(tx, h);
      if (!fresh && it->second != h) {
        return Fail(who + ": tx " + std::to_string(tx) + " committed again (first at height " +
                    std::to_string(it->second) + ")");
      }
    }
  }
  const Committed& c = n.chain.Commit(block, cert);
  Trace("node " + std::to_string(n.index) + " commits height " + std::to_string(h) + " round " +
        std::to_string(cert.round) + " " + c.id.ToHex().substr(0, 8));
  if (n.byzantine) return;
  auto [it, fresh] = committed_.emplace(h, std::make_pair(c.id, c.state_root));
  if (!fresh && it->second.first != c.id) {
    return Fail("two different blocks committed at height " + std::to_string(h) + ": " +
                it->second.first.ToHex().substr(0, 16) + " and " + c.id.ToHex().substr(0, 16) +
                " (node " + std::to_string(n.index) + ")");
  }
  if (!fresh && it->second.second != c.state_root) {
    return Fail("state roots differ at height " + std::to_string(h) + " (node " +
                std::to_string(n.index) + ")");
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

void World::Gossip(Node& n) {
  // A stalled or lagging node asks one peer at a time (the node's block sync; one request is
  // outstanding until answered or timed out).
  n.sync->Request(std::nullopt, now_);
  if (n.byzantine && rng_.Percent(10)) UnrequestedSync(n);
  for (const Message& m : n.sm->GossipMessages()) BroadcastHonest(n, m);
}

void World::ServeSync(Node& n, const Deliver& d, const network::SyncRequest& r) {
  if (n.byzantine && rng_.Percent(30)) return ForgeSync(n, d, r.from_height);
  if (r.from_height == 0) return;
  const uint64_t last = std::min<uint64_t>(n.chain.Height(), r.from_height + r.count - 1);
  for (uint64_t h = r.from_height; h <= last; ++h) {
    const Committed& c = n.chain.Blocks()[h - 1];
    Answer(n.index, d.from, d.from_incarnation, network::SyncResponse{h, c.block, consensus::EncodeCertificate(c.cert)});
  }
}

void World::OnSyncResponse(Node& n, size_t from, network::SyncResponse r) {
  const ledger::Status s = n.sync->OnResponse(nodes_[from]->signer->Key(), std::move(r), now_);
  if (!s.ok()) return Fail("node " + std::to_string(n.index) + ": block sync: " + s.ToString());
  if (!failure_.empty() || !n.up) return;
  if (n.sm->height() <= n.chain.Height()) StartHeight(n, n.chain.Height() + 1);
}

std::optional<size_t> World::IndexOf(const consensus::PubKey& key) const {
  for (const auto& n : nodes_) {
    if (n->signer->Key() == key) return n->index;
  }
  return std::nullopt;
}

std::vector<consensus::PubKey> SimSyncPeers::Peers() {
  std::vector<consensus::PubKey> keys;
  for (const auto& other : world_.nodes_) {
    if (other->index != node_.index && !node_.banned.count(other->index)) keys.push_back(other->signer->Key());
  }
  return keys;
}

bool SimSyncPeers::SendRequest(const consensus::PubKey& peer, const network::SyncRequest& request) {
  const std::optional<size_t> to = world_.IndexOf(peer);
  if (!to) return false;
  world_.Send(node_.index, *to, request);
  return true;
}

void SimSyncPeers::Ban(const consensus::PubKey& peer, network::DisconnectReason reason) {
  const std::optional<size_t> who = world_.IndexOf(peer);
  if (!who) return;
  node_.banned.insert(*who);
  world_.bans_ += 1;
  world_.Trace("node " + std::to_string(node_.index) + " bans node " + std::to_string(*who) + ": " +
               std::string(network::ReasonString(reason)));
  if (!node_.byzantine && !world_.nodes_[*who]->byzantine) {
    world_.Fail("honest node " + std::to_string(node_.index) + " banned honest node " + std::to_string(*who) + " (" +
                std::string(network::ReasonString(reason)) + ")");
  }
}

uint64_t SimSyncTarget::TipHeight() { return node_.chain.Height(); }

// A block is taken only with a certificate that verifies against the validator set of its
// height, and only if it is valid on this node's chain; anything else is the sender's fault.
node::SyncApplied SimSyncTarget::Apply(uint64_t height, std::string_view block, std::string_view certificate) {
  const auto refuse = [&](const std::string& why) {
    world_.sync_rejected_ += 1;
    return node::SyncApplied{node::SyncApplied::Kind::kPeerFault, ledger::Status::InvalidArgument(why)};
  };
  if (height != node_.chain.Height() + 1) return refuse("not the next height");
  ledger::Result<CommitCertificate> cert = consensus::DecodeCertificate(certificate);
  if (!cert.ok()) return refuse("certificate does not decode");
  if (cert->height != height || BlockId(block) != cert->value_id) return refuse("certificate for another block");
  if (consensus::VerifyCommitCertificate(*cert, world_.ValidatorsAt(height), world_.chain_id_, world_.verifier_) !=
      consensus::CertCheck::kOk) {
    return refuse("certificate does not verify");
  }
  if (!node_.chain.ValidateValue(height, block)) return refuse("invalid block");
  world_.Commit(node_, std::string(block), *cert);
  return {};
}

// ---- Checkers ----

void World::Fail(const std::string& what) {
  if (failure_.empty()) failure_ = "at " + std::to_string(now_) + "ms: " + what;
}

// An honest validator never signs two different messages for one (height, round, step), even
// across restarts: the WAL's whole purpose.
void World::CheckSigned(const Node& n, const Message& m) {
  const consensus::PubKey& me = n.signer->Key();
  std::tuple<size_t, uint64_t, uint32_t, int> key;
  if (const Vote* v = std::get_if<Vote>(&m)) {
    if (v->validator != me) return;
    key = {n.index, v->height, v->round, static_cast<int>(v->type)};
  } else {
    const Proposal& p = std::get<Proposal>(m);
    if (p.proposer != me) return;  // the proposal this node locked on
    key = {n.index, p.height, p.round, 0};
  }
  const std::string bytes = consensus::EncodeMessage(m);
  auto [it, fresh] = signed_.emplace(key, bytes);
  if (!fresh && it->second != bytes) {
    static const char* kKinds[] = {"proposals", "prevotes", "precommits"};
    Fail("node " + std::to_string(n.index) + " signed two different " +
         kKinds[std::get<3>(key)] + " at height " + std::to_string(std::get<1>(key)) + " round " +
         std::to_string(std::get<2>(key)));
  }
}

bool World::Live() const {
  for (const auto& n : nodes_) {
    if (!n->byzantine && n->chain.Height() < target_height_) return false;
  }
  return true;
}

void World::Trace(const std::string& what) const {
  if (options_.verbose) {
    std::fprintf(stderr, "[%8llu ms] %s\n", static_cast<unsigned long long>(now_), what.c_str());
  }
}

}  // namespace detail

SimResult RunSimulation(uint64_t seed, const SimOptions& options) {
  detail::World world(seed, options);
  return world.Run();
}

}  // namespace circuledger::sim
