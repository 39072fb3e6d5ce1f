// ledger/detail/codec.h: the two archives behind the canonical encoding (ledger/ENCODING.md).
//
// Writer and Reader wrap cereal's portable binary archives (little-endian integers) and add what
// cereal lacks for untrusted input: every length prefix is checked against its limit and against
// the bytes that remain BEFORE anything is allocated (cereal would resize to whatever it reads).
// Both expose the same methods so one Visit() function per type serves both directions; a Writer
// never modifies what it visits. Decode errors are thrown as DecodeError and turned into a Status
// by ledger/encoding.cpp; nothing else sees the exception. Not thread-safe; one per call.
#pragma once

#include <cereal/archives/portable_binary.hpp>

#include <cstring>
#include <istream>
#include <sstream>
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
  Writer() : ar_(os_) {}

  void U8(uint8_t& v) { ar_(v); }
  void U32(uint32_t& v) { ar_(v); }
  void U64(uint64_t& v) { ar_(v); }
  void I64(int64_t& v) { ar_(v); }
  template <class E>
  void Enum(E& e, uint8_t /*max*/) {
    uint8_t v = static_cast<uint8_t>(e);
    ar_(v);
  }
  template <size_t N>
  void Fixed(FixedBytes<N>& f) { ar_(cereal::binary_data(f.bytes.data(), N)); }
  void Str(std::string& s, size_t /*max*/) {
    uint32_t n = static_cast<uint32_t>(s.size());
    ar_(n);
    if (n) ar_(cereal::binary_data(s.data(), n));
  }
  // each(T&) visits one element; min_elem_bytes is the smallest encoding of one element.
  template <class T, class F>
  void Vec(std::vector<T>& v, size_t /*max*/, size_t /*min_elem_bytes*/, F&& each) {
    uint32_t n = static_cast<uint32_t>(v.size());
    ar_(n);
    for (T& x : v) each(x);
  }
  // Bytes already in canonical form (a part encoded earlier), written as they are.
  void Raw(std::string_view bytes) {
    if (!bytes.empty()) ar_(cereal::binary_data(const_cast<char*>(bytes.data()), bytes.size()));
  }
  std::string Finish() { return std::move(os_).str(); }

 private:
  std::ostringstream os_;
  cereal::PortableBinaryOutputArchive ar_;
};

// A read-only streambuf over caller-owned bytes.
class SpanBuf : public std::streambuf {
 public:
  explicit SpanBuf(std::string_view bytes) {
    char* p = const_cast<char*>(bytes.data());  // never written: this buffer only reads
    setg(p, p, p + bytes.size());
  }
  size_t Remaining() const { return static_cast<size_t>(egptr() - gptr()); }
};

class Reader {
 public:
  static constexpr bool kReading = true;
  explicit Reader(std::string_view bytes)
      : header_checked_(CheckHeader(bytes)), buf_(bytes), is_(&buf_), ar_(is_) {}

  size_t Remaining() const { return buf_.Remaining(); }
  void U8(uint8_t& v) { Need(1); ar_(v); }
  void U32(uint32_t& v) { Need(4); ar_(v); }
  void U64(uint64_t& v) { Need(8); ar_(v); }
  void I64(int64_t& v) { Need(8); ar_(v); }
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
    ar_(cereal::binary_data(f.bytes.data(), N));
  }
  void Str(std::string& s, size_t max) {
    const uint32_t n = Length(max, 1);
    s.resize(n);
    if (n) ar_(cereal::binary_data(s.data(), n));
  }
  template <class T, class F>
  void Vec(std::vector<T>& v, size_t max, size_t min_elem_bytes, F&& each) {
    const uint32_t n = Length(max, min_elem_bytes);
    v.clear();
    v.resize(n);
    for (T& x : v) each(x);
  }

 private:
  static bool CheckHeader(std::string_view bytes) {
    // cereal reads a one-byte endianness header; only 0x01 (little endian) is canonical.
    if (bytes.empty()) throw DecodeError{Reject::kMalformed, "empty input"};
    if (bytes[0] != 1) throw DecodeError{Reject::kNonCanonical, "bad archive header"};
    return true;
  }
  void Need(size_t n) const {
    if (n > Remaining()) throw DecodeError{Reject::kMalformed, "truncated"};
  }
  // Reads a u32 count and checks it against the limit and the bytes left, before any allocation.
  uint32_t Length(size_t max, size_t min_elem_bytes) {
    uint32_t n = 0;
    U32(n);
    if (n > max) throw DecodeError{Reject::kOversized, "length over limit"};
    if (static_cast<uint64_t>(n) * min_elem_bytes > Remaining()) {
      throw DecodeError{Reject::kMalformed, "length beyond input"};
    }
    return n;
  }

  bool header_checked_ = false;
  SpanBuf buf_;
  std::istream is_;
  cereal::PortableBinaryInputArchive ar_;
};

}  // namespace circuledger::ledger::detail
