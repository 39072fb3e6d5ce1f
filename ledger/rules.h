// ledger/rules.h: compliance rule sets on the ledger (DESIGN.md 7, contracts/RULES.md).
//
// Regulators register rule sets (`register_rules`); the state holds every version (RuleSetRecord)
// and an index (RuleIndex). At block time t the version of a rule set in force is the highest one
// whose effective time is <= t; within it a rule applies when it is in force at t, its trigger
// matches and a category pattern matches. Enforced `on assemble` rules reject a failing product
// with "rule-violated:<rule id>"; `on recycle` rules are evaluated on each recycling and their
// outcomes recorded (enforced ones reject). Evaluation is deterministic and bounded.
//
// RuleCache keeps decoded rule sets keyed by the registering tx id, so the hot path decodes each
// version once; it is thread-safe and owned by the Executor.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "contracts/evaluator.h"
#include "contracts/facts.h"
#include "ledger/state.h"
#include "ledger/types.h"

namespace circuledger::ledger {

class RuleCache {
 public:
  // The record `ref` names, from the cache or decoded from `state`. Throws StorageError when the
  // index names a record the state lacks (corruption).
  std::shared_ptr<const RuleSetRecord> Get(WorkingState& state, const RuleSetRef& ref);

 private:
  static constexpr size_t kMaxEntries = 1024;
  std::mutex mu_;
  std::map<Hash256, std::shared_ptr<const RuleSetRecord>> sets_;
};

// The version of each registered rule set in force at `time_ms`, in rule set id order. `cache`
// may be null (each record is then decoded from the state).
std::vector<std::shared_ptr<const RuleSetRecord>> RuleSetsInForce(WorkingState& state, RuleCache* cache,
                                                                  uint64_t time_ms);

// The id of the first enforced `on assemble` rule in force that `product` fails or cannot be
// evaluated on; nullopt when it passes them all.
std::optional<std::string> FirstAssembleViolation(WorkingState& state, RuleCache* cache, const Product& product,
                                                  uint64_t time_ms);

// Evaluates the `on recycle` rules in force for a recycling whose input products have
// `categories` (a rule applies when one of them matches; its `category` fact is the first that
// does). Returns the outcomes to record; *violation gets the first enforced rule that failed.
std::vector<RuleOutcome> EvaluateRecycleRules(WorkingState& state, RuleCache* cache, const RecyclingRecord& rec,
                                              const std::vector<std::string>& categories,
                                              std::optional<std::string>* violation);

// One rule's verdict on a product, with the figures it used (for compliance queries).
struct ComplianceItem {
  std::string rule_set;
  uint32_t version = 0;
  contracts::Rule rule;
  contracts::Evaluation evaluation;
};
// Every `on assemble` rule, enforce or report, in force at `time_ms` for the product's category.
std::vector<ComplianceItem> ExplainCompliance(WorkingState& state, const Product& product, uint64_t time_ms);

// ProductFacts over a ledger Product at a block time. Holds references: the product must outlive it.
class ProductFactsView final : public contracts::ProductFacts {
 public:
  ProductFactsView(const Product& product, uint64_t block_time_ms) : p_(product), time_ms_(block_time_ms) {}
  std::string_view Category() const override { return p_.category; }
  uint64_t Mass(std::string_view material) const override { return p_.composition.Total(material); }
  uint64_t RecycledMass(std::string_view material) const override { return p_.composition.Recycled(material); }
  uint64_t RecoveredMass(std::string_view) const override { return 0; }
  std::optional<int64_t> Attribute(std::string_view name) const override;
  uint64_t RepairCount() const override { return p_.repairs.size(); }
  bool HasAttestation(std::string_view kind) const override;
  bool HasAttestationBy(std::string_view kind, std::string_view issuer) const override;
  uint64_t BlockTimeMs() const override { return time_ms_; }

 private:
  // An attestation of `kind` unexpired at the block time, by `issuer` when it is not null.
  bool HasUnexpired(std::string_view kind, const std::string_view* issuer) const;
  const Product& p_;
  uint64_t time_ms_ = 0;
};

}  // namespace circuledger::ledger
