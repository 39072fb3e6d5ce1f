// wallet/passport_facts: the facts `circuledger rules check --product` reads from a passport
// (the JSON of GET /v1/products/{id}), attestations with their issuer and expiry.
#include "wallet/passport_facts.h"

#include <catch2/catch.hpp>

using circuledger::wallet::PassportFacts;

namespace {

std::string Passport(std::string_view attestations) {
  return R"({"id": "bat", "category": "battery.ev", "composition": [], "attributes": {}, "repairs": [],
             "attestations": [)" +
         std::string(attestations) + "]}";
}

}  // namespace

TEST_CASE("passport facts: has_attestation by an issuer counts that issuer's unexpired attestations only",
          "[wallet]") {
  const std::string json = Passport(R"({"kind": "rc-audit", "issuer": "cheap-certs", "expiry_ms": 0},
                                       {"kind": "rc-audit", "issuer": "tuv", "expiry_ms": 5000})");
  auto at = [&](uint64_t time_ms) {
    auto f = PassportFacts::Parse(json, time_ms);
    INFO(f.status().message());
    REQUIRE(f.ok());
    return *f;
  };
  const PassportFacts before = at(4999);
  CHECK(before.HasAttestation("rc-audit"));
  CHECK(before.HasAttestationBy("rc-audit", "tuv"));
  CHECK(before.HasAttestationBy("rc-audit", "cheap-certs"));
  CHECK_FALSE(before.HasAttestationBy("rc-audit", "other"));
  CHECK_FALSE(before.HasAttestationBy("iso", "tuv"));
  const PassportFacts after = at(5000);  // tuv's has expired; cheap-certs' has no end
  CHECK(after.HasAttestation("rc-audit"));
  CHECK_FALSE(after.HasAttestationBy("rc-audit", "tuv"));
  CHECK(after.HasAttestationBy("rc-audit", "cheap-certs"));
}

TEST_CASE("passport facts: an attestation without its issuer is not a passport", "[wallet]") {
  CHECK(PassportFacts::Parse(Passport(R"({"kind": "rc-audit", "expiry_ms": 0})"), 0).status().IsInvalidArgument());
}
