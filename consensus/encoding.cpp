// One Visit() per type serves both directions (ledger/detail/codec.h), so encoder and decoder
// cannot drift apart. Field order here IS the wire format documented in encoding.h.
#include "consensus/encoding.h"

#include "consensus/limits.h"
#include "ledger/detail/codec.h"

namespace circuledger::consensus {

using ledger::Reject;
using ledger::Status;
using ledger::detail::DecodeError;

namespace {

template <class A>
void Version(A& a) {
  uint8_t v = kEncodingVersion;
  a.U8(v);
  if constexpr (A::kReading) {
    if (v != kEncodingVersion) throw DecodeError{Reject::kUnknownVersion, "consensus version"};
  }
}

template <class A, class T, class F>
void Optional(A& a, std::optional<T>& x, F&& each) {
  uint8_t has = x ? 1 : 0;
  a.U8(has);
  if constexpr (A::kReading) {
    if (has > 1) throw DecodeError{Reject::kMalformed, "optional flag"};
    if (has) x.emplace();
  }
  if (has) each(*x);
}

template <class A>
void Visit(A& a, Vote& x) {
  Version(a);
  uint8_t type = static_cast<uint8_t>(x.type);
  a.U8(type);
  if constexpr (A::kReading) {
    if (type < kMinVoteType || type > kMaxVoteType) {
      throw DecodeError{Reject::kMalformed, "vote type"};
    }
    x.type = static_cast<VoteType>(type);
  }
  a.U64(x.height);
  a.U32(x.round);
  Optional(a, x.value_id, [&](Hash256& h) { a.Fixed(h); });
  a.Fixed(x.validator);
  a.Fixed(x.signature);
}

template <class A>
void Visit(A& a, Proposal& x) {
  Version(a);
  a.U64(x.height);
  a.U32(x.round);
  Optional(a, x.valid_round, [&](uint32_t& vr) { a.U32(vr); });
  if constexpr (A::kReading) {
    // The paper's line 28 needs vr < r; anything else is not a proposal a correct node makes.
    if (x.valid_round && *x.valid_round >= x.round) {
      throw DecodeError{Reject::kMalformed, "valid round not below round"};
    }
  }
  a.Str(x.value, limits::kMaxValueBytes);
  a.Fixed(x.proposer);
  a.Fixed(x.signature);
}

template <class A>
void Visit(A& a, CommitCertificate& x) {
  Version(a);
  a.U64(x.height);
  a.U32(x.round);
  a.Fixed(x.value_id);
  a.Vec(x.signatures, limits::kMaxValidators, limits::kCommitSigBytes, [&](CommitSig& s) {
    a.Fixed(s.validator);
    a.Fixed(s.signature);
  });
}

template <class A>
void Visit(A& a, Message& x) {
  uint8_t kind = static_cast<uint8_t>(x.index());
  a.U8(kind);
  if constexpr (A::kReading) {
    if (kind == 0) {
      Visit(a, x.template emplace<0>());
    } else if (kind == 1) {
      Visit(a, x.template emplace<1>());
    } else {
      throw DecodeError{Reject::kMalformed, "message kind"};
    }
  } else {
    std::visit([&](auto& m) { Visit(a, m); }, x);
  }
}

template <class T>
std::string Encode(const T& value) {
  ledger::detail::Writer w;
  Visit(w, const_cast<T&>(value));  // the Writer only reads
  return w.Finish();
}

template <class T>
ledger::Result<T> Decode(std::string_view bytes, size_t max_bytes) {
  if (bytes.size() > max_bytes) return Status::Rejected(Reject::kOversized, "over size limit");
  T value{};
  try {
    ledger::detail::Reader r(bytes);
    Visit(r, value);
    if (r.Remaining() != 0) return Status::Rejected(Reject::kTrailingBytes, "bytes after value");
  } catch (const DecodeError& e) {
    return Status::Rejected(e.reason, e.what);
  } catch (const cereal::Exception& e) {
    return Status::Rejected(Reject::kMalformed, e.what());
  }
  if (Encode(value) != bytes) return Status::Rejected(Reject::kNonCanonical, "re-encoding differs");
  return value;
}

}  // namespace

std::string EncodeVote(const Vote& vote) { return Encode(vote); }
std::string EncodeProposal(const Proposal& proposal) { return Encode(proposal); }
std::string EncodeCertificate(const CommitCertificate& cert) { return Encode(cert); }
std::string EncodeMessage(const Message& message) { return Encode(message); }

ledger::Result<Vote> DecodeVote(std::string_view bytes) {
  return Decode<Vote>(bytes, limits::kMaxVoteBytes);
}
ledger::Result<Proposal> DecodeProposal(std::string_view bytes) {
  return Decode<Proposal>(bytes, limits::kMaxProposalBytes);
}
ledger::Result<CommitCertificate> DecodeCertificate(std::string_view bytes) {
  return Decode<CommitCertificate>(bytes, limits::kMaxCertificateBytes);
}
ledger::Result<Message> DecodeMessage(std::string_view bytes) {
  return Decode<Message>(bytes, limits::kMaxMessageBytes);
}

}  // namespace circuledger::consensus
