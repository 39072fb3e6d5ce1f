// wallet/passport_facts.h: rule facts read from a product passport JSON (the answer of
// GET /v1/products/{id}, or `circuledger show product ID --json`), so rules can be checked offline.
//
// Holds a copy of what it needs; immutable after Parse. Thread-safe for const use.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "contracts/facts.h"
#include "wallet/status.h"

namespace circuledger::wallet {

class PassportFacts final : public contracts::ProductFacts {
 public:
  // InvalidArgument when the JSON is not a passport (missing or mistyped fields).
  static Result<PassportFacts> Parse(const std::string& json_text, uint64_t time_ms);

  std::string_view Category() const override { return category_; }
  uint64_t Mass(std::string_view m) const override;
  uint64_t RecycledMass(std::string_view m) const override;
  uint64_t RecoveredMass(std::string_view) const override { return 0; }
  std::optional<int64_t> Attribute(std::string_view name) const override;
  uint64_t RepairCount() const override { return repairs_; }
  bool HasAttestation(std::string_view kind) const override;
  bool HasAttestationBy(std::string_view kind, std::string_view issuer) const override;
  uint64_t BlockTimeMs() const override { return time_ms_; }
  const std::string& id() const { return id_; }

 private:
  struct Amount {
    uint64_t total = 0;
    uint64_t recycled = 0;
  };
  struct Attest {
    std::string kind;
    std::string issuer;
    uint64_t expiry_ms = 0;
  };
  std::string id_;
  std::string category_;
  std::map<std::string, Amount, std::less<>> materials_;
  std::map<std::string, int64_t, std::less<>> attributes_;
  std::vector<Attest> attestations_;
  uint64_t repairs_ = 0;
  uint64_t time_ms_ = 0;
};

}  // namespace circuledger::wallet
