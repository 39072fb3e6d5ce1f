// tests/sim/world.h: the simulator's internals: nodes, the event queue on virtual time, the
// simulated node's I/O, Byzantine behaviour and the checkers. A simulated node is the node's own
// height driver (node/height_driver.h) and block sync (node/block_sync.h) over its ledger, on
// virtual time. simulator.cpp holds setup, events and the checkers; sim_node.cpp the node's I/O;
// byzantine.cpp the adversary; sim_ledger.h the ledger each node runs. One World per seed; not
// thread-safe.
#pragma once

#include <iostream>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <variant>
#include <vector>

#include "consensus/state_machine.h"
#include "network/messages.h"
#include "node/block_sync.h"
#include "node/height_driver.h"
#include "node/log.h"
#include "network.h"
#include "rng.h"
#include "simulator.h"
#include "sim_ledger.h"

namespace circuledger::sim::detail {

using consensus::CommitCertificate;
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
struct Wake {  // the height driver's next wake-up (timeouts, gossip, the block cadence)
  size_t node = 0;
  uint64_t incarnation = 0;
  uint64_t at = 0;
};
struct Tick {  // block sync's look at the peers (and a Byzantine's unrequested answers)
  size_t node = 0;
  uint64_t incarnation = 0;
};
struct Restart {
  size_t node = 0;
};
struct Chaos {};   // change the faults (before GST)
struct Submit {};  // a client submits a transaction
struct Gst {};     // global stabilisation time: heal and restart everything
using Event = std::variant<Deliver, Wake, Tick, Restart, Chaos, Submit, Gst>;

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

// Virtual time for the height driver.
class SimClock final : public node::DriverClock {
 public:
  explicit SimClock(const uint64_t& now_ms) : now_ms_(now_ms) {}
  uint64_t NowMs() const override { return now_ms_; }

 private:
  const uint64_t& now_ms_;
};

// One incarnation of a node's process: what the production height driver and block sync are
// given, over the simulated network, the node's durable WAL and its ledger (sim_node.cpp: the
// ledger parts forward to the process's node::LedgerChain and node::LedgerSyncTarget).
// After a crash (which may strike inside a call, between the WAL append and the sends) it goes
// on being called until the call returns, and does nothing: no write, no send, no commit.
class SimNodeIo final : public node::HeightChain,
                        public node::ConsensusTransport,
                        public node::ConsensusWal,
                        public node::SyncPeers,
                        public node::SyncTarget {
 public:
  SimNodeIo(World& world, Node& node, ProcessLedger& ledger);
  // HeightChain and SyncTarget.
  uint64_t TipHeight() override;
  ledger::Result<consensus::ValidatorSet> StartingHeight(uint64_t height) override;
  bool HasReadyTxs() override;
  node::EnvelopeCheck CheckProposal(const consensus::Proposal& proposal) override;
  bool ProposerFault(const Hash256& value_id) override;
  ledger::Status CommitDecided(const consensus::Decide& decide) override;
  void RequestSync(const std::optional<consensus::PubKey>& peer) override;
  void Fatal(const ledger::Status& status) override;
  node::SyncApplied Apply(uint64_t height, std::string_view block, std::string_view certificate) override;
  // ConsensusTransport and SyncPeers.
  void Broadcast(const Message& message) override;
  void Send(const consensus::PubKey& peer, const Message& message) override;
  void Ban(const consensus::PubKey& peer, network::DisconnectReason reason) override;
  std::vector<consensus::PubKey> Peers() override;
  bool SendRequest(const consensus::PubKey& peer, const network::SyncRequest& request) override;
  // ConsensusWal: the node's durable record; checks what an honest node signs.
  ledger::Status Append(const std::vector<node::WalRecord>& records) override;
  ledger::Status Reset(const std::vector<node::WalRecord>& keep) override;
  uint64_t size_bytes() const override;

 private:
  bool Live() const;  // this incarnation is the node's running one
  bool MaybeCrash(const char* where);  // before GST, now and then: true if it crashed

  World& world_;
  Node& node_;
  uint64_t incarnation_ = 0;
  ProcessLedger& ledger_;
};

// The volatile part of a node: lost in a crash.
struct Process {
  std::unique_ptr<ProcessLedger> ledger;  // the node's store, opened by this process
  std::unique_ptr<SimNodeIo> io;
  std::unique_ptr<node::BlockSync> sync;
  std::unique_ptr<node::HeightDriver> driver;
};

struct Node {
  size_t index = 0;
  bool byzantine = false;
  std::unique_ptr<consensus::KeySigner> signer;
  // Durable: survives a crash.
  std::string dir;      // the ledger's directory (ledger::Store)
  uint64_t height = 0;  // the height it committed last (its store must say so after a restart)
  std::vector<Message> wal;
  std::set<std::string> wal_bytes;  // encodings of `wal`: the send-after-persist check
  uint64_t wal_size = 0;            // bytes, as node::Wal counts them
  // Volatile.
  std::unique_ptr<Process> proc;  // null while down
  std::optional<consensus::ValidatorSet> committing_set;  // of the height being committed
  std::set<uint64_t> wakes;       // times of the Wake events scheduled for this incarnation
  std::set<size_t> banned;        // peers this node banned: the transport drops what they send
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
  friend class SimNodeIo;
  World(uint64_t seed, const SimOptions& options);
  ~World();  // removes the nodes' ledger directories
  SimResult Run();

