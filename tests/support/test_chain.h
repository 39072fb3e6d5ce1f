// tests/support/test_chain.h: a ledger in a temporary directory with one org per role, for tests
// and benchmarks.
//
// TestChain owns a Store (in a fresh temporary directory, removed on destruction), an Executor,
// and deterministic keys for its members. Apply() signs an operation with a member's next nonce,
// builds a one-transaction block and commits it; the member's nonce advances only when the
// transaction was included. Not thread-safe.
#pragma once

#include <algorithm>

#include <filesystem>
#include <map>
#include <memory>
#include <string>

#include "ledger/encoding.h"
#include "ledger/executor.h"

namespace circuledger::testkit {

using namespace circuledger::ledger;

// A signing member of an org.
struct Member {
  std::string org;
  SecretKey key;
  PubKey pub;
  uint64_t nonce = 0;
};

// Deterministic secret key for a name (SHA-256 of the name, which is a valid scalar in practice).
SecretKey KeyFor(std::string_view name);

// The test genesis: chain "circuledger-test", orgs admin-a/b/c (admins, threshold 2), mine and
// refinery (supplier), cellmaker and oem (manufacturer), fixit (repairer), collector, recycler,
// certifier, regulator; each org has one member key named like the org. One validator.
Genesis TestGenesis();

// A composition from "Co:1000:0,Li:500:0" style triples (material:total_mg:recycled_mg).
Composition Comp(std::string_view spec);

struct TestChainOptions {
  bool sync = false;          // fsync each block (off: tests do not need durability across power loss)
  unsigned threads = 2;
  std::string dir;            // empty: a fresh temporary directory, deleted at the end
  uint64_t block_segment_bytes = BlockFiles::kDefaultSegmentBytes;  // small: many block files
  uint64_t genesis_time_ms = 0;  // 0: TestGenesis()'s; another: the same chain id relaunched
};

class TestChain {
 public:
  explicit TestChain(const TestChainOptions& options = {});
  ~TestChain();

  Member& member(const std::string& org) { return members_.at(org); }
  Store& store() { return *store_; }
  Executor& executor() { return *executor_; }
  const Genesis& genesis() const { return genesis_; }
  // GenesisHash(genesis()): what this chain's transactions sign.
  Hash256 genesis_hash() const { return GenesisHash(genesis_); }
  const std::string& dir() const { return dir_; }
  const PubKey& proposer() const { return proposer_; }

  // Signs op as the member of `org` with the given nonce (default: the member's next nonce).
  Tx Sign(const std::string& org, Op op, std::optional<uint64_t> nonce = std::nullopt);
  // Puts one signed transaction in a block and commits it. Returns the transaction's reject
  // when it was left out (and commits nothing).
  Status Commit(const Tx& tx);
  // Sign + Commit; advances the member's nonce on success.
  Status Apply(const std::string& org, Op op);
  // Builds and commits a block of these transactions; returns the builder's result.
  Result<BuiltBlock> CommitBlock(const std::vector<Tx>& txs);
  // The next block's time: the time set by SetNextTime while it is after the tip, else a second
  // after the tip.
  uint64_t NextTime() const {
    const uint64_t tip = store_->Tip().time_ms;
    return next_time_ms_ > tip ? next_time_ms_ : tip + 1000;
  }
  // The next block is at `time_ms` (tests of rules in force at a date); later ones follow it.
  void SetNextTime(uint64_t time_ms) { next_time_ms_ = time_ms; }

  // Reads committed state.
  std::optional<Lot> GetLot(const std::string& id);
  std::optional<Product> GetProduct(const std::string& id);
  std::optional<Org> GetOrg(const std::string& id);

 private:
  TestChainOptions options_;
  std::string dir_;
  bool owns_dir_ = false;
  Genesis genesis_;
  std::map<std::string, Member> members_;
  PubKey proposer_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<Executor> executor_;
  uint64_t next_time_ms_ = 0;
};

}  // namespace circuledger::testkit
