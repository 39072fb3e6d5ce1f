// VerifyCommitCertificate: what makes a block final for a node that did not see it decided.
#include <catch2/catch.hpp>

#include <algorithm>

#include "consensus/certificate.h"
#include "fixture.h"

namespace circuledger::consensus::test {
namespace {

CommitCertificate Cert(const Validators& v, std::vector<size_t> who, std::string_view chain,
                       const Hash256& id) {
  CommitCertificate c;
  c.height = 7;
  c.round = 2;
  c.value_id = id;
  for (size_t i : who) {
    Vote vote = MakeVote(v[i], chain, VoteType::kPrecommit, 7, 2, id);
    c.signatures.push_back(CommitSig{vote.validator, vote.signature});
  }
  std::sort(c.signatures.begin(), c.signatures.end());
  return c;
}

TEST_CASE("consensus: commit certificates verify only with more than 2/3 valid signatures",
          "[consensus]") {
  const Validators v(4);
  const Hash256 id = IdOf("block");
  CHECK(VerifyCommitCertificate(Cert(v, {0, 1, 2}, kChain, id), v.set, kChain) == CertCheck::kOk);
  CHECK(VerifyCommitCertificate(Cert(v, {0, 1, 2, 3}, kChain, id), v.set, kChain) ==
        CertCheck::kOk);

  SECTION("too few signatures") {
    CHECK(VerifyCommitCertificate(Cert(v, {0, 1}, kChain, id), v.set, kChain) ==
          CertCheck::kTooFewSignatures);
    CHECK(VerifyCommitCertificate(Cert(v, {}, kChain, id), v.set, kChain) ==
          CertCheck::kTooFewSignatures);
  }
  SECTION("wrong chain id") {
    CHECK(VerifyCommitCertificate(Cert(v, {0, 1, 2}, "other-chain", id), v.set, kChain) ==
          CertCheck::kBadSignature);
  }
  SECTION("signatures for another height, round or value") {
    CommitCertificate c = Cert(v, {0, 1, 2}, kChain, id);
    c.height = 8;
    CHECK(VerifyCommitCertificate(c, v.set, kChain) == CertCheck::kBadSignature);
    c = Cert(v, {0, 1, 2}, kChain, id);
    c.round = 3;
    CHECK(VerifyCommitCertificate(c, v.set, kChain) == CertCheck::kBadSignature);
    c = Cert(v, {0, 1, 2}, kChain, id);
    c.value_id = IdOf("other block");
    CHECK(VerifyCommitCertificate(c, v.set, kChain) == CertCheck::kBadSignature);
  }
  SECTION("a prevote is not a precommit") {
    CommitCertificate c = Cert(v, {0, 1, 2}, kChain, id);
    for (size_t i = 0; i < 3; ++i) {
      const size_t idx = *v.set.IndexOf(c.signatures[i].validator);
      c.signatures[i].signature =
          MakeVote(v[idx], kChain, VoteType::kPrevote, 7, 2, id).signature;
    }
    CHECK(VerifyCommitCertificate(c, v.set, kChain) == CertCheck::kBadSignature);
  }
  SECTION("a signer outside the validator set") {
    const Validators five(5);
    size_t outsider = 0;
    while (v.set.IndexOf(five.set.At(outsider))) ++outsider;
    CommitCertificate c = Cert(v, {0, 1}, kChain, id);
    Vote extra = MakeVote(five[outsider], kChain, VoteType::kPrecommit, 7, 2, id);
    c.signatures.push_back(CommitSig{extra.validator, extra.signature});
    std::sort(c.signatures.begin(), c.signatures.end());
    CHECK(VerifyCommitCertificate(c, v.set, kChain) == CertCheck::kNotValidator);
  }
  SECTION("the same signer twice") {
    CommitCertificate c = Cert(v, {0, 1}, kChain, id);
    c.signatures.push_back(c.signatures[1]);
    CHECK(VerifyCommitCertificate(c, v.set, kChain) == CertCheck::kDuplicateSigner);
  }
  SECTION("unsorted signers") {
    CommitCertificate c = Cert(v, {0, 1, 2}, kChain, id);
    std::swap(c.signatures[0], c.signatures[2]);
    CHECK(VerifyCommitCertificate(c, v.set, kChain) == CertCheck::kUnsorted);
  }
  SECTION("a bad signature") {
    CommitCertificate c = Cert(v, {0, 1, 2}, kChain, id);
    c.signatures[1].signature.bytes[0] ^= 0x80;
    CHECK(VerifyCommitCertificate(c, v.set, kChain) == CertCheck::kBadSignature);
  }
  SECTION("more signatures than validators") {
    CommitCertificate c = Cert(v, {0, 1, 2, 3}, kChain, id);
    c.signatures.push_back(c.signatures[3]);
    CHECK(VerifyCommitCertificate(c, v.set, kChain) == CertCheck::kTooManySignatures);
  }
  SECTION("a certificate against a later validator set") {
    const Validators seven(7);
    CHECK(VerifyCommitCertificate(Cert(v, {0, 1, 2}, kChain, id), seven.set, kChain) !=
          CertCheck::kOk);
  }
}

}  // namespace
}  // namespace circuledger::consensus::test
