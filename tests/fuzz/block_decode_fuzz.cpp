// libFuzzer target: the block decoder (the bytes of block sync and of the database).
#include "ledger/block.h"
#include "tests/fuzz/decode_fuzz.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return circuledger::fuzz::CheckDecoder<circuledger::ledger::Block>(data, size);
}
