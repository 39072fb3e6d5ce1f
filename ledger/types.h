// ledger/types.h: the core value types of the ledger (DESIGN.md sections 2 and 3).
//
// Plain data: hashes, keys, compositions, orgs, lots, products, governance proposals. Every member
// is initialized where it is declared. Values are not synchronized; whoever holds one owns it.
// Canonical bytes for each type come from ledger/encoding.h; validity rules live in the executor.
#pragma once

#include <array>
#include <compare>
#include <compare>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "contracts/program.h"

namespace circuledger::ledger {

// Fixed-size byte strings: hashes, x-only public keys, signatures.
template <size_t N>
struct FixedBytes {
  std::array<uint8_t, N> bytes{};

  static constexpr size_t kSize = N;
  // Byte-wise (unsigned) order, by memcmp: the defaulted element-by-element comparison was a
  // measurable cost where keys and tx ids are compared in maps and sorts.
  std::strong_ordering operator<=>(const FixedBytes& o) const {
    const int c = std::memcmp(bytes.data(), o.bytes.data(), N);
    return c < 0 ? std::strong_ordering::less : c > 0 ? std::strong_ordering::greater : std::strong_ordering::equal;
  }
  bool operator==(const FixedBytes& o) const { return std::memcmp(bytes.data(), o.bytes.data(), N) == 0; }
  bool IsZero() const {
    for (uint8_t b : bytes) if (b != 0) return false;
    return true;
  }
  std::string ToHex() const;
  // Parses exactly 2*N hex digits (either case); nullopt otherwise.
  static std::optional<FixedBytes> FromHex(std::string_view hex);
  std::string_view View() const { return {reinterpret_cast<const char*>(bytes.data()), N}; }
};

using Hash256 = FixedBytes<32>;
using PubKey = FixedBytes<32>;     // BIP-340 x-only public key: an account
using Signature = FixedBytes<64>;  // BIP-340 Schnorr signature

// A keyed hash of an id (a SHA-256 output) for the hash tables untrusted ids reach (mempool,
// signature cache): 8 of its bytes xor `key`, through MurmurHash3's 64-bit finalizer, so every
// output bit depends on every key and id bit and nobody can grind ids onto one bucket without the
// key. RandomHashKey() draws a key per table.
uint64_t KeyedIdHash(const Hash256& id, uint64_t key);
uint64_t RandomHashKey();

std::string HexEncode(std::string_view bytes);
std::optional<std::string> HexDecode(std::string_view hex);

// Roles an org may hold (a bit set).
enum class Role : uint32_t {
  kAdmin = 1u << 0,
  kSupplier = 1u << 1,
  kManufacturer = 1u << 2,
  kRepairer = 1u << 3,
  kCollector = 1u << 4,
  kRecycler = 1u << 5,
  kCertifier = 1u << 6,
  kRegulator = 1u << 7,
};
constexpr uint32_t kAllRoles = (1u << 8) - 1;
constexpr bool HasRole(uint32_t roles, Role r) { return (roles & static_cast<uint32_t>(r)) != 0; }
std::string_view RoleName(Role r);
std::optional<Role> RoleFromName(std::string_view name);
// "admin,recycler" <-> bit set.
std::string RolesToString(uint32_t roles);

// Mass of one material: total and the recycled part of it, in milligrams.
struct MaterialAmount {
  std::string material;
  uint64_t total_mg = 0;
  uint64_t recycled_mg = 0;
  auto operator<=>(const MaterialAmount&) const = default;
};

// What a lot or product is made of: entries sorted by material code, unique, each total > 0.
struct Composition {
  std::vector<MaterialAmount> entries;

