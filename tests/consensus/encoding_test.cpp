// Canonical encoding of consensus messages: round trips, a golden vector, and the decoder's
// refusals (truncation at every length, trailing bytes, versions, flags, limits).
#include <catch2/catch.hpp>

#include "consensus/encoding.h"
#include "consensus/limits.h"
#include "fixture.h"

namespace circuledger::consensus::test {
namespace {

Vote SampleVote(bool nil) {
  Vote v;
  v.type = VoteType::kPrecommit;
  v.height = 0x0102030405060708ull;
  v.round = 9;
  if (!nil) v.value_id = IdOf("v");
  for (size_t i = 0; i < 32; ++i) v.validator.bytes[i] = static_cast<uint8_t>(i);
  for (size_t i = 0; i < 64; ++i) v.signature.bytes[i] = static_cast<uint8_t>(0xff - i);
  return v;
}

Proposal SampleProposal(std::optional<uint32_t> vr) {
  Proposal p;
  p.height = 12;
  p.round = 3;
  p.valid_round = vr;
  p.value = "a block's bytes";
  p.proposer.bytes[0] = 7;
  p.signature.bytes[63] = 9;
  return p;
}

CommitCertificate SampleCert() {
  CommitCertificate c;
  c.height = 5;
  c.round = 1;
  c.value_id = IdOf("b");
  for (uint8_t i = 1; i <= 3; ++i) {
    CommitSig s;
    s.validator.bytes[0] = i;
    s.signature.bytes[0] = i;
    c.signatures.push_back(s);
  }
  return c;
}

// Every proper prefix is refused (and the decoder never reads past the end).
template <class Decode>
void CheckPrefixesRefused(const std::string& bytes, Decode decode) {
  for (size_t n = 0; n < bytes.size(); ++n) {
    INFO("prefix length " << n);
    CHECK(!decode(std::string_view(bytes).substr(0, n)).ok());
  }
  // "oversized" for a vote, whose encoding has the maximal size; "trailing-bytes" otherwise.
  const std::string reason = decode(bytes + '\0').status().RejectString();
  CHECK((reason == "trailing-bytes" || reason == "oversized"));
}

TEST_CASE("consensus encoding: votes, proposals, certificates and messages round-trip",
          "[consensus]") {
  for (bool nil : {false, true}) {
    const Vote v = SampleVote(nil);
    const std::string bytes = EncodeVote(v);
    CHECK(bytes.size() == (nil ? limits::kMaxVoteBytes - 32 : limits::kMaxVoteBytes));
    auto back = DecodeVote(bytes);
    REQUIRE(back.ok());
    CHECK(*back == v);
    CheckPrefixesRefused(bytes, DecodeVote);
    auto msg = DecodeMessage(EncodeMessage(Message{v}));
    REQUIRE(msg.ok());
    CHECK(std::get<Vote>(*msg) == v);
  }
  for (std::optional<uint32_t> vr : {std::optional<uint32_t>{}, std::optional<uint32_t>{2u}}) {
    const Proposal p = SampleProposal(vr);
    const std::string bytes = EncodeProposal(p);
    auto back = DecodeProposal(bytes);
    REQUIRE(back.ok());
    CHECK(DecodeProposal(bytes + '\0').status().RejectString() == "trailing-bytes");
    CHECK(*back == p);
    CheckPrefixesRefused(bytes, DecodeProposal);
    auto msg = DecodeMessage(EncodeMessage(Message{p}));
    REQUIRE(msg.ok());
    CHECK(std::get<Proposal>(*msg) == p);
  }
  const CommitCertificate c = SampleCert();
  auto back = DecodeCertificate(EncodeCertificate(c));
  REQUIRE(back.ok());
  CHECK(*back == c);
  CheckPrefixesRefused(EncodeCertificate(c), DecodeCertificate);
}

TEST_CASE("consensus encoding: a golden vote freezes the bytes", "[consensus]") {
  // A change here changes what every validator signs and sends: a protocol change.
  CHECK(ledger::HexEncode(EncodeVote(SampleVote(true))) ==
        "0101020807060504030201090000000000"
        "0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
        "fffefdfcfbfaf9f8f7f6f5f4f3f2f1f0efeeedecebeae9e8e7e6e5e4e3e2e1e0"
        "dfdedddcdbdad9d8d7d6d5d4d3d2d1d0cfcecdcccbcac9c8c7c6c5c4c3c2c1c0");
}

TEST_CASE("consensus encoding: malformed input is refused with a reason", "[consensus]") {
  const std::string vote = EncodeVote(SampleVote(false));
  // Layout: [0] archive header, [1] version, [2] type, [3..10] height, [11..14] round, [15] flag.
  auto with = [](std::string s, size_t at, char byte) {
    s[at] = byte;
    return s;
  };
  CHECK(DecodeVote(with(vote, 0, 0)).status().RejectString() == "non-canonical");
  CHECK(DecodeVote(with(vote, 1, 2)).status().RejectString() == "unknown-version");
  CHECK(DecodeVote(with(vote, 2, 0)).status().RejectString() == "malformed");
  CHECK(DecodeVote(with(vote, 2, 3)).status().RejectString() == "malformed");
  CHECK(DecodeVote(with(vote, 15, 2)).status().RejectString() == "malformed");
  CHECK(DecodeVote(std::string(limits::kMaxVoteBytes + 1, '\1')).status().RejectString() ==
        "oversized");
  CHECK(!DecodeVote("").ok());

  // A valid round not below the round.
  Proposal p = SampleProposal(3);
  CHECK(DecodeProposal(EncodeProposal(p)).status().RejectString() == "malformed");
  // A value length beyond the input is refused before anything is allocated.
  std::string prop = EncodeProposal(SampleProposal(std::nullopt));
  // [0] header, [1] version, [2..9] height, [10..13] round, [14] flag, [15..18] value length.
  std::string huge = prop;
  huge[18] = '\x01';  // 16 MiB + 15 bytes: within the limit, beyond the input
  CHECK(DecodeProposal(huge).status().RejectString() == "malformed");
  huge[18] = '\x7f';  // 2 GiB: over the limit
  CHECK(DecodeProposal(huge).status().RejectString() == "oversized");

  // A certificate count beyond the validator limit.
  std::string cert = EncodeCertificate(SampleCert());
  // [0] header, [1] version, [2..9] height, [10..13] round, [14..45] id, [46..49] count.
  cert[47] = '\x01';  // 259 signatures
  CHECK(DecodeCertificate(cert).status().RejectString() == "oversized");

  // An unknown message kind.
  std::string msg = EncodeMessage(Message{SampleVote(false)});
  msg[1] = 2;
  CHECK(DecodeMessage(msg).status().RejectString() == "malformed");
}

}  // namespace
}  // namespace circuledger::consensus::test
