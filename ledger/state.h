// ledger/state.h: the ledger state as the executor sees it while it runs a block.
//
// StateReader is committed state (the Store implements it). WorkingState is a typed, cached
// overlay on a StateReader: the executor reads and writes decoded objects, nothing reaches the
// base, and a block proposal can be executed and thrown away. Transactions are atomic inside it:
// BeginTx / CommitTx / RollbackTx keep an undo log, so a rejected transaction leaves nothing.
// At the end, WriteSet() lists every changed object, encoded and sorted by key: that is what the
// state root commits to and what the Store writes. Not thread-safe; one per block execution.
#pragma once

#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <variant>
#include <vector>

#include "ledger/ops.h"
#include "ledger/status.h"

namespace circuledger::ledger {

// Storage failed under us (I/O error or corruption). Fatal: the node must stop. Thrown by
// StateReader implementations and caught at the executor's boundary.
struct StorageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

class StateReader {
 public:
  virtual ~StateReader() = default;
  // The encoded object under `key`, or nullopt. Throws StorageError when storage fails.
  virtual std::optional<std::string> Get(const std::string& key) const = 0;
};

// Keys of state objects. All start with 's'; the second byte names the kind.
namespace statekey {
std::string Account(const PubKey& key);
std::string Org(std::string_view id);
// Lots and products share one id namespace and one key: an item's value is tagged with its kind
// (EncodeItem). Creating an item then checks one key, not two.
std::string Item(std::string_view id);
std::string Proposal(const Hash256& id);
std::string Recycling(const Hash256& tx);
std::string Params();
std::string Validators();
std::string Admins();
std::string RuleIndex();
std::string RuleSet(std::string_view id, uint32_t version);
std::string RepairGrant(std::string_view product, std::string_view repairer);
std::string RuleSetOwner(std::string_view id);
std::string OrgProposals(std::string_view org);
}  // namespace statekey

// Material of `parent` went into `child` (a provenance edge).
struct Edge {
  std::string parent;
  std::string child;
  auto operator<=>(const Edge&) const = default;
};

// The value under statekey::Item: one kind byte (0 lot, 1 product), then the object's canonical
// encoding. DecodeItem fails (Corruption) on an unknown kind or a bad encoding.
std::string EncodeItem(const Lot& lot);
std::string EncodeItem(const Product& product);
Result<std::variant<Lot, Product>> DecodeItem(std::string_view raw);

using WriteSet = std::vector<std::pair<std::string, std::string>>;  // sorted by key

// state_root(h) = tagged_hash("circuledger/state", state_root(h-1) || hash(write set of h)).
Hash256 NextStateRoot(const Hash256& prev_root, const WriteSet& writes);

class WorkingState {
 public:
  explicit WorkingState(const StateReader& base) : base_(base) {}
  WorkingState(const WorkingState&) = delete;
  WorkingState& operator=(const WorkingState&) = delete;

  // Reads: nullptr when absent. A pointer stays valid until the object is next written.
  const Account* GetAccount(const PubKey& key) { return Read<Account>(statekey::Account(key)); }
  const Org* GetOrg(std::string_view id) { return Read<Org>(statekey::Org(id)); }
  const Lot* GetLot(std::string_view id) { return Read<Lot>(statekey::Item(id)); }
  const Product* GetProduct(std::string_view id) { return Read<Product>(statekey::Item(id)); }
  const Proposal* GetProposal(const Hash256& id) { return Read<Proposal>(statekey::Proposal(id)); }
  const RecyclingRecord* GetRecycling(const Hash256& tx) { return Read<RecyclingRecord>(statekey::Recycling(tx)); }
  const RuleSetRecord* GetRuleSet(std::string_view id, uint32_t version) {
    return Read<RuleSetRecord>(statekey::RuleSet(id, version));
  }
  const RepairGrant* GetRepairGrant(std::string_view product, std::string_view repairer) {
    return Read<RepairGrant>(statekey::RepairGrant(product, repairer));
  }
  // nullptr for a rule set registered before owner records (apply_rules falls back on its first
  // version's regulator) or never registered.
  const RuleSetOwner* GetRuleSetOwner(std::string_view id) { return Read<RuleSetOwner>(statekey::RuleSetOwner(id)); }
  // nullptr until the org first proposes.
  const OrgProposals* GetOrgProposals(std::string_view org) { return Read<OrgProposals>(statekey::OrgProposals(org)); }
  // nullptr until a rule set is registered.
  const RuleIndex* GetRuleIndex() { return Read<RuleIndex>(statekey::RuleIndex()); }
  // Always present once genesis is written.
  const Params& GetParams();
  const ValidatorSet& GetValidators();
  const AdminSet& GetAdmins();
  // True when a lot or a product has this id (they share one namespace and one key).
  bool ItemExists(std::string_view id) { return GetLot(id) || GetProduct(id); }

