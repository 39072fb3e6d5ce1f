#include "ledger/mass.h"

#include <cassert>

#include "contracts/program.h"
#include "ledger/limits.h"

namespace circuledger::ledger {


void AddTo(MaterialSums& sums, const Composition& c) {
  for (const MaterialAmount& m : c.entries) {
    MaterialSum& s = sums[m.material];
    s.total_mg += m.total_mg;
    s.recycled_mg += m.recycled_mg;
  }
}

Status CheckComposition(const Composition& c, bool allow_recycled) {
  if (c.entries.empty()) return Status::Rejected(Reject::kBadComposition, "empty composition");
  if (c.entries.size() > limits::kMaxMaterials) return Status::Rejected(Reject::kBadComposition, "too many materials");
  for (size_t i = 0; i < c.entries.size(); ++i) {
    const MaterialAmount& m = c.entries[i];
    if (!contracts::IsValidMaterialCode(m.material)) return Status::Rejected(Reject::kBadComposition, "bad material code");
    if (i > 0 && !(c.entries[i - 1].material < m.material)) {
      return Status::Rejected(Reject::kBadComposition, "materials not sorted or duplicated");
    }
    if (m.total_mg == 0 || m.total_mg > limits::kMaxMassMg) {
      return Status::Rejected(Reject::kBadComposition, "mass of " + m.material + " out of range");
    }
    if (m.recycled_mg > m.total_mg) {
      return Status::Rejected(Reject::kBadComposition, "recycled mass of " + m.material + " above its total");
    }
    if (m.recycled_mg > 0 && !allow_recycled) {
      return Status::Rejected(Reject::kRecycledNotAllowed, "recycled mass of " + m.material + " declared");
    }
  }
  return Status::Ok();
}

Status CheckNoMassCreated(const MaterialSums& in, const MaterialSums& out) {
  for (const auto& [material, o] : out) {
    auto it = in.find(material);
    const uint64_t available = it == in.end() ? 0 : it->second.total_mg;
    if (o.total_mg > available) {
      return Status::Rejected(Reject::kMassCreated, material + ": " + std::to_string(o.total_mg) + " mg out of " +
                                                        std::to_string(available) + " mg in");
    }
  }
  return Status::Ok();
}

uint64_t BlendedRecycled(uint64_t out_total, const MaterialSum& in) {
  assert(in.total_mg > 0 && out_total <= in.total_mg);
  return static_cast<uint64_t>(static_cast<u128>(out_total) * in.recycled_mg / in.total_mg);
}

void SplitRecycled(std::vector<Composition*>& parts, const Composition& whole) {
  MaterialSums taken;
  for (const Composition* c : parts) AddTo(taken, *c);
  for (const auto& [material, t] : taken) {
    const MaterialAmount* w = whole.Find(material);
    assert(w && t.total_mg <= w->total_mg);
    const uint64_t share = static_cast<uint64_t>(static_cast<u128>(t.total_mg) * w->recycled_mg / w->total_mg);
    uint64_t given = 0;
    std::vector<MaterialAmount*> entries;
    for (Composition* c : parts) {
      for (MaterialAmount& m : c->entries) {
        if (m.material != material) continue;
        m.recycled_mg = static_cast<uint64_t>(static_cast<u128>(m.total_mg) * w->recycled_mg / w->total_mg);
        given += m.recycled_mg;
        entries.push_back(&m);
      }
    }
    // share - given < number of parts: hand out the remainder deterministically, in order.
    for (MaterialAmount* m : entries) {
      if (given == share) break;
      if (m->recycled_mg < m->total_mg) {
        ++m->recycled_mg;
        ++given;
      }
    }
    assert(given == share);
  }
}

Status CheckMassBalance(const MaterialSums& in, const MaterialSums& out) {
  for (const auto& [material, o] : out) {
    if (o.recycled_mg == 0) continue;
    auto it = in.find(material);
    if (it == in.end()) return Status::Rejected(Reject::kRecycledOverAllocation, material + ": no input");
    const MaterialSum& i = it->second;
    // sum(declared) <= floor(R_in * T_out / T_in)  <=>  sum(declared) * T_in <= R_in * T_out.
    if (static_cast<u128>(o.recycled_mg) * i.total_mg > static_cast<u128>(i.recycled_mg) * o.total_mg) {
      return Status::Rejected(Reject::kRecycledOverAllocation,
                              material + ": " + std::to_string(o.recycled_mg) + " mg recycled declared, credit is " +
                                  std::to_string(static_cast<uint64_t>(static_cast<u128>(i.recycled_mg) * o.total_mg /
                                                                       i.total_mg)) + " mg");
    }
  }
  return Status::Ok();
}

Composition Subtract(const Composition& c, const Composition& removed) {
  Composition out;
  for (const MaterialAmount& m : c.entries) {
    const MaterialAmount* r = removed.Find(m.material);
    MaterialAmount left = m;
    if (r) {
      assert(r->total_mg <= m.total_mg && r->recycled_mg <= m.recycled_mg);
      left.total_mg -= r->total_mg;
      left.recycled_mg -= r->recycled_mg;
    }
    if (left.total_mg > 0) out.entries.push_back(std::move(left));
  }
  return out;
}

Composition Add(const Composition& c, const Composition& added) {
  MaterialSums sums;
  AddTo(sums, c);
  AddTo(sums, added);
  Composition out;
  for (const auto& [material, s] : sums) out.entries.push_back(MaterialAmount{material, s.total_mg, s.recycled_mg});
  return out;
}

}  // namespace circuledger::ledger
