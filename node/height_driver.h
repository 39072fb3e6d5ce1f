// node/height_driver.h: the height driver — runs the consensus state machine
// (consensus/state_machine.h) height after height and performs its outputs, on one thread,
// without threads, sleeps or a clock of its own. circuledgerd runs it inside the ConsensusDriver
// (node/consensus_driver.h) on real time; tests/sim runs the same class on virtual time.
//
// Contract:
// - It owns the ConsensusState and the messages of the consensus WAL for the current height. It
//   borrows everything else through the interfaces below (they must outlive it) and calls them
//   synchronously, on the caller's thread. Not thread-safe: one caller at a time.
// - Write-ahead: everything one state-machine output asks to persist is handed to
//   ConsensusWal::Append in ONE call (one sync) before any message of that output is sent; a
//   failed append stops the output (nothing of it is sent) and reports HeightChain::Fatal.
//   Signing goes through the consensus::Signer given (the node's GuardedSigner: node/sign_guard.h).
// - Timers are data: ScheduleTimeout actions, the re-send of this node's messages (gossip) and
//   the block cadence become times; the caller asks NextWakeMs() and calls Poll() (or its parts)
//   at or after that time. Nothing happens between calls.
// - Block cadence: after a commit the next height starts once block_min_interval_ms has passed
//   and HeightChain::HasReadyTxs(), or empty_block_interval_ms passed (create_empty_blocks), or a
//   message of the next height arrived from another validator (it started; this one follows;
//   such early messages are kept, within limits::kMaxEarlyMessages and
//   kMaxEarlyBytesPerPeer per peer, and handed to the state machine when the height starts).
// - A message of a height above the one waiting to start, or one the state machine calls
//   kFutureHeight, asks HeightChain::RequestSync of its sender (others are ahead). A proposal
//   first passes HeightChain::CheckProposal (before the state machine decodes the body); a
//   forged one bans its sender, as do an undecodable message and a vote or proposal whose
//   signature fails. A proposal the application found invalid through its proposer's fault
//   (HeightChain::ProposerFault) bans its proposer, also when the state machine checked it later
//   than it arrived (one buffered for the next height is checked when that height starts).
// - A decision is committed through HeightChain::CommitDecided (skipped when the chain's tip is
//   already there: block sync got there first); block sync reports its commits with
//   OnCommitted(). Either ends the height.
#pragma once

#include <cstdint>
#include <optional>
#include <queue>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "consensus/application.h"
#include "consensus/state_machine.h"
#include "ledger/status.h"
#include "network/reasons.h"
#include "node/log.h"
#include "node/peer_budget.h"
#include "node/proposal_check.h"
#include "node/wal.h"

namespace circuledger::node {

// Monotonic milliseconds: the node's steady clock, or the simulator's virtual time.
class DriverClock {
 public:
  virtual ~DriverClock() = default;
  virtual uint64_t NowMs() const = 0;
};

// Where the height driver's consensus messages go (the node: network::P2pNode; or nowhere in
// dev mode). Sending never fails from the driver's point of view: gossip repeats what matters.
class ConsensusTransport {
 public:
  virtual ~ConsensusTransport() = default;
  virtual void Broadcast(const consensus::Message& message) = 0;
  virtual void Send(const ledger::PubKey& peer, const consensus::Message& message) = 0;
  // `peer` sent what an honest node never sends: disconnect and ban it.
  virtual void Ban(const ledger::PubKey& peer, network::DisconnectReason reason) = 0;
};

// What the height driver needs of the chain beyond consensus::Application: the ledger's
// (node/ledger_chain.h), in circuledgerd's ConsensusDriver and in the simulator alike.
class HeightChain {
 public:
  virtual ~HeightChain() = default;
  virtual uint64_t TipHeight() = 0;
  // `height` is starting: its validator set (the chain also reads whatever else it checks
  // proposals of this height against). An error stops the driver (Fatal).
  virtual ledger::Result<consensus::ValidatorSet> StartingHeight(uint64_t height) = 0;
  // A transaction could go into the next block (the mempool has one, not a future nonce).
  virtual bool HasReadyTxs() = 0;
  // A proposal from a peer, before the state machine asks the application for its id
  // (node/proposal_check.h).
  virtual EnvelopeCheck CheckProposal(const consensus::Proposal& proposal) = 0;
  // The application found the value with this id invalid through its proposer's fault (not,
  // say, a block time ahead of this node's clock, or this node's storage failing).
  virtual bool ProposerFault(const ledger::Hash256& value_id) = 0;
  // Commits the decided block at TipHeight() + 1 with its certificate. An error stops the driver.
  virtual ledger::Status CommitDecided(const consensus::Decide& decide) = 0;
  // Others are ahead: ask `peer` (any peer when nullopt) for blocks.
  virtual void RequestSync(const std::optional<ledger::PubKey>& peer) = 0;
  // The WAL or the chain's storage failed: the node must stop.
  virtual void Fatal(const ledger::Status& status) = 0;
};

struct HeightOptions {
  std::string chain_id;
  consensus::TimeoutConfig timeouts;
  uint64_t block_min_interval_ms = 0;    // Config::block_min_interval_ms
  bool create_empty_blocks = false;      // Config::create_empty_blocks
  uint64_t empty_block_interval_ms = 0;  // Config::empty_block_interval_ms
  // Re-send this node's messages of the height every two vote timeouts once the height has run
  // one vote timeout (messages lost while links were down still arrive). Off without peers.
  bool gossip = true;
};

struct HeightDriverDeps {
  HeightOptions options;
  consensus::Application& app;
  const consensus::ProposerSelector& proposers;
  const consensus::SignatureVerifier& verifier;
  const consensus::Signer* signer = nullptr;  // null: follow without signing
  HeightChain& chain;
  ConsensusTransport& transport;
  ConsensusWal& wal;
  const DriverClock& clock;
  Logger& log;
};

// Owns the ConsensusState; see the contract above.
class HeightDriver {
 public:
  // `wal_messages`: what the WAL holds (node::ToConsensusMessages), in write order.
  HeightDriver(HeightDriverDeps deps, std::vector<consensus::Message> wal_messages);

