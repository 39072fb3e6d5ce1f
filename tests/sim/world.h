// tests/sim/world.h: the simulator's internals: nodes, the event queue on virtual time, the node
// driver (performs a state machine's actions in order), Byzantine behaviour and the checkers.
// simulator.cpp holds setup, events, the driver and the checkers; byzantine.cpp the adversary.
// One World per seed; not thread-safe.
#pragma once

#include <map>
#include <memory>
#include <set>
#include <string>
#include <variant>
#include <vector>

#include "consensus/state_machine.h"
#include "network/messages.h"
#include "node/block_sync.h"
#include "network.h"
#include "rng.h"
#include "simulator.h"
#include "toy_chain.h"

namespace circuledger::sim::detail {

using consensus::Message;

// Block sync is the node's own (node/block_sync.h) over the simulated network: requests and
// answers in the wire types of network/messages.h (an answer carries the block and its encoded
// commit certificate).
using Payload = std::variant<std::string, network::SyncRequest, network::SyncResponse>;

struct Deliver {
  size_t from = 0;
  size_t to = 0;
  Payload payload;
  // The connection it travels on: a sync request or answer dies with either end's process (an
  // answer to a request from before the requester crashed never reaches the restarted node).
  uint64_t from_incarnation = 0;
  uint64_t to_incarnation = 0;
};
struct Fire {  // a consensus timeout
  size_t node = 0;
  uint64_t incarnation = 0;
  consensus::Timeout timeout;
};
struct Tick {  // gossip: status, and re-sending this height's own messages
  size_t node = 0;
  uint64_t incarnation = 0;
};
struct StartNext {  // the pause between a decision and the next height
  size_t node = 0;
  uint64_t incarnation = 0;
  uint64_t height = 0;
};
struct Restart {
  size_t node = 0;
};
struct Chaos {};   // change the faults (before GST)
struct Submit {};  // a client submits a transaction
struct Gst {};     // global stabilisation time: heal and restart everything
using Event = std::variant<Deliver, Fire, Tick, StartNext, Restart, Chaos, Submit, Gst>;

// Verification is a pure function, so one cache serves every node of a run: each signature is
// checked once however many nodes receive it (it keeps 1,000 seeds fast).
class CachingVerifier final : public consensus::SignatureVerifier {
 public:
  bool Verify(const consensus::PubKey& key, const Hash256& msg,
              const consensus::Signature& sig) const override;

 private:
  mutable std::map<std::string, bool> cache_;
};

class World;
struct Node;

// The production block sync's transport and chain, over the simulated network and a toy chain.
class SimSyncPeers final : public node::SyncPeers {
 public:
  SimSyncPeers(World& world, Node& node) : world_(world), node_(node) {}
  std::vector<consensus::PubKey> Peers() override;
  bool SendRequest(const consensus::PubKey& peer, const network::SyncRequest& request) override;
  void Ban(const consensus::PubKey& peer, network::DisconnectReason reason) override;

 private:
  World& world_;
  Node& node_;
};
class SimSyncTarget final : public node::SyncTarget {
 public:
  SimSyncTarget(World& world, Node& node) : world_(world), node_(node) {}
  uint64_t TipHeight() override;
  node::SyncApplied Apply(uint64_t height, std::string_view block, std::string_view certificate) override;

 private:
  World& world_;
  Node& node_;
};

struct Node {
  explicit Node(const TxRegistry& registry) : chain(registry) {}
  size_t index = 0;
  bool byzantine = false;
  std::unique_ptr<consensus::KeySigner> signer;
  // Durable: survives a crash.
  ToyChain chain;
  std::vector<Message> wal;
  std::set<std::string> wal_bytes;  // encodings of `wal`: the send-after-persist check
  // Volatile.
  std::unique_ptr<consensus::ConsensusState> sm;
  std::unique_ptr<SimSyncPeers> sync_peers;
  std::unique_ptr<SimSyncTarget> sync_target;
  std::unique_ptr<node::BlockSync> sync;
  std::set<size_t> banned;  // peers this node banned: the transport drops what they send
  bool up = true;
  uint64_t incarnation = 0;
};

// A Byzantine proposer's second proposal for (height, round), which its accomplices vote for
// towards the same group of nodes: the split attack.
struct AltPlan {
  Hash256 main_id;
  Hash256 alt_id;
  std::vector<bool> group_b;  // by node index: got the alternative
};

class World {
 public:
  friend class SimSyncPeers;
  friend class SimSyncTarget;
  World(uint64_t seed, const SimOptions& options);
  SimResult Run();

