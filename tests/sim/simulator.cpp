// The simulator: setup from the seed, the event loop on virtual time and the checkers. The
// simulated node (the production height driver and block sync) is in sim_node.cpp. See
// simulator.h for what it models and checks.
#include <algorithm>
#include <cstdio>

#include "consensus/certificate.h"
#include "consensus/encoding.h"
#include "world.h"

namespace circuledger::sim {
namespace detail {

using consensus::Proposal;
using consensus::Vote;

namespace {
constexpr uint64_t kMaxEvents = 3'000'000;  // a safety valve, far above any healthy run

template <class... F>
struct Overloaded : F... {
  using F::operator()...;
};
template <class... F>
Overloaded(F...) -> Overloaded<F...>;

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
  empty_blocks_ = rng_.Percent(50);
}

const consensus::ValidatorSet& World::ValidatorsAt(uint64_t height) const {
  return height < change_height_ ? sets_[0] : sets_[1];
}

// ---- The event loop ----

void World::Schedule(uint64_t at, Event e) { events_.emplace(std::make_pair(at, seq_++), std::move(e)); }

SimResult World::Run() {
  for (auto& n : nodes_) {
    if (!failure_.empty()) break;
    StartProcess(*n);
    Schedule(rng_.Range(1, 100), Tick{n->index, n->incarnation});
  }
  Schedule(rng_.Range(0, 50), Submit{});
  if (gst_ms_ > 0) Schedule(rng_.Range(1, 300), Chaos{});
  Schedule(gst_ms_, Gst{});

  while (failure_.empty() && !events_.empty()) {
    graveyard_.clear();
    auto it = events_.begin();
    now_ = it->first.first;
    Event e = std::move(it->second);
    events_.erase(it);
    if (gst_done_ && now_ > gst_ms_ + kLivenessWindowMs) {
      std::string heights;
      for (const auto& n : nodes_) {
        heights += " " + std::to_string(n->chain.Height());
        if (n->proc) {
          const consensus::ConsensusState& sm = n->proc->driver->state();
          heights += "(" + std::to_string(sm.height()) + "/" + std::to_string(sm.round()) + "/" +
                     (n->proc->driver->running() ? std::string(consensus::StepName(sm.step())) : "waiting") +
                     (sm.locked_round() ? " locked@" + std::to_string(*sm.locked_round()) : "") +
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
              " txs=" + std::to_string(tx_height_.size()) + " sig-bans=" + std::to_string(sig_bans_) +
              " garbage=" + std::to_string(garbage_) + " forged-syncs=" +
              std::to_string(sync_rejected_) + " unrequested-syncs=" + std::to_string(unrequested_sent_) +
              " oversized=" + std::to_string(oversized_sent_) + " bans=" + std::to_string(bans_);
  return r;
}

void World::Handle(Event& e) {
  std::visit(Overloaded{
                 [&](Deliver& d) { OnDeliver(d); },
                 [&](Wake& w) {
                   Node& n = *nodes_[w.node];
                   if (!n.up || n.incarnation != w.incarnation) return;
                   n.wakes.erase(w.at);
                   Poll(n);
                 },
                 [&](Tick& t) {
                   Node& n = *nodes_[t.node];
                   if (!n.up || n.incarnation != t.incarnation) return;
                   // A stalled or lagging node asks one peer at a time (one request is
                   // outstanding until answered or timed out).
                   n.proc->sync->Request(std::nullopt, now_);
                   if (n.byzantine && rng_.Percent(10)) UnrequestedSync(n);
                   Poll(n);
                   Schedule(now_ + rng_.Range(80, 200), Tick{n.index, n.incarnation});
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
                   n.proc->driver->OnConsensusMessage(nodes_[d.from]->signer->Key(), bytes);
                   if (!n.byzantine && n.chain.oversized_read() > 0) {
                     return Fail("node " + std::to_string(n.index) + " read a value over the max block bytes" +
                                 " (the envelope check did not refuse it)");
                   }
                   Poll(n);
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
    if (!n.up) continue;
    n.chain.AddToMempool(tx);
    // The node's OnTxsWaiting: its loop wakes and may start a height.
    n.proc->driver->MaybeStartHeight();
    ArmWake(n);
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
  // It may crash inside a call of its own height driver: freed between events (World::Run).
  graveyard_.push_back(std::move(n.proc));
  n.wakes.clear();
  n.chain.ClearMempool();
  Trace("crash node " + std::to_string(n.index) + " (" + why + ")");
  // Answers outliving the crash (a mode to show the checker bites) need a quick restart to land in.
  Schedule(now_ + (options_.sync_survives_restart ? rng_.Range(1, 100) : rng_.Range(50, 3000)), Restart{n.index});
}

void World::RestartNode(Node& n) {
  n.up = true;
  n.incarnation += 1;
  if (options_.lose_wal_on_restart) {
    n.wal.clear();
    n.wal_bytes.clear();
    n.wal_size = 0;
  }
  Trace("restart node " + std::to_string(n.index) + " at height " +
        std::to_string(n.chain.Height() + 1) + " with " + std::to_string(n.wal.size()) +
        " WAL records");
  StartProcess(n);
  Schedule(now_ + rng_.Range(1, 100), Tick{n.index, n.incarnation});
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
