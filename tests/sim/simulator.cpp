// The simulator: setup from the seed, the event loop on virtual time and the checkers. The
// simulated node (the production height driver and block sync) is in sim_node.cpp. See
// simulator.h for what it models and checks.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <unistd.h>

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
  static uint64_t worlds = 0;  // runs of one process (one thread) never share a directory
  // Memory-backed when the machine has /dev/shm: the stores' syncs cost nothing there, and a
  // simulated crash kills a process, not the machine, so nothing depends on them.
  std::error_code shm_ec;
  const std::filesystem::path root = std::filesystem::is_directory("/dev/shm", shm_ec)
                                         ? std::filesystem::path("/dev/shm")
                                         : std::filesystem::temp_directory_path();
  base_dir_ = (root /
               ("circuledger-sim-" + std::to_string(::getpid()) + "-" + std::to_string(seed) + "-" +
                std::to_string(worlds++)))
                  .string();
  std::error_code ec;
  std::filesystem::remove_all(base_dir_, ec);
  std::filesystem::create_directories(base_dir_, ec);
  Configure();
}

World::~World() {
  for (auto& n : nodes_) n->proc.reset();  // close the stores before their files go
  graveyard_.clear();
  std::error_code ec;
  std::filesystem::remove_all(base_dir_, ec);
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
    auto n = std::make_unique<Node>();
    n->index = i;
    n->dir = base_dir_ + "/node-" + std::to_string(i);
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

  if (change) {
    // An honest validator leaves and the extra node (a follower until then) joins, through
    // governance transactions the client submits (the ledger applies each
    // kValidatorChangeDelay heights after it commits; the join first, so the set never has
    // fewer honest validators than it started with).
    change_ = true;
    leaver_ = order[byzantine_ + rng_.Below(validators_ - byzantine_)];
    joiner_ = validators_;
  }

  timeouts_ = consensus::TimeoutConfig{rng_.Range(100, 300), rng_.Range(50, 150), rng_.Range(20, 80)};
  std::vector<consensus::PubKey> first;
  for (size_t i = 0; i < validators_; ++i) first.push_back(nodes_[i]->signer->Key());
  chain_ = MakeSimChain(first, timeouts_);
  chain_id_ = chain_.genesis.chain_id;
  commit_delay_ms_ = rng_.Range(20, 120);
  gst_ms_ = rng_.Percent(10) ? 0 : rng_.Range(500, 8000);
  crashes_allowed_ = rng_.Percent(60) || options_.lose_wal_on_restart;
  net_.faults = LinkFaults{rng_.Range(0, 20), rng_.Range(0, 10), 1, rng_.Range(5, 150), 0, 0};
  empty_blocks_ = rng_.Percent(50);
}

// ---- The event loop ----

void World::Schedule(uint64_t at, Event e) { events_.emplace(std::make_pair(at, seq_++), std::move(e)); }

