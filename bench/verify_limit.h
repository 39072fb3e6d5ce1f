// bench/verify_limit.h: the limit of the validation hot path, measured on this machine: raw
// libsecp256k1 BIP-340 verifications per second, one std::thread per core (DESIGN.md section 9).
//
// Keys are parsed and everything is laid out before the clock starts; the timed loop calls only
// secp256k1_schnorrsig_verify, each thread cycling over its own share of the triples. Blocking;
// starts and joins its own threads.
#pragma once

#include <cstdint>
#include <vector>

#include "ledger/status.h"
#include "ledger/types.h"

namespace circuledger::bench {

// One signature to verify: the 32-byte message (a tx id) signed by an x-only key.
struct SigTriple {
  ledger::PubKey pubkey;
  ledger::Hash256 msg;
  ledger::Signature sig;
};

struct VerifyLimit {
  uint64_t verifications = 0;
  double seconds = 0;
  double per_s = 0;
  double cpu_seconds =
      0;  // process CPU time while timed (threads x seconds when the cores are ours)
  unsigned threads = 0;

  // Two runs as one: the sums of their counts and times.
  VerifyLimit& operator+=(const VerifyLimit& o);
};

// Runs about `seconds` of verification on `threads` threads. Fails (InvalidArgument) when the
// triples are empty or one does not verify: the limit would not be measuring the real work.
ledger::Result<VerifyLimit> MeasureVerifyLimit(const std::vector<SigTriple>& triples,
                                               unsigned threads, double seconds);

}  // namespace circuledger::bench
