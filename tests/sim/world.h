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
#include "network.h"
#include "rng.h"
#include "simulator.h"
#include "toy_chain.h"

namespace circuledger::sim::detail {

using consensus::Message;

// Block sync, as the real network will do it: "my next height is h" and the answer, blocks with
// their commit certificates from h on.
struct StatusMsg {
  uint64_t next_height = 0;
};
struct SyncMsg {
  std::vector<Committed> blocks;
};
// Consensus messages travel in their canonical encoding (decoded on arrival, as from a socket).
using Payload = std::variant<std::string, StatusMsg, SyncMsg>;

struct Deliver {
  size_t from = 0;
  size_t to = 0;
  Payload payload;
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
  void BroadcastHonest(const Node& n, const Message& m);
  void Gossip(Node& n);
  void ApplySync(Node& n, const SyncMsg& s);
  void ReplyStatus(Node& n, size_t to, uint64_t next_height);

  // The adversary (byzantine.cpp).
  void BroadcastByzantine(Node& n, const Message& m);
  void ByzantineProposal(Node& n, const consensus::Proposal& p);
  void ByzantineVote(Node& n, const consensus::Vote& v);
  void ForgeSync(Node& n, size_t to, uint64_t height);
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
  uint64_t equivocations_ = 0, bad_signatures_ = 0;
};

}  // namespace circuledger::sim::detail
