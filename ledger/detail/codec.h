// ledger/detail/codec.h: the two archives behind the canonical encoding (ledger/ENCODING.md).
//
// Writer and Reader produce and accept exactly the bytes of cereal's portable binary archives
// with their default options on a little-endian host (a 0x01 header byte, little-endian integers,
// raw bytes), without going through std::iostream: cereal's archives need a stream, and building
// streams and calling through them cost more than the encoding itself on the validation hot path.
// tests/ledger/codec_test.cpp checks the bytes against cereal's own archives; the golden vectors
// freeze them. The Reader adds what cereal lacks for untrusted input: every length prefix is
// checked against its limit and against the bytes that remain BEFORE anything is allocated.
// Both expose the same methods so one Visit() function per type serves both directions; a Writer
// never modifies what it visits. Decode errors are thrown as DecodeError and turned into a Status
// by ledger/encoding.cpp; nothing else sees the exception. Not thread-safe; one per call.
#pragma once

// Only for cereal::Exception, which decoders still catch; the archives themselves are not used.
#include <cereal/details/helpers.hpp>

#include <cassert>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "ledger/reject.h"
#include "ledger/types.h"

namespace circuledger::ledger::detail {

struct DecodeError {
  Reject reason = Reject::kMalformed;
  const char* what = "";
};

class Writer {
 public:
  static constexpr bool kReading = false;
  // `reserve_bytes`: capacity to start with (an estimate of the encoding's size).
  explicit Writer(size_t reserve_bytes = 128) : out_(own_) {
    out_.reserve(reserve_bytes);
    out_.push_back('\x01');  // cereal's header: little endian
  }
  // Writes into `scratch` (cleared first; its capacity is reused): a thread's long-lived buffer
  // saves the reallocations of growing a fresh string for every small encoding.
  explicit Writer(std::string& scratch) : out_(scratch) {
    out_.clear();
    out_.push_back('\x01');
  }
  Writer(const Writer&) = delete;
  Writer& operator=(const Writer&) = delete;

  void U8(uint8_t& v) { out_.push_back(static_cast<char>(v)); }
  void U32(uint32_t& v) { Le(v); }
  void U64(uint64_t& v) { Le(v); }
  void I64(int64_t& v) { Le(static_cast<uint64_t>(v)); }
  template <class E>
  void Enum(E& e, uint8_t /*max*/) {
    uint8_t v = static_cast<uint8_t>(e);
    U8(v);
  }
  template <size_t N>
  void Fixed(FixedBytes<N>& f) { Bytes(f.bytes.data(), N); }
  void Str(std::string& s, size_t /*max*/) {
    Le(static_cast<uint32_t>(s.size()));
    Bytes(s.data(), s.size());
  }
  // each(T&) visits one element; min_elem_bytes is the smallest encoding of one element.
  template <class T, class F>
  void Vec(std::vector<T>& v, size_t /*max*/, size_t /*min_elem_bytes*/, F&& each) {
    Le(static_cast<uint32_t>(v.size()));
    for (T& x : v) each(x);
  }
  // Bytes already in canonical form (a part encoded earlier), written as they are.
  void Raw(std::string_view bytes) { out_.append(bytes); }
  // The encoding, moved out of the Writer's own string. A Writer on a scratch buffer is read
  // through View() instead (the scratch stays the caller's).
  std::string Finish() {
    assert(&out_ == &own_);
    return std::move(own_);
  }
  std::string_view View() const { return out_; }

 private:
  template <class U>
  void Le(U v) {
    char b[sizeof(U)];
    for (size_t i = 0; i < sizeof(U); ++i) b[i] = static_cast<char>((v >> (8 * i)) & 0xff);
    out_.append(b, sizeof(U));
  }
  void Bytes(const void* p, size_t n) { out_.append(static_cast<const char*>(p), n); }

  std::string own_;
  std::string& out_;
};

// Walks a value the way Writer does, without writing, and checks it against the limits Reader
// enforces: every list and string within the limit its Visit names, and the encoding's size. What
// passes here decodes (the fields Reader checks beyond lengths, enums and flags, are the ledger's
// own). Validation uses it on every state object a transaction writes, so nothing is stored that
// cannot be read back. Not thread-safe; one per call.
class Bounds {
 public:
  static constexpr bool kReading = false;

