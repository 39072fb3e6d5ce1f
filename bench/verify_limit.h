// bench/verify_limit.h: the limit of the validation hot path, measured on this machine: raw
// libsecp256k1 BIP-340 verifications per second, one std::thread per core (DESIGN.md section 9).
//
// Keys are parsed and everything is laid out before the clock starts; the timed loop calls only
// secp256k1_schnorrsig_verify, each thread cycling over its own share of the triples. Blocking;
// starts and joins its own threads.
#pragma once

#include <secp256k1_extrakeys.h>

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
  double verifier_cpu_seconds = 0;  // the verifying threads' share of cpu_seconds
  unsigned threads = 0;

  // Two runs as one: the sums of their counts and times.
  VerifyLimit& operator+=(const VerifyLimit& o);
};

// The triples laid out once (keys parsed, messages and signatures copied), then measured as often
// as wanted: `validate` takes a slice of the limit between blocks, and parsing 100,000 keys each
// time would double the untimed part of the run.
class VerifyLimitMeter {
 public:
  // Fails (InvalidArgument) when the triples are empty, threads is 0, or a key does not parse.
  static ledger::Result<VerifyLimitMeter> Make(const std::vector<SigTriple>& triples, unsigned threads);

  // Runs about `seconds` of verification on the threads. Fails (InvalidArgument) when a triple
  // does not verify: the limit would not be measuring the real work.
  ledger::Result<VerifyLimit> Measure(double seconds) const;

  // A parsed key, a message and a signature, as secp256k1 takes them.
  struct Parsed {
    secp256k1_xonly_pubkey pubkey;
    unsigned char msg[32];
    unsigned char sig[64];
  };

 private:
  VerifyLimitMeter(std::vector<Parsed> parsed, unsigned threads);

  std::vector<Parsed> parsed_;
  unsigned threads_;
};

// Runs about `seconds` of verification on `threads` threads (a VerifyLimitMeter used once).
ledger::Result<VerifyLimit> MeasureVerifyLimit(const std::vector<SigTriple>& triples,
                                               unsigned threads, double seconds);

}  // namespace circuledger::bench
