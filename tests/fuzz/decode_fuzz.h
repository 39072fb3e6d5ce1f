// tests/fuzz/decode_fuzz.h: the property every decoder fuzz target checks.
//
// Decoding arbitrary bytes must never crash, leak or allocate beyond the limits (ASan/UBSan and
// libFuzzer's -rss_limit_mb/-malloc_limit_mb watch that), and whatever decodes must re-encode to
// exactly the input bytes (the encoding is canonical).
#pragma once

#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "ledger/encoding.h"

namespace circuledger::fuzz {

template <class T>
int CheckDecoder(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  ledger::Result<T> decoded = ledger::Decode<T>(input);
  if (decoded.ok() && ledger::Encode(*decoded) != input) std::abort();  // a non-canonical input slipped through
  return 0;
}

}  // namespace circuledger::fuzz
