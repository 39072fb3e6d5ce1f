#include "wallet/amounts.h"

#include <map>

#include "contracts/program.h"
#include "ledger/limits.h"

namespace circuledger::wallet {

namespace L = ledger::limits;

namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// Decimal exponent of a unit relative to milligrams; -1 when unknown.
int UnitExponent(std::string_view unit) {
  if (unit == "mg") return 0;
  if (unit == "g") return 3;
  if (unit == "kg") return 6;
  if (unit == "t") return 9;
  return -1;
}

Status BadMass(std::string_view text, const std::string& why) {
  return Status::InvalidArgument("bad mass \"" + std::string(text) + "\": " + why);
}


}  // namespace

Result<uint64_t> ParseMass(std::string_view text) {
  const std::string_view s = Trim(text);
  if (s.empty()) return BadMass(text, "empty");
  if (s.front() == '-') return BadMass(text, "negative masses are not allowed");
  if (s.front() == '+') return BadMass(text, "no sign allowed");
  size_t i = 0;
  while (i < s.size() && IsDigit(s[i])) ++i;
  const std::string_view int_digits = s.substr(0, i);
  if (int_digits.empty()) return BadMass(text, "expected a number such as 12.5kg");
  std::string_view frac_digits;
  if (i < s.size() && s[i] == '.') {
    const size_t start = ++i;
    while (i < s.size() && IsDigit(s[i])) ++i;
    frac_digits = s.substr(start, i - start);
    if (frac_digits.empty()) return BadMass(text, "expected digits after the decimal point");
  }
  const std::string_view unit = Trim(s.substr(i));
  if (unit.empty()) return BadMass(text, "missing unit (mg, g, kg or t)");
  const int exp = UnitExponent(unit);
  if (exp < 0)
    return BadMass(text, "unknown unit \"" + std::string(unit) + "\" (use mg, g, kg or t)");
  const size_t e = static_cast<size_t>(exp);
  // Digits past the milligram must be zeros: "0.0001g" would silently lose mass.
  for (size_t k = e; k < frac_digits.size(); ++k) {
    if (frac_digits[k] != '0') return BadMass(text, "finer than one milligram");
  }
  // value = digits of int_part, then exactly e fractional digits (padded with zeros). The value
  // only grows as digits are appended, so checking the limit after each one bounds it below
  // 10 * kMaxMassMg + 9, far from overflowing 64 bits.
  uint64_t value = 0;
  auto push = [&](char digit) {
    value = value * 10 + static_cast<uint64_t>(digit - '0');
    return value <= L::kMaxMassMg;
  };
  for (char c : int_digits) {
    if (!push(c)) return BadMass(text, "over the ledger's limit of " + FormatMass(L::kMaxMassMg));
  }
  for (size_t k = 0; k < e; ++k) {
    if (!push(k < frac_digits.size() ? frac_digits[k] : '0')) {
      return BadMass(text, "over the ledger's limit of " + FormatMass(L::kMaxMassMg));
    }
  }
  return value;
}

std::string FormatMass(uint64_t mg) {
  static constexpr struct {
    uint64_t factor;
    size_t digits;
    const char* name;
  } kUnits[] = {{1'000'000'000, 9, "t"}, {1'000'000, 6, "kg"}, {1'000, 3, "g"}, {1, 0, "mg"}};
  for (const auto& u : kUnits) {
    if (mg < u.factor && u.factor != 1) continue;
    std::string out = std::to_string(mg / u.factor);
    if (u.digits > 0) {
      std::string frac = std::to_string(mg % u.factor);
      frac.insert(0, u.digits - frac.size(), '0');
      while (!frac.empty() && frac.back() == '0') frac.pop_back();
      if (!frac.empty()) out += "." + frac;
    }
    return out + " " + u.name;
  }
  return std::to_string(mg) + " mg";  // not reached: the mg unit always matches
}

Result<ledger::Composition> ParseComposition(std::string_view spec) {
  auto bad = [&](const std::string& why) {
    return Status::InvalidArgument("bad composition \"" + std::string(spec) + "\": " + why);
  };
  if (Trim(spec).empty())
    return bad("empty (expected MATERIAL=MASS[,...], e.g. Co=12.5kg,recycled=2kg)");
  std::map<std::string, ledger::MaterialAmount> entries;
  ledger::MaterialAmount* last = nullptr;  // the entry a following "recycled=" token refers to
  bool last_has_recycled = false;
  size_t pos = 0;
  while (pos <= spec.size()) {
    size_t comma = spec.find(',', pos);
    if (comma == std::string_view::npos) comma = spec.size();
    const std::string_view token = Trim(spec.substr(pos, comma - pos));
    pos = comma + 1;
    if (token.empty()) return bad("empty entry");
    const size_t eq = token.find('=');
    if (eq == std::string_view::npos)
      return bad("entry \"" + std::string(token) + "\" is not MATERIAL=MASS");
    const std::string_view key = Trim(token.substr(0, eq));
    const std::string_view value = Trim(token.substr(eq + 1));
    if (key == "recycled") {
      if (last == nullptr) return bad("recycled= must follow a material");
      if (last_has_recycled) return bad("recycled part of " + last->material + " given twice");
      Result<uint64_t> r = ParseMass(value);
      if (!r.ok()) return r.status();
      last->recycled_mg = *r;
      last_has_recycled = true;
    } else {
      if (!contracts::IsValidMaterialCode(key)) {
        return bad("bad material code \"" + std::string(key) +
                   "\" (letters, digits, - _; at most " + std::to_string(L::kMaxMaterialLen) +
                   ")");
      }
      const std::string material(key);
      if (entries.count(material)) return bad("material " + material + " given twice");
      const size_t slash = value.find('/');
      Result<uint64_t> total = ParseMass(value.substr(0, slash));
      if (!total.ok()) return total.status();
      if (*total == 0) return bad("total mass of " + material + " is zero");
      uint64_t recycled = 0;
      if (slash != std::string_view::npos) {
        Result<uint64_t> r = ParseMass(value.substr(slash + 1));
        if (!r.ok()) return r.status();
        recycled = *r;
      }
      last = &entries[material];
      *last = ledger::MaterialAmount{material, *total, recycled};
      last_has_recycled = slash != std::string_view::npos;
    }
    if (last->recycled_mg > last->total_mg) {
      return bad("recycled part of " + last->material + " (" + FormatMass(last->recycled_mg) +
                 ") exceeds its total (" + FormatMass(last->total_mg) + ")");
    }
    if (comma == spec.size()) break;
  }
  if (entries.size() > L::kMaxMaterials)
    return bad("more than " + std::to_string(L::kMaxMaterials) + " materials");
  ledger::Composition c;
  for (auto& [material, amount] : entries) c.entries.push_back(std::move(amount));
  return c;
}

Result<ledger::OutputLot> ParseOutputLot(std::string_view spec) {
  const size_t at = spec.rfind('@');
  if (at == std::string_view::npos) {
    return Status::InvalidArgument("bad output \"" + std::string(spec) +
                                   "\": expected ID@COMPOSITION");
  }
  const std::string_view id = Trim(spec.substr(0, at));
  if (id.empty())
    return Status::InvalidArgument("bad output \"" + std::string(spec) + "\": empty id before '@'");
  Result<ledger::Composition> c = ParseComposition(spec.substr(at + 1));
  if (!c.ok()) return c.status();
  return ledger::OutputLot{std::string(id), std::move(*c)};
}

}  // namespace circuledger::wallet
