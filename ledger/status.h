// ledger/status.h: Status and Result<T>, the error values that cross module boundaries.
//
// In the style of leveldb::Status: cheap on success, a factory per kind, predicates per kind.
// A rejected transaction or block carries a Reject reason whose stable string clients match on
// (see ledger/REJECTS.md). Values are immutable after construction and safe to copy across threads.
#pragma once

#include <cassert>
#include <string>
#include <utility>
#include <variant>

#include "ledger/reject.h"

namespace circuledger::ledger {

class Status {
 public:
  enum class Code : uint8_t { kOk = 0, kRejected, kNotFound, kCorruption, kIoError, kInvalidArgument };

  Status() = default;
  static Status Ok() { return Status(); }
  // Input that breaks a validity rule: a transaction, block or encoding. `detail` is for humans.
  static Status Rejected(Reject reason, std::string detail = {}) {
    return Status(Code::kRejected, reason, std::move(detail));
  }
  static Status NotFound(std::string detail) { return Status(Code::kNotFound, Reject::kNone, std::move(detail)); }
  // Our own data on disk is damaged: never treat as invalid input; the node must stop.
  static Status Corruption(std::string detail) {
    return Status(Code::kCorruption, Reject::kNone, std::move(detail));
  }
  static Status IoError(std::string detail) { return Status(Code::kIoError, Reject::kNone, std::move(detail)); }
  // A bad argument from a local caller (config, file, command line), not from the ledger.
  static Status InvalidArgument(std::string detail) {
    return Status(Code::kInvalidArgument, Reject::kNone, std::move(detail));
  }

  bool ok() const { return code_ == Code::kOk; }
  bool IsRejected() const { return code_ == Code::kRejected; }
  bool IsNotFound() const { return code_ == Code::kNotFound; }
  bool IsCorruption() const { return code_ == Code::kCorruption; }
  bool IsIoError() const { return code_ == Code::kIoError; }
  bool IsInvalidArgument() const { return code_ == Code::kInvalidArgument; }

  Code code() const { return code_; }
  Reject reason() const { return reason_; }
  const std::string& detail() const { return detail_; }
  // The stable reject string ("bad-nonce", "rule-violated:<id>", ...); empty unless rejected.
  std::string RejectString() const;
  // Whether the sender of the rejected input is at fault (it can be penalised for it).
  bool SenderAtFault() const { return IsRejected() && RejectInfoOf(reason_).sender_fault; }
  // Human-readable one-liner for logs and error messages.
  std::string ToString() const;

 private:
  Status(Code code, Reject reason, std::string detail)
      : code_(code), reason_(reason), detail_(std::move(detail)) {}

  Code code_ = Code::kOk;
  Reject reason_ = Reject::kNone;
  std::string detail_;
};

// Either a value or a non-ok status. Generic over the status type so the wallet's Status (whose
// kinds map to CLI exit codes) shares this template: Result<T> below is the ledger's.
template <class T, class S>
class ResultOf {
 public:
  ResultOf(T value) : v_(std::move(value)) {}  // NOLINT: implicit by design
  ResultOf(S status) : v_(std::move(status)) { assert(!std::get<S>(v_).ok()); }  // NOLINT

  bool ok() const { return std::holds_alternative<T>(v_); }
  const S& status() const {
    static const S kOk;
    return ok() ? kOk : std::get<S>(v_);
  }
  T& value() & { assert(ok()); return std::get<T>(v_); }
  const T& value() const& { assert(ok()); return std::get<T>(v_); }
  T&& value() && { assert(ok()); return std::get<T>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  std::variant<T, S> v_;
};

template <class T>
using Result = ResultOf<T, Status>;

}  // namespace circuledger::ledger
