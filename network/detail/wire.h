// network/detail/wire.h: little-endian writer and bounds-checked reader for the payloads of
// peer-to-peer messages (network/P2P.md). Not the ledger's archive: messages carry no archive
// header byte; ledger values inside them (a Tx) keep their own canonical encoding as opaque bytes.
//
// WireReader never throws and never reads or allocates past its input: every read checks the
// bytes that remain, and a length prefix is checked against its limit and the remaining bytes
// before anything is copied. After the first failure every read fails (`ok()` turns false and
// stays false) and `error()` says which kind. Not thread-safe; one per call.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "ledger/reject.h"
#include "ledger/types.h"

namespace circuledger::network::detail {

class WireWriter {
 public:
  explicit WireWriter(size_t reserve_bytes = 64) { out_.reserve(reserve_bytes); }
  void U8(uint8_t v) { out_.push_back(static_cast<char>(v)); }
  void U32(uint32_t v) { Le(v); }
  void U64(uint64_t v) { Le(v); }
  template <size_t N>
  void Fixed(const ledger::FixedBytes<N>& f) { out_.append(f.View()); }
  // u32 length, then the bytes.
  void Bytes(std::string_view b) {
    U32(static_cast<uint32_t>(b.size()));
    out_.append(b);
  }
  std::string Finish() { return std::move(out_); }

 private:
  template <class U>
  void Le(U v) {
    for (size_t i = 0; i < sizeof(U); ++i) out_.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
  }
  std::string out_;
};

class WireReader {
 public:
  explicit WireReader(std::string_view in) : in_(in) {}

  bool ok() const { return error_ == ledger::Reject::kNone; }
  ledger::Reject error() const { return error_; }
  size_t Remaining() const { return in_.size() - pos_; }

  uint8_t U8() { return Need(1) ? static_cast<uint8_t>(in_[pos_++]) : 0; }
  uint32_t U32() { return Le<uint32_t>(); }
  uint64_t U64() { return Le<uint64_t>(); }
  template <size_t N>
  ledger::FixedBytes<N> Fixed() {
    ledger::FixedBytes<N> f;
    if (Need(N)) {
      std::memcpy(f.bytes.data(), in_.data() + pos_, N);
      pos_ += N;
    }
    return f;
  }
  // u32 length (at most max_len, and no more than what remains), then that many bytes. The view
  // points into the input.
  std::string_view Bytes(size_t max_len) {
    const uint32_t n = U32();
    if (!ok()) return {};
    if (n > max_len) {
      Fail(ledger::Reject::kOversized);
      return {};
    }
    if (!Need(n)) return {};
    std::string_view v = in_.substr(pos_, n);
    pos_ += n;
    return v;
  }
  // Marks the input as bad (e.g. a field value out of range); later reads fail.
  void Fail(ledger::Reject why) {
    if (ok()) error_ = why;
  }
  // The whole input was consumed: otherwise fails with kTrailingBytes.
  void ExpectEnd() {
    if (ok() && Remaining() != 0) Fail(ledger::Reject::kTrailingBytes);
  }

 private:
  bool Need(size_t n) {
    if (!ok()) return false;
    if (n > Remaining()) {
      Fail(ledger::Reject::kMalformed);
      return false;
    }
    return true;
  }
  template <class U>
  U Le() {
    if (!Need(sizeof(U))) return 0;
    U v = 0;
    for (size_t i = 0; i < sizeof(U); ++i) v |= static_cast<U>(static_cast<uint8_t>(in_[pos_ + i])) << (8 * i);
    pos_ += sizeof(U);
    return v;
  }

  std::string_view in_;
  size_t pos_ = 0;
  ledger::Reject error_ = ledger::Reject::kNone;
};

}  // namespace circuledger::network::detail
