// tests/contracts/fake_facts.h: ProductFacts from plain maps, for rule tests.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "contracts/facts.h"

namespace circuledger::contracts::testing {

struct FakeFacts final : ProductFacts {
  struct Amount {
    uint64_t total = 0;
    uint64_t recycled = 0;
    uint64_t recovered = 0;
  };
  std::string category = "battery.ev";
  std::map<std::string, Amount, std::less<>> materials;
  std::map<std::string, int64_t, std::less<>> attributes;
  // An attached attestation: its kind, issuing org and expiry (0: none), as the ledger keeps them.
  struct Issued {
    std::string kind;
    std::string issuer;
    uint64_t expiry_ms = 0;
  };
  std::vector<Issued> attestations;
  uint64_t repairs = 0;
  uint64_t time_ms = 0;

  std::string_view Category() const override { return category; }
  uint64_t Mass(std::string_view m) const override { return Get(m).total; }
  uint64_t RecycledMass(std::string_view m) const override { return Get(m).recycled; }
  uint64_t RecoveredMass(std::string_view m) const override { return Get(m).recovered; }
  std::optional<int64_t> Attribute(std::string_view n) const override {
    auto it = attributes.find(n);
    return it == attributes.end() ? std::nullopt : std::optional<int64_t>(it->second);
  }
  uint64_t RepairCount() const override { return repairs; }
  bool HasAttestation(std::string_view kind) const override { return Unexpired(kind, nullptr); }
  bool HasAttestationBy(std::string_view kind, std::string_view issuer) const override {
    return Unexpired(kind, &issuer);
  }
  uint64_t BlockTimeMs() const override { return time_ms; }

 private:
  bool Unexpired(std::string_view kind, const std::string_view* issuer) const {
    for (const Issued& a : attestations) {
      if (a.kind == kind && (!issuer || a.issuer == *issuer) && (a.expiry_ms == 0 || a.expiry_ms > time_ms)) return true;
    }
    return false;
  }
  Amount Get(std::string_view m) const {
    auto it = materials.find(m);
    return it == materials.end() ? Amount{} : it->second;
  }
};

}  // namespace circuledger::contracts::testing
