// ledger/limits.h: every bound of the ledger module, in one place (TigerBeetle's constants.zig).
//
// Decoders check lengths against these before allocating; validation checks them again on the
// decoded values. Changing one is a consensus change.
#pragma once

#include <cstddef>
#include <cstdint>

#include "contracts/limits.h"

namespace circuledger::ledger::limits {

// Identifiers.
constexpr size_t kMaxIdLen = 128;        // lot and product ids (GS1 URNs / Digital Link URIs)
constexpr size_t kMaxOrgIdLen = 32;      // org ids
constexpr size_t kMaxChainIdLen = 32;
constexpr size_t kMaxMaterialLen = 16;   // material codes: "Co", "PET", ...
static_assert(kMaxMaterialLen == contracts::limits::kMaxMaterialLen, "one material code syntax");
constexpr size_t kMaxNameLen = 128;      // display names, models, categories, attribute names
constexpr size_t kMaxTextLen = 256;      // attestation references, validator addresses

// Per-object bounds.
constexpr size_t kMaxMaterials = 64;          // entries in one composition
constexpr size_t kMaxInputs = 64;             // inputs of one transform/assemble/recycle/repair
constexpr size_t kMaxOutputs = 64;            // output lots of one operation
constexpr size_t kMaxAttributes = 32;         // declared attributes of a product
constexpr size_t kMaxAttestations = 64;       // attestations attached to one lot or product
constexpr size_t kMaxAttestationsPerIssuer = 16;  // of them issued by one org
constexpr size_t kMaxRepairs = 256;           // repair records of one product
constexpr size_t kMaxParents = kMaxInputs + 1 + kMaxRepairs * kMaxInputs;  // provenance parents
constexpr size_t kMaxOrgKeys = 64;            // member keys of one org
constexpr size_t kMaxOrgs = 4096;             // orgs in a genesis file
constexpr size_t kMaxValidators = 128;
constexpr size_t kMaxPendingValidatorChanges = 64;

// Masses. One composition entry holds at most kMaxMassMg (10^15 mg = one million tonnes), so a
// sum over the inputs of one operation fits 64 bits and a product of two sums fits 128 bits.
constexpr uint64_t kMaxMassMg = 1'000'000'000'000'000ull;


// Transactions and blocks.
constexpr size_t kMaxTxBytes = 64 * 1024;
constexpr size_t kMaxBlockTxs = 20000;
constexpr size_t kMaxBlockBytes = 32 * 1024 * 1024;
constexpr size_t kMaxStateObjectBytes = 4 * 1024 * 1024;  // one encoded lot/product/org/...
constexpr size_t kMaxGenesisBytes = 32 * 1024 * 1024;      // the encoded genesis (kMaxOrgs full orgs fit)
constexpr uint64_t kMaxTimeDriftMs = 10 * 60 * 1000;       // bound of the max_time_drift_ms parameter

// Rules (the language's own bounds are in contracts/limits.h).
constexpr size_t kMaxRuleSetVersions = 256;   // registered rule set versions on the ledger
constexpr size_t kMaxRuleSetVersionsPerOrg = 32;  // of them registered by one regulator org
constexpr size_t kMaxRuleOutcomes = kMaxRuleSetVersions * 64;  // outcomes one recycling records

// Governance.
constexpr uint64_t kValidatorChangeDelay = 2;  // a validator change applies this many heights later
constexpr size_t kMaxOpenProposalsPerOrg = 16;  // pending, unexpired proposals of one org

// Execution.
constexpr size_t kSigCacheEntries = 1 << 18;

static_assert(kMaxOrgIdLen <= kMaxIdLen);
static_assert(contracts::limits::kMaxOrgIdLen == kMaxOrgIdLen, "rules name issuers by the ledger's org ids");
// Per-org shares of a shared bound: one org alone never fills it (issue 16).
static_assert(kMaxAttestationsPerIssuer * 4 <= kMaxAttestations, "one issuer fills at most a quarter of a subject's list");
static_assert(kMaxRuleSetVersionsPerOrg * 8 <= kMaxRuleSetVersions, "one regulator registers at most an eighth of the versions");
static_assert(contracts::limits::kMaxSourceBytes + 1024 < kMaxTxBytes, "a rule set fits one transaction");
static_assert(contracts::limits::kMaxRules == 64, "kMaxRuleOutcomes assumes 64 rules per set");
static_assert(kMaxIdLen < 256, "trace index keys store an id length in one byte");
static_assert(kMaxMassMg * (kMaxInputs + kMaxOutputs + 1) < (uint64_t{1} << 63),
              "sums of masses over one operation fit in 63 bits; their products fit in 126");
static_assert(kMaxTxBytes * kMaxBlockTxs >= kMaxBlockBytes, "a full block must be reachable");
static_assert(kMaxBlockBytes < (size_t{1} << 32), "block length fits a u32 prefix");
static_assert(kMaxTxBytes < kMaxBlockBytes);
static_assert(kMaxOrgs * (kMaxOrgIdLen + 2 * kMaxNameLen + kMaxOrgKeys * 32 + 16) < kMaxGenesisBytes,
              "a genesis with the most orgs, each with the most keys, must decode");

}  // namespace circuledger::ledger::limits
