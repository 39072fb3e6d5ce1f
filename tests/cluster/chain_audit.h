// tests/cluster/chain_audit.h: checks a node's chain from outside, for the cluster tests.
//
// AuditChain walks GET /v1/blocks/1..h of a running node and checks what must hold across any
// crash: every transaction the API once reported committed is still committed at the same
// height; every tx id appears once; each signer's nonces in block order are 0, 1, 2, ...; blocks
// link by prev_hash; a block seen by an earlier audit has not changed. ReplayStore opens a
// stopped node's LevelDB directly, re-executes all its blocks on a fresh store from the same
// genesis, and compares the state roots. Both return a list of problems (empty: all good) rather
// than asserting. Not thread-safe (an Audit instance belongs to one thread).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "tests/cluster/ledger_client.h"
#include "tests/cluster/load_generator.h"

namespace circuledger::cluster {

class ChainAudit {
 public:
  // Audits the chain up to the node's current height. Returns problems, one line each.
  std::vector<std::string> Run(LedgerClient& client, const std::vector<CommittedTx>& committed);

  uint64_t audited_height() const {
    return block_hashes_.empty() ? 0 : block_hashes_.rbegin()->first;
  }
  // Block hashes by height, as the API reported them.
  const std::map<uint64_t, std::string>& block_hashes() const { return block_hashes_; }
  // State roots (block header field state_root) by height, as the API reported them.
  const std::map<uint64_t, std::string>& state_roots() const { return state_roots_; }

 private:
  std::map<uint64_t, std::string> block_hashes_;
  std::map<uint64_t, std::string> state_roots_;
};

struct ReplayResult {
  std::vector<std::string> problems;
  uint64_t height = 0;              // the stored tip
  std::string stored_state_root;    // the node's tip state root (hex)
  std::string replayed_state_root;  // after re-executing every block on a fresh store (hex)
  std::map<uint64_t, std::string> block_hashes;  // stored blocks, by height
};

// `home` holds genesis.json and data/ of a node that is not running.
ReplayResult ReplayStore(const std::string& home);

}  // namespace circuledger::cluster
