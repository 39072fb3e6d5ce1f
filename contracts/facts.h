// contracts/facts.h: the facts a compliance rule may read about a product.
//
// The ledger implements ProductFacts over its own Product type when it checks an assembly, and over
// the inputs and outputs of a recycle transaction for recovery rules; the rule evaluator
// (contracts/evaluator.h) reads facts through this interface only, so contracts/ never sees
// ledger types. Implementations are read-only views owned by the caller and are not
// thread-safe unless they say so.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace circuledger::contracts {

// Read-only view of one product's facts at one block time. Masses in milligrams.
class ProductFacts {
 public:
  virtual ~ProductFacts() = default;
  virtual std::string_view Category() const = 0;
  // Total and recycled mass of one material; 0 when the product does not contain it. On a
  // recycling: the mass that went in.
  virtual uint64_t Mass(std::string_view material) const = 0;
  virtual uint64_t RecycledMass(std::string_view material) const = 0;
  // On a recycling: the mass of the material recovered into output lots. 0 for a product.
  virtual uint64_t RecoveredMass(std::string_view material) const = 0;
  // A declared integer attribute, or nullopt when the product does not declare it.
  virtual std::optional<int64_t> Attribute(std::string_view name) const = 0;
  virtual uint64_t RepairCount() const = 0;
  // True when an unexpired attestation of this kind is attached at BlockTimeMs(), whoever issued it.
  virtual bool HasAttestation(std::string_view kind) const = 0;
  // The same, counting only attestations issued by the org `issuer` (an org id).
  virtual bool HasAttestationBy(std::string_view kind, std::string_view issuer) const = 0;
  virtual uint64_t BlockTimeMs() const = 0;
};

// Exact share arithmetic: shares are ratios of integers, thresholds are basis points
// (1% = 100 bps). Comparisons cross-multiply in 128 bits, so no rounding ever decides validity.
// A share of a material the product does not contain (den == 0) is defined as 0.
bool ShareAtLeastBps(uint64_t num, uint64_t den, uint32_t threshold_bps);

// num/den as a percent rounded down to two decimals, e.g. "15.99"; "0.00" when den == 0.
// For display only.
std::string FormatPercent2(uint64_t num, uint64_t den);

}  // namespace circuledger::contracts
