// bench/rounds.h: which of several timed rounds stands for a run (`validate` and `cluster`).
//
// On a shared machine one round moves by 10% or more, so a benchmark runs a few, prints each,
// and reports the one with the median ratio.
#pragma once

#include <algorithm>
#include <cstddef>
#include <vector>

namespace circuledger::bench {

// Index of the round with the median ratio (the lower middle one for an even count); 0 when empty.
inline size_t MedianRound(const std::vector<double>& ratios) {
  if (ratios.empty()) return 0;
  std::vector<size_t> order(ratios.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return ratios[a] < ratios[b]; });
  return order[(order.size() - 1) / 2];
}

}  // namespace circuledger::bench