SimResult World::Run() {
  for (const auto& n : nodes_) {
    Trace("node " + std::to_string(n->index) + " key " + n->signer->Key().ToHex().substr(0, 12) +
          (n->byzantine ? " byzantine" : "") + (n->index >= validators_ ? " follower" : ""));
  }
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
        heights += " " + std::to_string(n->height);
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
  for (const auto& n : nodes_) top = std::max(top, n->height);
  SimResult r;
  r.failure = failure_;
  r.summary = "n=" + std::to_string(validators_) + " f=" + std::to_string(faulty_) +
              " byzantine=" + std::to_string(byzantine_) +
              (change_ ? " set-change@" + (set_changes_.empty() ? std::string("none") : [&] {
                std::string hs;
                for (uint64_t h : set_changes_) hs += (hs.empty() ? "" : ",") + std::to_string(h);
                return hs;
              }()) : "") +
              " gst=" + std::to_string(gst_ms_) + "ms end=" + std::to_string(now_) +
              "ms height=" + std::to_string(top) + " events=" + std::to_string(events_run_) +
              " crashes=" + std::to_string(crashes_) + " partitions=" + std::to_string(partitions_) +
              " txs=" + std::to_string(tx_height_.size()) + "/" + std::to_string(submitted_.size()) +
              " sig-bans=" + std::to_string(sig_bans_) +
              " garbage=" + std::to_string(garbage_) + " forged-syncs=" +
              std::to_string(sync_rejected_) + " unrequested-syncs=" + std::to_string(unrequested_sent_) +
              " oversized=" + std::to_string(oversized_sent_) + " damaged-syncs=" + std::to_string(damaged_syncs_) +
              " invalid-proposals=" + std::to_string(invalid_proposals_) + " replays=" + std::to_string(replays_sent_) +
              " bans=" + std::to_string(bans_);
  r.counters = SimCounters{damaged_syncs_, invalid_proposals_, replays_sent_, sync_rejected_, bans_,
                           tx_height_.size(), set_changes_.size()};
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
                   if (!n.byzantine && n.proc && n.proc->ledger->app().oversized_read() > 0) {
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

// A client: a manufacturer's member key creates a lot (one in ten transfers a lot that does not
// exist: valid when signed, invalid when executed); with a validator-set change planned, the
// governance key proposes it. Like a wallet, it asks one node for the next nonce (committed,
// past what waits in its mempool) and sends the transaction there and to up to two more nodes
// (the gossip it does not model). Nodes' views differ, so two transactions may take one nonce:
// only one of them can commit.
void World::OnSubmit() {
  Schedule(now_ + rng_.Range(10, 80), Submit{});
  std::vector<Node*> up;
  for (const auto& n : nodes_) {
    if (n->up && n->proc) up.push_back(n.get());
  }
  if (up.empty()) return;
  Node& via = *up[rng_.Below(up.size())];
  std::optional<ledger::Tx> tx;
  if (change_ && rng_.Percent(20)) {
    if (std::optional<ledger::Op> op = ValidatorChangeOp(via)) tx = ClientTx(via, chain_.gov, std::move(*op));
  }
  if (!tx) {
    const ClientKey& key = chain_.makers[rng_.Below(chain_.makers.size())];
    const uint64_t lot = next_lot_++;
    if (rng_.Percent(10)) {
      tx = ClientTx(via, key, ledger::Transfer{"ghost-" + std::to_string(lot), "maker"});
    } else {
      ledger::Composition c;
      c.entries.push_back(ledger::MaterialAmount{"Co", 1000 + rng_.Below(1000), 0});
      tx = ClientTx(via, key, ledger::CreateLot{"lot-" + std::to_string(lot), c});
    }
  }
  submitted_.insert(ledger::TxId(tx->body));
  const uint64_t copies = rng_.Range(1, 3);
  for (uint64_t i = 0; i < copies; ++i) {
    Node& n = i == 0 ? via : *up[rng_.Below(up.size())];
    if (!n.up || !n.proc) continue;  // crashed in an earlier copy's call
    if (!n.proc->ledger->Admit(*tx).ok()) continue;
    // The node's OnTxsWaiting: its loop wakes and may start a height.
    n.proc->driver->MaybeStartHeight();
    ArmWake(n);
    if (!failure_.empty()) return;
  }
}

ledger::Tx World::ClientTx(Node& via, const ClientKey& key, ledger::Op op) {
  return SignSim(chain_, key, via.proc->ledger->PendingNonce(key.pub), std::move(op));
}

std::optional<ledger::Op> World::ValidatorChangeOp(Node& via) {
  ledger::WorkingState st(via.proc->ledger->store());
  const ledger::ValidatorSet& set = st.GetValidators();
  const consensus::PubKey joiner = nodes_[joiner_]->signer->Key();
  const consensus::PubKey leaver = nodes_[leaver_]->signer->Key();
  const auto active = [&](const consensus::PubKey& k) {
    return std::any_of(set.active.begin(), set.active.end(), [&](const ledger::Validator& v) { return v.key == k; });
  };
  const auto pending = [&](const consensus::PubKey& k) {
    return std::any_of(set.pending.begin(), set.pending.end(),
                       [&](const ledger::PendingValidatorChange& c) { return c.validator.key == k; });
  };
  if (!active(joiner) && !pending(joiner)) {
    return ledger::Propose{ledger::AddValidator{ledger::Validator{
        joiner, "sim-" + std::to_string(joiner_), "127.0.0.1:" + std::to_string(26656 + joiner_)}}};
  }
  if (active(joiner) && active(leaver) && !pending(leaver)) return ledger::Propose{ledger::RemoveValidator{leaver}};
  return std::nullopt;
}

void World::OnGst() {
  gst_done_ = true;
  net_.HealAll();
  net_.faults = LinkFaults{0, 5, 1, 40, 0, 0};
  uint64_t top = 0;
  for (const auto& n : nodes_) {
    if (!n->byzantine) top = std::max(top, n->height);
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
        std::to_string(n.height + 1) + " with " + std::to_string(n.wal.size()) +
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
    if (!n->byzantine && n->height < target_height_) return false;
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