  void PutAccount(const PubKey& key, Account v) { Write(statekey::Account(key), std::move(v)); }
  // (Each key is computed before the value is moved: argument evaluation order is unspecified.)
  void PutOrg(Org v) { std::string k = statekey::Org(v.id); Write(std::move(k), std::move(v)); }
  void PutLot(Lot v) { std::string k = statekey::Item(v.id); Write(std::move(k), std::move(v)); }
  void PutProduct(Product v) { std::string k = statekey::Item(v.id); Write(std::move(k), std::move(v)); }
  void PutProposal(Proposal v) { std::string k = statekey::Proposal(v.id); Write(std::move(k), std::move(v)); }
  void PutRecycling(RecyclingRecord v) { std::string k = statekey::Recycling(v.tx); Write(std::move(k), std::move(v)); }
  void PutParams(Params v) { Write(statekey::Params(), std::move(v)); }
  void PutValidators(ValidatorSet v) { Write(statekey::Validators(), std::move(v)); }
  void PutAdmins(AdminSet v) { Write(statekey::Admins(), std::move(v)); }
  void PutRuleSet(RuleSetRecord v) { std::string k = statekey::RuleSet(v.id, v.version); Write(std::move(k), std::move(v)); }
  void PutRuleIndex(RuleIndex v) { Write(statekey::RuleIndex(), std::move(v)); }
  void PutRuleSetOwner(RuleSetOwner v) { std::string k = statekey::RuleSetOwner(v.id); Write(std::move(k), std::move(v)); }
  void PutOrgProposals(OrgProposals v) { std::string k = statekey::OrgProposals(v.org); Write(std::move(k), std::move(v)); }
  void PutRepairGrant(RepairGrant v) {
    std::string k = statekey::RepairGrant(v.product, v.repairer);
    Write(std::move(k), std::move(v));
  }
  void AddEdge(std::string parent, std::string child);

  // Room for about `objects` cached objects without rehashing (a block's executor knows roughly).
  void Reserve(size_t objects);

  void BeginTx();
  void CommitTx();
  void RollbackTx();
  // Ok when every object the open transaction wrote would decode again (CheckDecodable: lists and
  // strings within their limits, the encoding within kMaxStateObjectBytes); otherwise the
  // reject, and the caller rolls back. Validation calls it before accepting a transaction, so no
  // bound is found broken only when a later transaction reads the object.
  Status CheckTxWrites() const;

  // Runs fn(0..n-1), possibly in parallel; returns when all are done.
  using ParallelFor = std::function<void(size_t n, const std::function<void(size_t)>& fn)>;
  // Every changed object, encoded, sorted by key. `parallel` (optional) spreads the encoding.
  WriteSet Writes(const ParallelFor& parallel = nullptr) const;
  const std::vector<Edge>& Edges() const { return edges_; }
  // Moves the edges out (at the end of a block).
  std::vector<Edge> TakeEdges() { return std::move(edges_); }

 private:
  using Value = std::variant<std::monostate, Account, Org, Lot, Product, Proposal, RecyclingRecord,
                             ValidatorSet, Params, AdminSet, RuleSetRecord, RuleIndex, RepairGrant, RuleSetOwner,
                             OrgProposals>;
  struct Slot {
    Value value;  // monostate: absent
    bool dirty = false;
  };
  // A key seen in this block. `loaded` is false after a rollback dropped a key the transaction
  // had added: the next read loads it from the base again (entries are never removed). An entry
  // not loaded has an empty slot.
  struct Entry {
    std::string key;
    uint64_t hash = 0;
    bool loaded = false;
    Slot slot;
  };

  template <class T>
  const T* Read(std::string key);
  template <class T>
  void Write(std::string key, T value);
  // The entry of `key`, added (not loaded) when new.
  Entry& Find(std::string&& key);
  void Rehash(size_t table_size);

  const StateReader& base_;
  // Entries in a deque (their addresses are stable: Read returns pointers into them) and an
  // open-addressing index of them by key hash: a lookup is one probe in a flat array plus the
  // entry found, where a node-based hash map chased three pointers. A block touches tens of
  // thousands of keys.
  std::deque<Entry> entries_;
  struct IndexSlot {
    uint64_t hash = 0;  // of the entry's key: most probes end here, without touching the entry
    Entry* entry = nullptr;  // nullptr: free
  };
  std::vector<IndexSlot> index_;  // size a power of two, at most 3/4 full
  std::vector<Edge> edges_;
  // Undo log of the open transaction: which entries it wrote and what they held before (moved
  // out, not copied). `loaded` false: the entry was not loaded before (`prior` is empty), and is
  // unloaded on undo.
  struct Undo {
    Entry* entry = nullptr;
    bool loaded = false;
    Slot prior;
  };
  bool in_tx_ = false;
  std::vector<Undo> undo_;
  size_t edges_at_begin_ = 0;
};

}  // namespace circuledger::ledger
