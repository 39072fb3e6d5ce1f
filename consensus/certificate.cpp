#include "consensus/certificate.h"

namespace circuledger::consensus {

std::string_view CertCheckName(CertCheck c) {
  switch (c) {
    case CertCheck::kOk: return "ok";
    case CertCheck::kTooFewSignatures: return "too-few-signatures";
    case CertCheck::kTooManySignatures: return "too-many-signatures";
    case CertCheck::kDuplicateSigner: return "duplicate-signer";
    case CertCheck::kUnsorted: return "unsorted-signatures";
    case CertCheck::kNotValidator: return "not-validator";
    case CertCheck::kBadSignature: return "bad-signature";
  }
  return "?";
}

CertCheck VerifyCommitCertificate(const CommitCertificate& cert, const ValidatorSet& validators,
                                  std::string_view chain_id, const SignatureVerifier& verifier) {
  // Cheap structural checks first: a flood of junk certificates costs no verification.
  if (cert.signatures.size() < validators.Quorum()) return CertCheck::kTooFewSignatures;
  if (cert.signatures.size() > validators.Size()) return CertCheck::kTooManySignatures;
  for (size_t i = 1; i < cert.signatures.size(); ++i) {
    const PubKey& prev = cert.signatures[i - 1].validator;
    const PubKey& cur = cert.signatures[i].validator;
    if (cur == prev) return CertCheck::kDuplicateSigner;
    if (cur < prev) return CertCheck::kUnsorted;
  }
  for (const CommitSig& s : cert.signatures) {
    if (!validators.IndexOf(s.validator)) return CertCheck::kNotValidator;
  }
  const Hash256 msg =
      VoteSignHash(chain_id, VoteType::kPrecommit, cert.height, cert.round, cert.value_id);
  for (const CommitSig& s : cert.signatures) {
    if (!verifier.Verify(s.validator, msg, s.signature)) return CertCheck::kBadSignature;
  }
  return CertCheck::kOk;
}

}  // namespace circuledger::consensus
