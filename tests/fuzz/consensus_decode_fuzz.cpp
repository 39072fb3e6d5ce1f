// libFuzzer target: the consensus decoders (votes and proposals from peers, commit certificates
// from block sync). Arbitrary bytes must never crash or over-allocate, and whatever decodes must
// re-encode to exactly the input (the encoding is canonical).
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "consensus/encoding.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace c = circuledger::consensus;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  auto m = c::DecodeMessage(input);
  if (m.ok() && c::EncodeMessage(*m) != input) std::abort();
  auto cert = c::DecodeCertificate(input);
  if (cert.ok() && c::EncodeCertificate(*cert) != input) std::abort();
  return 0;
}
