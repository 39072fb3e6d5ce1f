// wallet/status.h: Status and Result<T> of the wallet library (the embeddable client).
//
// The wallet's failures are not the ledger's: a node may be unreachable, a password wrong, a
// wait time out. Each kind has a factory and a predicate, in the style of leveldb::Status, so the
// CLI maps kinds to exit codes and an embedding program branches on them without parsing text.
// A ledger reject keeps its stable reject string (ledger/REJECTS.md) in reject(). Values are
// immutable after construction and safe to copy across threads.
#pragma once

#include <cassert>
#include <cstdint>
#include <string>
#include <utility>
#include <variant>

#include "ledger/status.h"

namespace circuledger::wallet {

class Status {
 public:
  enum class Code : uint8_t {
    kOk = 0,
    kInvalidArgument,  // bad input from the local caller: an amount, a spec, an id, an option
    kRejected,         // the ledger refused the transaction: reject() holds its reject string
    kUnavailable,      // the node cannot be reached, or answered something unexpected
    kNoKey,            // keystore: no key of that name
    kWrongPassword,    // keystore: authentication of the key file failed (wrong password or
                       // tampering)
    kCorruptKey,       // keystore: the key file cannot be parsed or is inconsistent
    kKeyExists,        // keystore: a key of that name already exists
    kKeystoreIo,       // keystore: a file or directory cannot be read or written
    kTimeout,          // waiting for a commit took too long (the transaction may still commit)
    kNotFound,         // the node does not know the object asked for
    kWrongChain,       // the node presents another chain (genesis hash) than the one expected
                       // (pinned for its URL): nothing was signed
  };

  Status() = default;
  static Status Ok() { return Status(); }
  static Status InvalidArgument(std::string msg) {
    return Status(Code::kInvalidArgument, std::move(msg));
  }
  // `reject` is the ledger's reject string ("lot-already-consumed"), `msg` its detail.
  static Status Rejected(std::string reject, std::string msg) {
    Status s(Code::kRejected, std::move(msg));
    s.reject_ = std::move(reject);
    return s;
  }
  static Status Unavailable(std::string msg) { return Status(Code::kUnavailable, std::move(msg)); }
  static Status NoKey(std::string msg) { return Status(Code::kNoKey, std::move(msg)); }
  static Status WrongPassword(std::string msg) {
    return Status(Code::kWrongPassword, std::move(msg));
  }
  static Status CorruptKey(std::string msg) { return Status(Code::kCorruptKey, std::move(msg)); }
  static Status KeyExists(std::string msg) { return Status(Code::kKeyExists, std::move(msg)); }
  static Status KeystoreIo(std::string msg) { return Status(Code::kKeystoreIo, std::move(msg)); }
  static Status Timeout(std::string msg) { return Status(Code::kTimeout, std::move(msg)); }
  static Status NotFound(std::string msg) { return Status(Code::kNotFound, std::move(msg)); }
  static Status WrongChain(std::string msg) { return Status(Code::kWrongChain, std::move(msg)); }

  bool ok() const { return code_ == Code::kOk; }
  bool IsInvalidArgument() const { return code_ == Code::kInvalidArgument; }
  bool IsRejected() const { return code_ == Code::kRejected; }
  bool IsUnavailable() const { return code_ == Code::kUnavailable; }
  bool IsNoKey() const { return code_ == Code::kNoKey; }
  bool IsWrongPassword() const { return code_ == Code::kWrongPassword; }
  bool IsCorruptKey() const { return code_ == Code::kCorruptKey; }
  bool IsKeyExists() const { return code_ == Code::kKeyExists; }
  // Any keystore failure.
  bool IsKeystore() const {
    return code_ == Code::kNoKey || code_ == Code::kWrongPassword || code_ == Code::kCorruptKey ||
           code_ == Code::kKeyExists || code_ == Code::kKeystoreIo;
  }
  bool IsTimeout() const { return code_ == Code::kTimeout; }
  bool IsNotFound() const { return code_ == Code::kNotFound; }
  bool IsWrongChain() const { return code_ == Code::kWrongChain; }

  Code code() const { return code_; }
  // The human message (for a reject: the ledger's detail).
  const std::string& message() const { return message_; }
  // The ledger's stable reject string; empty unless IsRejected().
  const std::string& reject() const { return reject_; }
  // One line for people: the message, or "rejected: <reject> (<detail>)" for a reject.
  std::string ToString() const {
    if (!IsRejected()) return message_;
    if (message_.empty() || message_ == reject_) return "rejected: " + reject_;
    return "rejected: " + reject_ + " (" + message_ + ")";
  }

 private:
  Status(Code code, std::string msg) : code_(code), message_(std::move(msg)) {}

  Code code_ = Code::kOk;
  std::string message_;
  std::string reject_;
};

// Either a value or a non-ok wallet Status (the ledger's template, with this Status).
template <class T>
using Result = ledger::ResultOf<T, Status>;

}  // namespace circuledger::wallet
