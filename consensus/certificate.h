// consensus/certificate.h: checking a commit certificate against the validator set of its height.
//
// What a node runs on a block it did not see decided (block sync, light clients, the wallet's
// offline verifier): the block is final iff a certificate for its hash verifies against the
// validator set the chain had at that height. Pure functions; thread-safe.
#pragma once

#include <string_view>

#include "consensus/messages.h"

namespace circuledger::consensus {

enum class CertCheck : uint8_t {
  kOk = 0,
  kTooFewSignatures,  // not more than 2/3 of the validators (checked before any verification)
  kTooManySignatures,
  kDuplicateSigner,   // the same validator twice would count one vote twice
  kUnsorted,          // signatures must be strictly increasing by key (one canonical form)
  kNotValidator,
  kBadSignature,      // includes signatures made for another chain, height, round or value
};
std::string_view CertCheckName(CertCheck c);

// kOk iff more than 2/3 of `validators` signed a PRECOMMIT for (cert.height, cert.round,
// cert.value_id) on `chain_id`, each validator at most once. Otherwise the first problem found.
// The caller still checks that cert.height and cert.value_id are the block's height and hash.
CertCheck VerifyCommitCertificate(const CommitCertificate& cert, const ValidatorSet& validators,
                                  std::string_view chain_id,
                                  const SignatureVerifier& verifier = DefaultVerifier());

}  // namespace circuledger::consensus