 private:
  // Setup and events (simulator.cpp).
  void Configure();
  void Schedule(uint64_t at, Event e);
  void Handle(Event& e);
  void OnDeliver(Deliver& d);
  void OnChaos();
  void OnSubmit();
  // The client's next transaction for `key`, at the nonce the node it asks (`via`) says is next.
  ledger::Tx ClientTx(Node& via, const ClientKey& key, ledger::Op op);
  std::optional<ledger::Op> ValidatorChangeOp(Node& via);  // the set change, while not yet scheduled
  void OnGst();
  void RestartNode(Node& n);
  void Crash(Node& n, const std::string& why);
  bool CrashesAllowed() const { return crashes_allowed_ && !gst_done_; }

  // The simulated node (sim_node.cpp).
  void StartProcess(Node& n);  // a fresh process on the node's durable state
  // After each call into a node's height driver: schedules a Wake for its next wake-up time.
  void ArmWake(Node& n);
  void Poll(Node& n);  // what the node's loop does after a batch: timers, gossip, cadence
  // After a node committed a block (decided or synced): the checkers, the node's height.
  void Committed(Node& n, const ledger::BlockCommit& commit, bool synced);
  void Send(size_t from, size_t to, const Payload& p);
  // An answer on the connection a request came in on (`to_incarnation`: the requester's then).
  void Answer(size_t from, size_t to, uint64_t to_incarnation, const Payload& p);
  void BroadcastHonest(const Node& n, const Message& m);
  void BanPeer(Node& n, const consensus::PubKey& peer, network::DisconnectReason reason);
  void ServeSync(Node& n, const Deliver& d, const network::SyncRequest& r);
  void OnSyncResponse(Node& n, size_t from, network::SyncResponse r);
  std::optional<size_t> IndexOf(const consensus::PubKey& key) const;

  // The adversary (byzantine.cpp).
  void BroadcastByzantine(Node& n, const Message& m);
  void ByzantineProposal(Node& n, const consensus::Proposal& p);
  void ByzantineVote(Node& n, const consensus::Vote& v);
  void ForgeSync(Node& n, const Deliver& d, uint64_t height);
  // A real block and certificate of `height` with one transaction signature damaged: the header
  // (so the certificate) still matches, the transactions do not. False when there is none.
  bool DamagedSync(Node& n, const Deliver& d, uint64_t height);
  // An invalid variant of a proposed block (a damaged signature, a replayed or unsubmitted
  // transaction, a wrong parent), with its header's roots made consistent where that is possible.
  std::string InvalidVariant(Node& n, ledger::Block block);
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
  SimClock clock_{now_};
  uint64_t seq_ = 0;
  std::map<std::pair<uint64_t, uint64_t>, Event> events_;  // (time, sequence) -> event

  // Configuration.
  std::string chain_id_ = "sim";
  SimChain chain_;
  std::string base_dir_;  // the nodes' ledger directories are in here
  size_t validators_ = 0;
  size_t faulty_ = 0;  // f
  size_t byzantine_ = 0;
  // A validator-set change (through governance transactions): an honest validator leaves and
  // the extra node, a follower until then, joins.
  bool change_ = false;
  size_t leaver_ = 0, joiner_ = 0;
  std::vector<uint64_t> set_changes_;  // heights at which the committed validator set changed
  uint64_t gst_ms_ = 0;
  bool crashes_allowed_ = false;
  uint64_t commit_delay_ms_ = 50;  // the block interval (node Config::block_min_interval_ms)
  bool empty_blocks_ = true;       // Config::create_empty_blocks, at the same interval
  consensus::TimeoutConfig timeouts_;

  uint64_t next_lot_ = 0;               // the client's lot ids
  std::set<Hash256> submitted_;          // every transaction a client submitted
  Network net_{1};
  std::vector<std::unique_ptr<Node>> nodes_;
  std::vector<std::unique_ptr<Process>> graveyard_;  // crashed inside a call: freed between events
  std::ostringstream log_sink_;
  // The nodes' log: errors only, kept; with a trace (verbose), everything from Info on, to stderr.
  node::Logger log_{options_.verbose ? static_cast<std::ostream&>(std::cerr) : log_sink_,
                    options_.verbose ? node::Logger::Level::kInfo : node::Logger::Level::kError};
  CachingVerifier verifier_;
  consensus::RoundRobinProposer proposers_;
  std::map<std::pair<uint64_t, uint32_t>, AltPlan> alt_plans_;

  // Checker state.
  std::string failure_;
  std::map<uint64_t, std::pair<Hash256, Hash256>> committed_;  // height -> (block id, root)
  std::map<uint64_t, Hash256> set_at_;                         // height -> its validator set's hash
  std::map<Hash256, uint64_t> tx_height_;                      // tx -> height it committed at
  std::map<std::tuple<size_t, uint64_t, uint32_t, int>, std::string> signed_;
  bool gst_done_ = false;
  uint64_t target_height_ = 0;
  bool check_live_ = false;

  // Counters for the summary.
  uint64_t events_run_ = 0, crashes_ = 0, partitions_ = 0, garbage_ = 0, sync_rejected_ = 0;
  uint64_t sig_bans_ = 0, unrequested_sent_ = 0, bans_ = 0, oversized_sent_ = 0;
  uint64_t damaged_syncs_ = 0, invalid_proposals_ = 0, replays_sent_ = 0, left_out_ = 0;
};

}  // namespace circuledger::sim::detail
