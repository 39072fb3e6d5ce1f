// ledger/mass.h: mass-balance arithmetic on compositions (DESIGN.md section 3).
//
// Integers only: masses in milligrams (uint64, each entry at most limits::kMaxMassMg), ratios
// compared by cross-multiplication in 128 bits. Pure functions; thread-safe.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "ledger/status.h"
#include "ledger/types.h"

namespace circuledger::ledger {

__extension__ using u128 = unsigned __int128;

// Sum of total and recycled mass of one material over several compositions.
struct MaterialSum {
  uint64_t total_mg = 0;
  uint64_t recycled_mg = 0;
};
using MaterialSums = std::map<std::string, MaterialSum, std::less<>>;

// Adds a composition into sums. Cannot overflow for at most kMaxInputs + kMaxOutputs + 1
// compositions of valid entries (limits.h static_assert).
void AddTo(MaterialSums& sums, const Composition& c);

// Checks one composition: 1..kMaxMaterials entries sorted by material code without duplicates,
// valid codes, 0 < total <= kMaxMassMg, recycled <= total, and recycled == 0 unless
// allow_recycled. Rejects with bad-composition (or recycled-not-allowed).
Status CheckComposition(const Composition& c, bool allow_recycled);

// Per material, outputs must not exceed inputs: "mass-created" names the first material that does.
Status CheckNoMassCreated(const MaterialSums& in, const MaterialSums& out);

// Controlled blending: recycled mass of an output entry = floor(out_total * R_in / T_in).
uint64_t BlendedRecycled(uint64_t out_total, const MaterialSum& in);

// Splits the recycled mass of a part taken out of a whole (repair: parts removed from a product)
// so that what stays is still a valid composition: per material the parts together get
// floor(T_parts * R / T), each part floor(t_i * R / T), and the remainder goes one mg at a time
// to the parts in order that still have room. (Flooring each part alone would leave the whole
// with more recycled than total mass: T=3, R=2, two parts of 1 mg each.) Sets recycled_mg of
// every entry of `parts`; their totals must not exceed the whole's, per material.
void SplitRecycled(std::vector<Composition*>& parts, const Composition& whole);

// Mass balance: declared recycled outputs per material must satisfy
// sum(declared) <= floor(R_in * T_out / T_in). Rejects recycled-over-allocation.
Status CheckMassBalance(const MaterialSums& in, const MaterialSums& out);

// Composition arithmetic used by repair: c - removed (removed <= c per material) and c + added.
// Entries that reach zero disappear; recycled follows the given amounts.
Composition Subtract(const Composition& c, const Composition& removed);
Composition Add(const Composition& c, const Composition& added);

}  // namespace circuledger::ledger