  // Once, before anything else: waits for the height after the tip as after a commit (with the
  // minimum interval already passed), or starts it at once when the WAL holds messages of it
  // (the node stopped mid-height).
  void Begin();
  // A consensus message (consensus::EncodeMessage bytes) from `peer`.
  void OnConsensusMessage(const ledger::PubKey& peer, std::string_view payload);
  // A new link to `peer`: sends it what this node signed at the current height.
  void OnPeerUp(const ledger::PubKey& peer);
  // Block sync committed `height` (the chain's tip now): the height is over.
  void OnCommitted(uint64_t height);

  // Poll() = FireTimers(), Gossip(), MaybeStartHeight(): what is due by the clock.
  void Poll();
  void FireTimers();
  void Gossip();
  void MaybeStartHeight();
  // The earliest time Poll() has something to do by the clock alone (a transaction or a message
  // may make it earlier); nullopt when nothing is scheduled.
  std::optional<uint64_t> NextWakeMs() const;

  // Observers.
  uint64_t height() const { return height_; }  // being decided, or the next one while waiting
  bool running() const { return running_; }    // height() started and not decided
  bool IntervalPassed() const;                 // block_min_interval_ms since the last commit
  uint64_t committed_at_ms() const { return committed_at_ms_; }
  uint64_t height_started_at_ms() const { return height_started_at_ms_; }
  const consensus::ConsensusState& state() const { return sm_; }

 private:
  struct TimerEntry {
    uint64_t at_ms = 0;
    consensus::Timeout timeout;
    bool operator>(const TimerEntry& o) const { return at_ms > o.at_ms; }
  };

  void StartHeight(uint64_t height);
  bool ReadyToStart() const;
  void Execute(consensus::Output out);
  void Commit(const consensus::Decide& d);
  void Fail(const ledger::Status& s) { chain_.Fatal(s); }

  HeightOptions options_;
  consensus::Application& app_;
  HeightChain& chain_;
  ConsensusTransport& transport_;
  ConsensusWal& wal_;
  const DriverClock& clock_;
  Logger& log_;
  consensus::ConsensusState sm_;
  std::vector<consensus::Message> wal_messages_;  // what the WAL holds, in write order

  uint64_t height_ = 0;
  bool running_ = false;
  bool next_height_seen_ = false;  // a message of height_ arrived while waiting
  std::vector<std::pair<ledger::PubKey, std::string>> early_;  // those messages
  PeerBudget early_bytes_;                                     // each peer's bytes in early_
  uint64_t committed_at_ms_ = 0;
  uint64_t height_started_at_ms_ = 0;
  uint64_t next_gossip_ms_ = 0;
  std::priority_queue<TimerEntry, std::vector<TimerEntry>, std::greater<TimerEntry>> timers_;
};

}  // namespace circuledger::node