 private:
  // Setup and events (simulator.cpp).
  void Configure();
  const consensus::ValidatorSet& ValidatorsAt(uint64_t height) const;
  void Schedule(uint64_t at, Event e);
  void Handle(Event& e);
  void OnDeliver(Deliver& d);
  void OnChaos();
  void OnSubmit();
  void OnGst();
  void RestartNode(Node& n);
  void Crash(Node& n, const std::string& why);
  bool CrashesAllowed() const { return crashes_allowed_ && !gst_done_; }

  // The node driver.
  void Execute(Node& n, consensus::Output out);
  void StartHeight(Node& n, uint64_t height);
  void Commit(Node& n, const std::string& block, const consensus::CommitCertificate& cert);
  void Send(size_t from, size_t to, const Payload& p);
  // An answer on the connection a request came in on (`to_incarnation`: the requester's then).
  void Answer(size_t from, size_t to, uint64_t to_incarnation, const Payload& p);
  void BroadcastHonest(const Node& n, const Message& m);
  void Gossip(Node& n);
  void NewSync(Node& n);  // a fresh BlockSync (its state is volatile, as in the node)
  void ServeSync(Node& n, const Deliver& d, const network::SyncRequest& r);
  void OnSyncResponse(Node& n, size_t from, network::SyncResponse r);
  std::optional<size_t> IndexOf(const consensus::PubKey& key) const;

  // The adversary (byzantine.cpp).
  void BroadcastByzantine(Node& n, const Message& m);
  void ByzantineProposal(Node& n, const consensus::Proposal& p);
  void ByzantineVote(Node& n, const consensus::Vote& v);
  void ForgeSync(Node& n, const Deliver& d, uint64_t height);
  void UnrequestedSync(Node& n);  // a real block and certificate nobody asked for
  std::vector<bool> RandomGroups();

  // Checkers.
  void Fail(const std::string& what);
  void CheckSigned(const Node& n, const Message& m);
  bool Live() const;
  void Trace(const std::string& what) const;

  uint64_t seed_ = 0;
  SimOptions options_;
  Rng rng_;
  uint64_t now_ = 0;
  uint64_t seq_ = 0;
  std::map<std::pair<uint64_t, uint64_t>, Event> events_;  // (time, sequence) -> event

  // Configuration.
  std::string chain_id_ = "sim";
  size_t validators_ = 0;
  size_t faulty_ = 0;  // f
  size_t byzantine_ = 0;
  uint64_t change_height_ = UINT64_MAX;
  std::vector<consensus::ValidatorSet> sets_;  // [0] before change_height_, [1] from it
  uint64_t gst_ms_ = 0;
  bool crashes_allowed_ = false;
  uint64_t commit_delay_ms_ = 50;
  consensus::TimeoutConfig timeouts_;

  TxRegistry registry_;
  Network net_{1};
  std::vector<std::unique_ptr<Node>> nodes_;
  CachingVerifier verifier_;
  consensus::RoundRobinProposer proposers_;
  std::map<std::pair<uint64_t, uint32_t>, AltPlan> alt_plans_;

  // Checker state.
  std::string failure_;
  std::map<uint64_t, std::pair<Hash256, Hash256>> committed_;  // height -> (block id, root)
  std::map<uint64_t, uint64_t> tx_height_;                     // tx -> height it committed at
  std::map<std::tuple<size_t, uint64_t, uint32_t, int>, std::string> signed_;
  bool gst_done_ = false;
  uint64_t target_height_ = 0;
  bool check_live_ = false;

  // Counters for the summary.
  uint64_t events_run_ = 0, crashes_ = 0, partitions_ = 0, garbage_ = 0, sync_rejected_ = 0;
  uint64_t equivocations_ = 0, bad_signatures_ = 0, unrequested_sent_ = 0, bans_ = 0;
};

}  // namespace circuledger::sim::detail
