#include "network.h"

namespace circuledger::sim {

std::string Network::RandomPartition(Rng& rng) {
  HealAll();
  switch (rng.Below(3)) {
    case 0: {  // two sides, cut both ways
      std::vector<bool> side(nodes_);
      for (size_t i = 0; i < nodes_; ++i) side[i] = rng.Percent(50);
      std::string d = "split:";
      for (size_t i = 0; i < nodes_; ++i) d += side[i] ? '1' : '0';
      for (size_t a = 0; a < nodes_; ++a) {
        for (size_t b = 0; b < nodes_; ++b) {
          if (side[a] != side[b]) Cut(a, b, true);
        }
      }
      return d;
    }
    case 1: {  // random one-way cuts
      const uint64_t pct = rng.Range(10, 50);
      for (size_t a = 0; a < nodes_; ++a) {
        for (size_t b = 0; b < nodes_; ++b) {
          if (a != b && rng.Percent(pct)) Cut(a, b, true);
        }
      }
      return "one-way cuts " + std::to_string(pct) + "%";
    }
    default: {  // one node hears nothing, or nobody hears it
      const size_t x = static_cast<size_t>(rng.Below(nodes_));
      const bool deaf = rng.Percent(50);
      for (size_t o = 0; o < nodes_; ++o) {
        if (o != x) deaf ? Cut(o, x, true) : Cut(x, o, true);
      }
      return "node " + std::to_string(x) + (deaf ? " deaf" : " mute");
    }
  }
}

std::vector<uint64_t> Network::Plan(size_t from, size_t to, uint64_t now, Rng& rng) const {
  std::vector<uint64_t> out;
  if (IsCut(from, to)) return out;
  const size_t copies = rng.Percent(faults.dup_pct) ? 2 : 1;
  for (size_t i = 0; i < copies; ++i) {
    if (rng.Percent(faults.loss_pct)) continue;
    uint64_t delay = rng.Range(faults.min_delay_ms, faults.max_delay_ms);
    if (faults.slow_pct && rng.Percent(faults.slow_pct)) {
      delay = rng.Range(faults.min_delay_ms, faults.slow_delay_ms);
    }
    out.push_back(now + delay);
  }
  return out;
}

}  // namespace circuledger::sim
