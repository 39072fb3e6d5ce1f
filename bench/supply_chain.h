// bench/supply_chain.h: the operations of a battery supply chain, as a stream of unsigned steps.
//
// One "unit" is one electric vehicle's battery materials, from mine to car, in 12 operations:
//   mine       create ore lot (Co, Li, Ni)          recycler   create recycled Co/Ni lot
//   mine       transfer ore -> refinery             recycler   transfer recycled lot -> refinery
//   refinery   transform {ore, recycled} -> 2 lots  (even units: controlled blending, odd units:
//              mass balance with the full recycled credit declared on the first output)
//   refinery   transfer both lots -> cellmaker      cellmaker  assemble a cell product + scrap lot
//   mine       create steel lot                     mine       transfer steel -> oem
//   cellmaker  transfer the cell -> oem             oem        assemble the vehicle {cell, steel}
// Every step is valid when the unit's earlier steps were applied before it. SupplyChain
// interleaves `width` units round robin, so a block mixes operation kinds and units as a real
// chain would. Ids are GS1-style URNs. Deterministic; not synchronized.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <vector>

#include "ledger/ops.h"

namespace circuledger::bench {

// The orgs of TestGenesis() that sign workload transactions.
inline constexpr std::string_view kWorkloadOrgs[] = {"mine", "recycler", "refinery", "cellmaker",
                                                     "oem"};

enum class OpKind : uint8_t {
  kCreate,
  kTransfer,
  kTransformBlend,
  kTransformMassBalance,
  kAssemble
};
inline constexpr size_t kOpKinds = 5;
std::string_view OpKindName(OpKind kind);

struct Step {
  uint64_t unit = 0;
  std::string org;  // the signer's org
  OpKind kind = OpKind::kCreate;
  ledger::Op op;
};

// The steps of unit `unit`, in dependency order. With `recycled_lithium` the recycler's lot also
// carries 50 g of recycled lithium, so every cell meets the EU Battery Regulation Art. 8(2)
// shares (Co 33%, Li 9.09%, Ni 9.09%): the workload of `validate --battery-rules 1`.
std::vector<Step> UnitSteps(uint64_t unit, bool recycled_lithium = false);

class SupplyChain {
 public:
  explicit SupplyChain(size_t width, bool recycled_lithium = false);
  // The next step of the stream (never ends).
  Step Next();

 private:
  struct Unit {
    std::vector<Step> steps;
    size_t next = 0;
  };
  std::deque<Unit> in_flight_;
  uint64_t next_unit_ = 0;
  bool recycled_lithium_ = false;
};

}  // namespace circuledger::bench
