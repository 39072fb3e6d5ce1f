// tests/sim/rng.h: the simulator's only source of randomness, seeded once per run.
//
// Choices come from raw mt19937_64 output only (the distributions of <random> differ between
// standard libraries), so a seed replays the same on every platform. Not thread-safe.
#pragma once

#include <cstdint>
#include <random>

namespace circuledger::sim {

class Rng {
 public:
  explicit Rng(uint64_t seed) : gen_(seed) {}
  uint64_t Next() { return gen_(); }
  uint64_t Below(uint64_t n) { return n == 0 ? 0 : gen_() % n; }
  uint64_t Range(uint64_t lo, uint64_t hi) { return lo + Below(hi - lo + 1); }  // inclusive
  bool Percent(uint64_t p) { return Below(100) < p; }

 private:
  std::mt19937_64 gen_;
};

}  // namespace circuledger::sim