  void U8(uint8_t&) { bytes_ += 1; }
  void U32(uint32_t&) { bytes_ += 4; }
  void U64(uint64_t&) { bytes_ += 8; }
  void I64(int64_t&) { bytes_ += 8; }
  template <class E>
  void Enum(E&, uint8_t /*max*/) { bytes_ += 1; }
  template <size_t N>
  void Fixed(FixedBytes<N>&) { bytes_ += N; }
  void Str(std::string& s, size_t max) {
    if (s.size() > max) over_limit_ = true;
    bytes_ += 4 + s.size();
  }
  template <class T, class F>
  void Vec(std::vector<T>& v, size_t max, size_t /*min_elem_bytes*/, F&& each) {
    if (v.size() > max) over_limit_ = true;
    bytes_ += 4;
    for (T& x : v) each(x);
  }
  void Raw(std::string_view bytes) { bytes_ += bytes.size(); }

  // The size of the encoding, with its one-byte archive header.
  size_t bytes() const { return bytes_; }
  // True when a list or string is longer than Reader accepts.
  bool over_limit() const { return over_limit_; }

 private:
  size_t bytes_ = 1;  // the archive header
  bool over_limit_ = false;
};

class Reader {
 public:
  static constexpr bool kReading = true;
  explicit Reader(std::string_view bytes) : p_(bytes.data()), end_(bytes.data() + bytes.size()) {
    // cereal reads a one-byte endianness header; only 0x01 (little endian) is canonical.
    if (bytes.empty()) throw DecodeError{Reject::kMalformed, "empty input"};
    if (bytes[0] != 1) throw DecodeError{Reject::kNonCanonical, "bad archive header"};
    ++p_;
  }

  size_t Remaining() const { return static_cast<size_t>(end_ - p_); }
  void U8(uint8_t& v) {
    Need(1);
    v = static_cast<uint8_t>(*p_++);
  }
  void U32(uint32_t& v) { v = Le<uint32_t>(); }
  void U64(uint64_t& v) { v = Le<uint64_t>(); }
  void I64(int64_t& v) { v = static_cast<int64_t>(Le<uint64_t>()); }
  template <class E>
  void Enum(E& e, uint8_t max) {
    uint8_t v = 0;
    U8(v);
    if (v > max) throw DecodeError{Reject::kMalformed, "enum value out of range"};
    e = static_cast<E>(v);
  }
  template <size_t N>
  void Fixed(FixedBytes<N>& f) {
    Need(N);
    std::memcpy(f.bytes.data(), p_, N);
    p_ += N;
  }
  void Str(std::string& s, size_t max) {
    const uint32_t n = Length(max, 1);
    s.assign(p_, n);
    p_ += n;
  }
  template <class T, class F>
  void Vec(std::vector<T>& v, size_t max, size_t min_elem_bytes, F&& each) {
    const uint32_t n = Length(max, min_elem_bytes);
    v.clear();
    v.resize(n);
    for (T& x : v) each(x);
  }

 private:
  void Need(size_t n) const {
    if (n > Remaining()) throw DecodeError{Reject::kMalformed, "truncated"};
  }
  template <class U>
  U Le() {
    Need(sizeof(U));
    U v = 0;
    for (size_t i = 0; i < sizeof(U); ++i) v |= static_cast<U>(static_cast<uint8_t>(p_[i])) << (8 * i);
    p_ += sizeof(U);
    return v;
  }
  // Reads a u32 count and checks it against the limit and the bytes left, before any allocation.
  uint32_t Length(size_t max, size_t min_elem_bytes) {
    const uint32_t n = Le<uint32_t>();
    if (n > max) throw DecodeError{Reject::kOversized, "length over limit"};
    if (static_cast<uint64_t>(n) * min_elem_bytes > Remaining()) {
      throw DecodeError{Reject::kMalformed, "length beyond input"};
    }
    return n;
  }

  const char* p_ = nullptr;
  const char* end_ = nullptr;
};

}  // namespace circuledger::ledger::detail
