// ledger/rules.h: the seam through which compliance rules check an assembly.
//
// The executor calls ProductRules on every `assemble` with the facts of the product it would
// create; a violation rejects the transaction with "rule-violated:<rule id>". The rule language
// of contracts/ plugs in here (a later issue stores rule sets on the ledger). Implementations must
// be deterministic and thread-safe for concurrent const calls; the executor does not own them.
#pragma once

#include <optional>
#include <string>

#include "contracts/facts.h"
#include "ledger/types.h"

namespace circuledger::ledger {

class ProductRules {
 public:
  virtual ~ProductRules() = default;
  // The id of the first enforced rule in force that the product breaks, or nullopt.
  virtual std::optional<std::string> FirstViolation(const contracts::ProductFacts& facts) const = 0;
};

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
  uint64_t BlockTimeMs() const override { return time_ms_; }

 private:
  const Product& p_;
  uint64_t time_ms_ = 0;
};

}  // namespace circuledger::ledger
