// The archives of ledger/detail/codec.h write and read exactly the bytes of cereal's portable
// binary archives (default options, little-endian host): each primitive is checked against cereal
// itself, both ways. Every encoding is built from these primitives by the Visit() functions, and
// the golden vectors of encoding_test.cpp freeze the composed bytes.
#include <catch2/catch.hpp>

#include <cereal/archives/portable_binary.hpp>

#include <cstdint>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "ledger/detail/codec.h"

namespace circuledger::ledger {
namespace {

struct Sample {
  uint8_t u8 = 0;
  uint32_t u32 = 0;
  uint64_t u64 = 0;
  int64_t i64 = 0;
  Hash256 fixed;
  std::string str;
  std::vector<uint32_t> vec;
};

Sample RandomSample(std::mt19937_64& rng) {
  Sample s;
  s.u8 = static_cast<uint8_t>(rng());
  s.u32 = static_cast<uint32_t>(rng());
  s.u64 = rng();
  s.i64 = static_cast<int64_t>(rng());
  for (uint8_t& b : s.fixed.bytes) b = static_cast<uint8_t>(rng());
  s.str.resize(rng() % 40);
  for (char& c : s.str) c = static_cast<char>(rng());
  s.vec.resize(rng() % 5);
  for (uint32_t& v : s.vec) v = static_cast<uint32_t>(rng());
  return s;
}

// The sample as cereal writes it, field by field, the way codec.h describes each primitive.
std::string CerealBytes(const Sample& s) {
  std::ostringstream os;
  {
    cereal::PortableBinaryOutputArchive ar(os);
    Sample c = s;
    ar(c.u8, c.u32, c.u64, c.i64);
    ar(cereal::binary_data(c.fixed.bytes.data(), c.fixed.bytes.size()));
    uint32_t n = static_cast<uint32_t>(c.str.size());
    ar(n);
    if (n) ar(cereal::binary_data(c.str.data(), n));
    uint32_t m = static_cast<uint32_t>(c.vec.size());
    ar(m);
    for (uint32_t& v : c.vec) ar(v);
  }
  return os.str();
}

std::string CodecBytes(const Sample& s) {
  detail::Writer w;
  Sample c = s;
  w.U8(c.u8);
  w.U32(c.u32);
  w.U64(c.u64);
  w.I64(c.i64);
  w.Fixed(c.fixed);
  w.Str(c.str, 64);
  w.Vec(c.vec, 8, 4, [&](uint32_t& v) { w.U32(v); });
  return w.Finish();
}

Sample CodecRead(const std::string& bytes) {
  detail::Reader r(bytes);
  Sample s;
  r.U8(s.u8);
  r.U32(s.u32);
  r.U64(s.u64);
  r.I64(s.i64);
  r.Fixed(s.fixed);
  r.Str(s.str, 64);
  r.Vec(s.vec, 8, 4, [&](uint32_t& v) { r.U32(v); });
  REQUIRE(r.Remaining() == 0);
  return s;
}

bool Same(const Sample& a, const Sample& b) {
  return a.u8 == b.u8 && a.u32 == b.u32 && a.u64 == b.u64 && a.i64 == b.i64 && a.fixed == b.fixed &&
         a.str == b.str && a.vec == b.vec;
}

TEST_CASE("codec archives write and read cereal's portable binary bytes", "[encoding]") {
  std::mt19937_64 rng(20240611);
  for (int i = 0; i < 500; ++i) {
    const Sample s = RandomSample(rng);
    const std::string ours = CodecBytes(s);
    REQUIRE(ours == CerealBytes(s));
    CHECK(Same(CodecRead(ours), s));
  }
}

TEST_CASE("codec reader rejects truncation and a bad header like the decoders expect", "[encoding]") {
  std::mt19937_64 rng(7);
  const std::string bytes = CodecBytes(RandomSample(rng));
  for (size_t cut = 1; cut < bytes.size(); ++cut) {
    CHECK_THROWS_AS(CodecRead(bytes.substr(0, cut)), detail::DecodeError);
  }
  std::string bad = bytes;
  bad[0] = '\0';  // cereal's big-endian header: not canonical
  CHECK_THROWS_AS(detail::Reader(bad), detail::DecodeError);
  CHECK_THROWS_AS(detail::Reader(""), detail::DecodeError);
}

}  // namespace
}  // namespace circuledger::ledger
