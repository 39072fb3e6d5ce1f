// libFuzzer target: the transaction decoder (the bytes of POST /v1/tx and of gossip).
#include "ledger/tx.h"
#include "tests/fuzz/decode_fuzz.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return circuledger::fuzz::CheckDecoder<circuledger::ledger::Tx>(data, size);
}
