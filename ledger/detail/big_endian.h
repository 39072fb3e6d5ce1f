// ledger/detail/big_endian.h: fixed-width big-endian integers in storage keys and values (they
// sort by number under LevelDB's byte order). Not the canonical encoding (little-endian, cereal).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace circuledger::ledger::detail {

// Appends the low `bytes` bytes of v, most significant first.
inline void PutBigEndian(std::string& out, uint64_t v, int bytes) {
  for (int i = bytes - 1; i >= 0; --i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

// Reads `bytes` bytes at `pos` (the caller checked the size).
inline uint64_t GetBigEndian(std::string_view s, size_t pos, int bytes) {
  uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v = (v << 8) | static_cast<uint8_t>(s[pos + static_cast<size_t>(i)]);
  return v;
}

}  // namespace circuledger::ledger::detail
