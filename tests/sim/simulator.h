// tests/sim/simulator.h: the deterministic consensus simulator (TigerBeetle's VOPR,
// FoundationDB's simulation), one seed per run.
//
// The seed picks the validator set (1 to 7 validators, sometimes a validator-set change at a
// height), up to f Byzantine validators, and a chaos schedule until GST: message delay, loss,
// duplication, reordering, partitions (symmetric and asymmetric), crashes of honest nodes (also
// between a WAL write and the send) with restarts from their WAL. Byzantine validators
// double-propose, double-vote, propose invalid and oversized blocks, send garbage, forged and
// unrequested sync replies, certified blocks with a damaged transaction signature, and blocks
// with replayed or unsubmitted transactions. A simulated node is the node's own height driver
// (node::HeightDriver) and block sync (node::BlockSync) over the simulated network, a durable
// in-memory WAL and its own ledger (a ledger::Store with node::LedgerApp, node::LedgerChain and
// node::LedgerSyncTarget); clients submit real signed transactions, and the validator-set change
// is made by governance transactions.
// After GST the network heals and every crashed node restarts.
//
// Checkers, run as it goes: no two honest nodes commit different blocks at one height; honest
// state roots agree; every committed transaction was submitted, valid and committed once; every
// decision's certificate verifies; an honest validator never signs two different messages for
// one height, round and step (across restarts) and never sends what it has not persisted; no
// honest node bans an honest node; no honest node's application reads a value over the chain's
// max block bytes; after
// GST every honest node's height rises by kLivenessHeights within kLivenessWindowMs.
// Everything runs on virtual time on the calling thread; no wall clock. Thread-compatible: runs
// on different threads share nothing.
#pragma once

#include <cstdint>
#include <string>

namespace circuledger::sim {

constexpr uint64_t kLivenessHeights = 3;
constexpr uint64_t kLivenessWindowMs = 120'000;

struct SimOptions {
  // Modes that break the protocol's assumptions, so tests can show that the checkers bite.
  size_t extra_byzantine = 0;       // Byzantine validators beyond f (all of them split-attack)
  bool lose_wal_on_restart = false;  // a restarted node forgets what it signed
  // Sync answers outlive the requester's crash (a transport that would deliver them to the
  // restarted process): its fresh block sync sees answers it never asked for. Crashed nodes
  // then restart within 100 ms, so that such answers land.
  bool sync_survives_restart = false;
  // Honest nodes hand proposals to the state machine without the envelope check (node/
  // proposal_check.h): the application then reads oversized values.
  bool skip_envelope_check = false;
  bool verbose = false;              // trace events to stderr
};

// What the adversary did and what the honest nodes refused, for tests that it happens.
struct SimCounters {
  uint64_t damaged_syncs = 0;      // certified blocks sent with a damaged transaction signature
  uint64_t invalid_proposals = 0;  // signed proposals of invalid blocks
  uint64_t replays = 0;            // of those, blocks replaying a committed transaction
  uint64_t sync_refused = 0;       // synced blocks honest nodes refused (the sender banned)
  uint64_t bans = 0;
  uint64_t committed_txs = 0;
  uint64_t set_changes = 0;        // heights at which the validator set changed
};

struct SimResult {
  std::string failure;  // empty when every check passed; else the first violation
  std::string summary;  // the configuration and what happened, one line
  SimCounters counters;
};

SimResult RunSimulation(uint64_t seed, const SimOptions& options = {});

}  // namespace circuledger::sim