  auto operator<=>(const Composition&) const = default;
  // The entry for a material, or nullptr.
  const MaterialAmount* Find(std::string_view material) const;
  uint64_t Total(std::string_view material) const;
  uint64_t Recycled(std::string_view material) const;
};

// Chain-of-custody model of a recycled claim (ISO 22095 names).
enum class Custody : uint8_t { kNone = 0, kControlledBlending = 1, kMassBalance = 2, kRecycled = 3 };
constexpr uint8_t kMaxCustody = 3;
std::string_view CustodyName(Custody c);

// How a transform or assemble allocates recycled mass to its outputs.
enum class Allocation : uint8_t { kControlledBlending = 0, kMassBalance = 1 };
constexpr uint8_t kMaxAllocation = 1;

enum class OrgStatus : uint8_t { kActive = 0, kSuspended = 1 };
constexpr uint8_t kMaxOrgStatus = 1;

struct Org {
  std::string id;
  std::string name;
  uint32_t roles = 0;
  std::vector<PubKey> members;  // sorted, unique
  OrgStatus status = OrgStatus::kActive;
  auto operator<=>(const Org&) const = default;
};

// An account is a key; it belongs to one org for ever (a revoked key is never reused).
struct Account {
  std::string org;
  uint64_t next_nonce = 0;
  uint8_t revoked = 0;  // 0 or 1
  auto operator<=>(const Account&) const = default;
};

struct Attestation {
  std::string kind;       // e.g. "iso14001", "recycled-content-audit"
  std::string reference;  // certificate number or document URI
  std::string issuer;     // org id of the certifier or regulator
  uint64_t time_ms = 0;   // block time of the attest transaction
  uint64_t expiry_ms = 0; // 0 = does not expire
  Hash256 tx;
  auto operator<=>(const Attestation&) const = default;
};

// Where waste came from, for the lots that are waste (issue 17): recycling takes only waste the
// ledger knows. Pre-consumer: manufacturing scrap, declared as a scrap output of the transform or
// assembly that made it. Post-consumer: parts a repair removed from a used product (collected
// products themselves are post-consumer waste by their status, ProductStatus::kCollected).
enum class WasteOrigin : uint8_t { kNone = 0, kPreConsumer = 1, kPostConsumer = 2 };
constexpr uint8_t kMaxWasteOrigin = 2;
std::string_view WasteOriginName(WasteOrigin w);

enum class LotStatus : uint8_t { kActive = 0, kConsumed = 1, kDisposed = 2 };
constexpr uint8_t kMaxLotStatus = 2;
std::string_view LotStatusName(LotStatus s);

struct Lot {
  std::string id;
  std::string owner;  // org id
  Composition composition;
  Custody custody = Custody::kNone;
  LotStatus status = LotStatus::kActive;
  Hash256 created_by;   // tx id
  uint64_t created_height = 0;
  Hash256 consumed_by;  // tx id, zero while active
  std::vector<std::string> parents;  // lot or product ids it was made from, in operation order
  std::vector<Attestation> attestations;
  WasteOrigin waste = WasteOrigin::kNone;
  auto operator<=>(const Lot&) const = default;
};

struct Attribute {
  std::string name;
  int64_t value = 0;
  auto operator<=>(const Attribute&) const = default;
};

struct RepairRecord {
  Hash256 tx;
  uint64_t height = 0;
  uint64_t time_ms = 0;
  std::string repairer;                   // org id
  std::vector<std::string> removed_lots;  // lots made from removed parts
  std::vector<std::string> added_lots;    // lots built into the product
  auto operator<=>(const RepairRecord&) const = default;
};

// A repair authorization on the ledger (statekey::RepairGrant(product, repairer)): the product's
// owner `granted_by` lets `repairer` repair it while the block time is before `expiry_ms`.
// Revoked or expired grants stay (state objects are never deleted); a new grant overwrites.
struct RepairGrant {
  std::string product;
  std::string repairer;    // org id
  std::string granted_by;  // org id of the owner when granted
  uint64_t expiry_ms = 0;
  uint8_t revoked = 0;     // 0 or 1
  Hash256 tx;              // the authorize_repair (or revoke_repair) transaction
  auto operator<=>(const RepairGrant&) const = default;
};

// kIncorporated: built into another product by `assemble` (a sub-assembly).
enum class ProductStatus : uint8_t { kActive = 0, kCollected = 1, kRecycled = 2, kDisposed = 3, kIncorporated = 4 };
constexpr uint8_t kMaxProductStatus = 4;
std::string_view ProductStatusName(ProductStatus s);

struct Product {
  std::string id;
  std::string category;  // "battery.ev", "packaging.beverage-bottle", ...
  std::string model;
  std::string manufacturer;  // org id
  std::string owner;         // org id
  Composition composition;
  Custody custody = Custody::kNone;
  std::vector<Attribute> attributes;  // sorted by name, unique
  std::vector<Attestation> attestations;
  std::vector<RepairRecord> repairs;
  ProductStatus status = ProductStatus::kActive;
  Hash256 created_by;
  uint64_t created_height = 0;
  Hash256 consumed_by;  // tx that recycled, disposed or incorporated it
  std::vector<std::string> parents;
  auto operator<=>(const Product&) const = default;
};

// Recovery figures of one recycle transaction, per material.
struct RecoveryEntry {
  std::string material;
  uint64_t input_mg = 0;
  uint64_t recovered_mg = 0;
  auto operator<=>(const RecoveryEntry&) const = default;
};
// The outcome of one rule evaluated on a recycling (recovery rules, `on recycle`).
struct RuleOutcome {
  std::string rule_set;
  uint32_t version = 0;
  std::string rule;
  uint8_t outcome = 0;  // contracts::Outcome: 0 pass, 1 fail, 2 error
  auto operator<=>(const RuleOutcome&) const = default;
};
struct RecyclingRecord {
  Hash256 tx;
  std::string recycler;
  uint64_t height = 0;
  uint64_t time_ms = 0;
  std::vector<RecoveryEntry> materials;  // sorted by material
  std::vector<RuleOutcome> rules;        // recovery rules in force, in rule set order
  auto operator<=>(const RecyclingRecord&) const = default;
};

// One registered version of a rule set: its source and the compiled form every node derives
// from it. Immutable once registered.
struct RuleSetRecord {
  std::string id;
  uint32_t version = 0;
  uint64_t effective_ms = 0;  // supersedes earlier versions from this block time
  std::string source;
  contracts::RuleSet compiled;
  std::string registered_by;  // org id of the regulator
  Hash256 tx;
  uint64_t height = 0;
  uint64_t time_ms = 0;
  auto operator<=>(const RuleSetRecord&) const = default;
};

// Who owns a rule set id (statekey::RuleSetOwner): the regulator org that first registered it,
// or the org governance gave it to. Only the owner registers new versions.
struct RuleSetOwner {
  std::string id;
  std::string org;
  Hash256 tx;  // the register_rules or governance transaction that set it
  auto operator<=>(const RuleSetOwner&) const = default;
};

// Every registered rule set version, sorted by (id, version). `tx` names the record's content
// (caches key on it: a version a discarded proposal registered is a different tx).
struct RuleSetRef {
  std::string id;
  uint32_t version = 0;
  uint64_t effective_ms = 0;
  Hash256 tx;
  auto operator<=>(const RuleSetRef&) const = default;
};
struct RuleIndex {
  std::vector<RuleSetRef> entries;
  auto operator<=>(const RuleIndex&) const = default;
};

struct Validator {
  PubKey key;
  std::string name;
  std::string address;  // host:port of its peer-to-peer endpoint
  auto operator<=>(const Validator&) const = default;
};

struct PendingValidatorChange {
  uint64_t height = 0;  // applies before executing this height
  uint8_t add = 0;      // 1 = add (or update), 0 = remove
  Validator validator;
  auto operator<=>(const PendingValidatorChange&) const = default;
};

struct ValidatorSet {
  std::vector<Validator> active;  // sorted by key
  std::vector<PendingValidatorChange> pending;  // in order of scheduling
  auto operator<=>(const ValidatorSet&) const = default;
};

// The orgs that currently count towards the governance threshold: active orgs with the admin role.
struct AdminSet {
  std::vector<std::string> orgs;  // sorted, unique
  auto operator<=>(const AdminSet&) const = default;
};

// Chain parameters, changeable by governance.
struct Params {
  uint32_t max_block_txs = 5000;
  uint32_t max_block_bytes = 8 * 1024 * 1024;
  uint32_t gov_threshold = 1;          // approvals (admin orgs) a governance change needs
  uint64_t proposal_ttl_blocks = 100000;
  uint64_t max_time_drift_ms = 5000;   // how far ahead of a validator's clock a block may be
  uint32_t timeout_propose_ms = 3000;  // consensus timeouts (used by the consensus issue)
  uint32_t timeout_vote_ms = 1000;
  uint32_t timeout_delta_ms = 500;
  auto operator<=>(const Params&) const = default;
};

// The one list of Params fields: f(json_name, member) for each, in encoding order. The codec,
// the genesis file, the API's views and the wallet's set-params options all walk it, so a new
// parameter is one line here (and its bound in ValidateParams, ledger/genesis.h).
template <class P, class F>
void ForEachParam(P& p, F&& f) {
  f("max_block_txs", p.max_block_txs);
  f("max_block_bytes", p.max_block_bytes);
  f("gov_threshold", p.gov_threshold);
  f("proposal_ttl_blocks", p.proposal_ttl_blocks);
  f("max_time_drift_ms", p.max_time_drift_ms);
  f("timeout_propose_ms", p.timeout_propose_ms);
  f("timeout_vote_ms", p.timeout_vote_ms);
  f("timeout_delta_ms", p.timeout_delta_ms);
}

// Where the chain stands: the last committed block (height 0 = genesis only).
struct ChainTip {
  uint64_t height = 0;
  Hash256 block_hash;  // the genesis hash at height 0
  Hash256 state_root;
  uint64_t time_ms = 0;
  auto operator<=>(const ChainTip&) const = default;
};

}  // namespace circuledger::ledger
