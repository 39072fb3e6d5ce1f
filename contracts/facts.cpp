#include "contracts/facts.h"

namespace circuledger::contracts {

__extension__ using u128 = unsigned __int128;

bool ShareAtLeastBps(uint64_t num, uint64_t den, uint32_t threshold_bps) {
  if (den == 0) return threshold_bps == 0;
  // num/den >= bps/10000  <=>  num*10000 >= bps*den, exact in 128 bits.
  const u128 lhs = static_cast<u128>(num) * 10000u;
  const u128 rhs = static_cast<u128>(threshold_bps) * den;
  return lhs >= rhs;
}

std::string FormatPercent2(uint64_t num, uint64_t den) {
  if (den == 0) return "0.00";
  const u128 hundredths = static_cast<u128>(num) * 10000u / den;
  const uint64_t whole = static_cast<uint64_t>(hundredths / 100);
  const uint64_t frac = static_cast<uint64_t>(hundredths % 100);
  std::string out = std::to_string(whole) + ".";
  if (frac < 10) out += "0";
  out += std::to_string(frac);
  return out;
}

}  // namespace circuledger::contracts
