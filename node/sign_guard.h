// node/sign_guard.h: never sign twice — a validator's durable record of the last (height, round,
// step) it signed, kept beside the consensus WAL (file `<wal_file>.last-signed`).
//
// The WAL (node/wal.h) is what lets a restarted validator re-send, instead of re-sign, what it
// signed before a crash. If the WAL is lost, the validator would start its height again at round
// 0 and could sign a second, different vote or proposal for a step it signed already
// (equivocation). The guard closes that hole: before every signature the state machine asks
// Reserve(slot) (consensus::Signer::Reserve), which refuses any slot at or below the recorded one
// and makes a higher one durable before the signature exists. Slots are ordered by (height,
// round, step) with propose < prevote < precommit: Tendermint signs at most once per slot and in
// that order, so the rule never refuses a legitimate signature.
// At start the driver raises the record to what the WAL shows signed (a node upgraded from a
// version without the guard), and OpenSignGuard refuses to run when the record says this key
// signed but the WAL file is missing, unless the operator passed --allow-missing-wal after
// checking that no other process signs with this key.
//
// File: two 32-byte slots, written alternately (A/B), each
//   "CLSG" | version u8 (1) | step u8 | 0 u16 | sequence u64 LE | height u64 LE | round u32 LE |
//   crc32c u32 LE of the 28 bytes before it.
// The valid slot with the higher sequence is the record. An update overwrites the older slot and
// fdatasyncs, so a torn write leaves the previous record intact; the file itself is created
// through a temporary file, fsync, rename and a directory fsync. Both slots damaged is
// Corruption (the node refuses to start; the message says what to do).
// Thread-safe (one mutex); used by the consensus driver thread.
#pragma once

#include <compare>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "consensus/messages.h"
#include "ledger/status.h"
#include "node/log.h"

namespace circuledger::node {

struct SignSlot {
  uint64_t height = 0;
  uint32_t round = 0;
  consensus::Step step = consensus::Step::kPropose;
  auto operator<=>(const SignSlot&) const = default;
};
std::string SlotText(const SignSlot& slot);  // "height 7 round 2 precommit"

constexpr size_t kSignGuardSlotBytes = 32;

// The path of the record for a WAL path.
std::string SignGuardPath(const std::string& wal_path);

class SignGuard {
 public:
  // Reads the record at `path`; a missing file means nothing was signed. Corruption when both
  // slots are damaged (or the file has the wrong size), IoError when it cannot be read.
  static ledger::Result<std::unique_ptr<SignGuard>> Open(const std::string& path);
  ~SignGuard();
  SignGuard(const SignGuard&) = delete;
  SignGuard& operator=(const SignGuard&) = delete;

  // The last slot signed, if any.
  std::optional<SignSlot> last() const;
  // True when `slot` is above the record and is now durably the record: the caller may sign it.
  // False, writing nothing, when it is at or below the record; false also when the write fails
  // (then failure() says why, and every later Reserve is refused: the node must stop signing).
  bool Reserve(const SignSlot& slot);
  // Raises the record to `slot` if it is higher (what the WAL shows signed). IoError on failure.
  ledger::Status Raise(const SignSlot& slot);
  // Ok, or the write failure that stopped signing.
  ledger::Status failure() const;
  const std::string& path() const { return path_; }

 private:
  explicit SignGuard(std::string path) : path_(std::move(path)) {}
  ledger::Status WriteLocked(const SignSlot& slot);  // under mu_

  const std::string path_;
  mutable std::mutex mu_;
  int fd_ = -1;                    // open once the file exists; guarded by mu_
  std::optional<SignSlot> last_;   // guarded by mu_
  uint64_t sequence_ = 0;          // of the newest slot on disk; guarded by mu_
  ledger::Status failure_;         // guarded by mu_
};

// Opens the guard beside `wal_path` and applies the start rule: Corruption naming both files when
// the record says this validator signed but the WAL file is missing, unless `allow_missing_wal`.
// Call before the WAL is opened (opening creates it).
ledger::Result<std::unique_ptr<SignGuard>> OpenSignGuard(const std::string& wal_path, bool allow_missing_wal);

// The highest slot among `messages` signed by `key` (the WAL's own proposals and votes).
std::optional<SignSlot> LastOwnSlot(const std::vector<consensus::Message>& messages, const ledger::PubKey& key);

// A consensus::Signer whose every signature is first reserved in a SignGuard; a refusal is
// logged (a warning naming the slot and the record). Borrows the guard and the logger (which
// must outlive it); thread-safe as they are.
class GuardedSigner final : public consensus::Signer {
 public:
  GuardedSigner(ledger::SecretKey key, SignGuard& guard, Logger& log)
      : signer_(std::move(key)), guard_(guard), log_(log) {}
  const ledger::PubKey& Key() const override { return signer_.Key(); }
  ledger::Signature Sign(const ledger::Hash256& msg) const override { return signer_.Sign(msg); }
  bool Reserve(uint64_t height, uint32_t round, consensus::Step step) const override;

 private:
  consensus::KeySigner signer_;
  SignGuard& guard_;
  Logger& log_;
};

}  // namespace circuledger::node
