#include "contracts/time.h"

#include <cstdio>

namespace circuledger::contracts {
namespace {

// Howard Hinnant's days_from_civil / civil_from_days (public domain), on the proleptic
// Gregorian calendar.
int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

void CivilFromDays(int64_t z, int64_t& y, unsigned& m, unsigned& d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  d = doy - (153 * mp + 2) / 5 + 1;
  m = mp < 10 ? mp + 3 : mp - 9;
  y = static_cast<int64_t>(yoe) + era * 400 + (m <= 2);
}

bool Digits(std::string_view s, size_t pos, size_t n, unsigned& out) {
  out = 0;
  if (pos + n > s.size()) return false;
  for (size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    out = out * 10 + static_cast<unsigned>(s[i] - '0');
  }
  return true;
}

unsigned DaysInMonth(unsigned y, unsigned m) {
  static constexpr unsigned kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return m == 2 && leap ? 29 : kDays[m - 1];
}

}  // namespace

std::optional<uint64_t> ParseUtc(std::string_view s) {
  unsigned y = 0, mo = 0, d = 0, h = 0, mi = 0, se = 0;
  if (s.size() != 10 && s.size() != 20) return std::nullopt;
  if (!Digits(s, 0, 4, y) || s[4] != '-' || !Digits(s, 5, 2, mo) || s[7] != '-' || !Digits(s, 8, 2, d)) {
    return std::nullopt;
  }
  if (s.size() == 20) {
    if (s[10] != 'T' || !Digits(s, 11, 2, h) || s[13] != ':' || !Digits(s, 14, 2, mi) || s[16] != ':' ||
        !Digits(s, 17, 2, se) || s[19] != 'Z') {
      return std::nullopt;
    }
  }
  if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > DaysInMonth(y, mo) || h > 23 || mi > 59 || se > 59) {
    return std::nullopt;
  }
  const int64_t days = DaysFromCivil(y, mo, d);
  return static_cast<uint64_t>(days) * 86'400'000u + (h * 3600u + mi * 60u + se) * 1000u;
}

std::string FormatUtc(uint64_t ms) {
  int64_t y = 0;
  unsigned m = 0, d = 0;
  CivilFromDays(static_cast<int64_t>(ms / 86'400'000u), y, m, d);
  const uint64_t in_day = ms % 86'400'000u;
  char buf[40];
  if (in_day == 0) {
    std::snprintf(buf, sizeof buf, "%04lld-%02u-%02u", static_cast<long long>(y), m, d);
  } else {
    std::snprintf(buf, sizeof buf, "%04lld-%02u-%02uT%02u:%02u:%02u.%03uZ", static_cast<long long>(y), m, d,
                  static_cast<unsigned>(in_day / 3'600'000u), static_cast<unsigned>(in_day / 60'000u % 60),
                  static_cast<unsigned>(in_day / 1000u % 60), static_cast<unsigned>(in_day % 1000u));
  }
  return buf;
}

}  // namespace circuledger::contracts
