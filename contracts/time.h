// contracts/time.h: UTC calendar dates <-> milliseconds since the Unix epoch, exactly.
//
// Rules compare block times (ms) with dates written in the source. Pure functions, thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace circuledger::contracts {

// "YYYY-MM-DD" (midnight UTC) or "YYYY-MM-DDTHH:MM:SSZ", years 1970..9999; nullopt otherwise
// (including impossible dates such as 2031-02-30).
std::optional<uint64_t> ParseUtc(std::string_view text);
// "YYYY-MM-DD" when the time is midnight, else "YYYY-MM-DDTHH:MM:SS.mmmZ".
std::string FormatUtc(uint64_t ms);

}  // namespace circuledger::contracts
