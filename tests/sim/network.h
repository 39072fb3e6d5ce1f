// tests/sim/network.h: the simulated network's fault model: which directed links are cut (so
// partitions may be asymmetric), message loss, duplication and delay (random delays reorder).
//
// Plan() answers when copies of one message arrive (none if cut or lost); the simulator turns
// them into events. Before GST the simulator changes the faults at random; at GST it heals
// everything and bounds the delay. Owned by the simulator; not thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "rng.h"

namespace circuledger::sim {

struct LinkFaults {
  uint64_t loss_pct = 0;
  uint64_t dup_pct = 0;
  uint64_t min_delay_ms = 1;
  uint64_t max_delay_ms = 20;
  uint64_t slow_pct = 0;        // share of messages delayed up to slow_delay_ms instead
  uint64_t slow_delay_ms = 0;
};

class Network {
 public:
  explicit Network(size_t nodes) : nodes_(nodes), cut_(nodes * nodes, false) {}

  void Cut(size_t from, size_t to, bool cut) { cut_[from * nodes_ + to] = cut; }
  bool IsCut(size_t from, size_t to) const { return cut_[from * nodes_ + to]; }
  void HealAll() { cut_.assign(cut_.size(), false); }
  // A random partition: a symmetric split, random one-way cuts, or one node deaf or mute.
  // Returns a description for the trace.
  std::string RandomPartition(Rng& rng);

  // Arrival times of the copies of one message sent now (empty: lost or cut).
  std::vector<uint64_t> Plan(size_t from, size_t to, uint64_t now, Rng& rng) const;

  LinkFaults faults;

 private:
  size_t nodes_ = 0;
  std::vector<bool> cut_;
};

}  // namespace circuledger::sim
