#include "bench/supply_chain.h"

#include <cassert>

#include "tests/support/test_chain.h"

namespace circuledger::bench {

using ledger::Allocation;
using ledger::Assemble;
using ledger::CreateLot;
using ledger::NewProduct;
using ledger::OutputLot;
using ledger::Transfer;
using ledger::Transform;
using testkit::Comp;

std::string_view OpKindName(OpKind kind) {
  switch (kind) {
    case OpKind::kCreate:
      return "create_lot";
    case OpKind::kTransfer:
      return "transfer";
    case OpKind::kTransformBlend:
      return "transform(controlled_blending)";
    case OpKind::kTransformMassBalance:
      return "transform(mass_balance)";
    case OpKind::kAssemble:
      return "assemble";
  }
  return "?";
}

std::vector<Step> UnitSteps(uint64_t unit, bool recycled_lithium) {
  const std::string n = std::to_string(unit);
  const std::string ore = "urn:epc:class:lgtin:4012345.000011.ORE" + n;
  const std::string rco = "urn:epc:class:lgtin:4098765.000021.RCO" + n;
  const std::string cathode = "urn:epc:class:lgtin:4023456.000031.CAT" + n;
  const std::string precursor = "urn:epc:class:lgtin:4023456.000032.PRE" + n;
  const std::string cell = "urn:epc:id:sgtin:4034567.000041." + n;
  const std::string scrap = "urn:epc:class:lgtin:4034567.000042.SCR" + n;
  const std::string steel = "urn:epc:class:lgtin:4012345.000012.FE" + n;
  const std::string car = "urn:epc:id:sgtin:4045678.000051." + n;
  const bool mass_balance = unit % 2 == 1;

  // Inputs of the transform: Co 1.5 t (0.5 t recycled), Ni 2.2 t (0.2 t recycled), Li 0.5 t.
  Transform transform;
  transform.inputs = {ore, rco};
  if (mass_balance) {
    // The whole recycled credit, floor(R_in * T_out / T_in) = R_in, is declared on the cathode lot.
    transform.allocation = Allocation::kMassBalance;
    // Recycled lithium (0.05 t of 0.55 t): the precursor may claim floor(50000 * 0.5 / 0.55).
    transform.outputs = {OutputLot{cathode, Comp("Co:900000:500000,Ni:1500000:200000")},
                         OutputLot{precursor, Comp(recycled_lithium ? "Co:600000:0,Li:500000:45454,Ni:700000:0"
                                                                    : "Co:600000:0,Li:500000:0,Ni:700000:0")}};
  } else {
    transform.allocation = Allocation::kControlledBlending;
    transform.outputs = {OutputLot{cathode, Comp("Co:900000:0,Ni:1500000:0")},
                         OutputLot{precursor, Comp("Co:600000:0,Li:500000:0,Ni:700000:0")}};
  }

  Assemble make_cell;
  make_cell.inputs = {cathode, precursor};
  make_cell.product = NewProduct{cell,
                                 "battery.ev",
                                 "NMC811-75",
                                 Comp("Co:1400000:0,Li:450000:0,Ni:2000000:0"),
                                 {{"capacity_wh", 75000}, {"spare_parts_years", 10}}};
  make_cell.leftovers = {OutputLot{scrap, Comp("Co:100000:0,Li:50000:0,Ni:200000:0")}};

  Assemble make_car;
  make_car.inputs = {cell, steel};
  make_car.product = NewProduct{car,
                                "vehicle.ev",
                                "EV-1",
                                Comp("Co:1400000:0,Fe:50000000:0,Li:450000:0,Ni:2000000:0"),
                                {{"range_km", 450}}};

  std::vector<Step> s;
  s.reserve(12);
  auto add = [&](const char* org, OpKind kind, ledger::Op op) {
    s.push_back(Step{unit, org, kind, std::move(op)});
  };
  add("mine", OpKind::kCreate, CreateLot{ore, Comp("Co:1000000:0,Li:500000:0,Ni:2000000:0")});
  add("recycler", OpKind::kCreate,
      CreateLot{rco, Comp(recycled_lithium ? "Co:500000:500000,Li:50000:50000,Ni:200000:200000"
                                           : "Co:500000:500000,Ni:200000:200000")});
  add("mine", OpKind::kTransfer, Transfer{ore, "refinery"});
  add("recycler", OpKind::kTransfer, Transfer{rco, "refinery"});
  add("refinery", mass_balance ? OpKind::kTransformMassBalance : OpKind::kTransformBlend,
      std::move(transform));
  add("refinery", OpKind::kTransfer, Transfer{cathode, "cellmaker"});
  add("refinery", OpKind::kTransfer, Transfer{precursor, "cellmaker"});
  add("cellmaker", OpKind::kAssemble, std::move(make_cell));
  add("mine", OpKind::kCreate, CreateLot{steel, Comp("Fe:50000000:0")});
  add("mine", OpKind::kTransfer, Transfer{steel, "oem"});
  add("cellmaker", OpKind::kTransfer, Transfer{cell, "oem"});
  add("oem", OpKind::kAssemble, std::move(make_car));
  return s;
}

SupplyChain::SupplyChain(size_t width, bool recycled_lithium) : recycled_lithium_(recycled_lithium) {
  assert(width > 0);
  for (size_t i = 0; i < width; ++i) in_flight_.push_back(Unit{UnitSteps(next_unit_++, recycled_lithium_), 0});
}

Step SupplyChain::Next() {
  Unit unit = std::move(in_flight_.front());
  in_flight_.pop_front();
  Step step = std::move(unit.steps[unit.next++]);
  // A finished unit makes room for a new one; the others go round again.
  in_flight_.push_back(unit.next < unit.steps.size() ? std::move(unit)
                                                     : Unit{UnitSteps(next_unit_++, recycled_lithium_), 0});
  return step;
}

}  // namespace circuledger::bench
