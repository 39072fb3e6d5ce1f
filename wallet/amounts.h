// wallet/amounts.h: exact parsing and formatting of masses, compositions and output-lot specs.
//
// Masses are written with a unit ("12.5kg", "2 kg", "300g", "1.5t", "12000mg") and become
// milligrams by decimal-string arithmetic: no floating point ever touches a quantity, so what the
// user typed is exactly what the ledger records, or an error. Pure functions; thread-safe.
//
// Grammar (spaces allowed around numbers, units, '=', ',' and '/'):
//   MASS        = DIGITS [ "." DIGITS ] UNIT          UNIT = "mg" | "g" | "kg" | "t"
//   COMPOSITION = ENTRY { "," ENTRY }
//   ENTRY       = MATERIAL "=" MASS [ "/" MASS ]       total, then optionally its recycled part
//               | "recycled" "=" MASS                  recycled part of the entry just before
//   OUTPUT      = ID "@" COMPOSITION                   split at the LAST '@' (ids may hold ':' '/'
//   '@')
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "ledger/ops.h"
#include "ledger/types.h"
#include "wallet/status.h"

namespace circuledger::wallet {

// Parses a mass into milligrams. InvalidArgument (with the reason) for: no number, a sign,
// a missing or unknown unit, more decimals than one milligram resolves ("0.0001g"; trailing
// zeros such as "1.5000g" are exact and accepted), and masses over ledger::limits::kMaxMassMg.
Result<uint64_t> ParseMass(std::string_view text);

// A mass for people: the largest unit in which it is at least 1, exact, trailing zeros trimmed:
// 12500000 -> "12.5 kg", 1234567 -> "1.234567 kg", 300000 -> "300 g", 0 -> "0 mg".
std::string FormatMass(uint64_t mg);

// Parses a composition spec ("Co=12.5kg,recycled=2kg,Li=3kg" or "Co=12.5kg/2kg,Li=3kg") into
// entries sorted by material code. InvalidArgument for a bad mass, a bad material code (the
// ledger's alphabet A-Z a-z 0-9 . - _, at most 16 characters), a duplicate material, a zero
// total, recycled above total, a recycled part given twice or before any material, an empty
// spec, or more than ledger::limits::kMaxMaterials entries.
Result<ledger::Composition> ParseComposition(std::string_view spec);

// Parses "ID@COMPOSITION". The id is everything before the last '@' and must not be empty.
Result<ledger::OutputLot> ParseOutputLot(std::string_view spec);

}  // namespace circuledger::wallet
