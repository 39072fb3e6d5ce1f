// node/wal.h: the consensus write-ahead log (CometBFT spec/consensus/wal.md, LevelDB
// doc/log_format.md): what this validator is about to send, made durable first.
//
// File format, a sequence of records:
//   crc32c (u32 LE) | length (u32 LE) | type (u8) | payload (length bytes)
// The CRC-32C (Castagnoli) covers length, type and payload. length <= kMaxWalPayloadBytes.
//
// Append() returns only after fsync: the caller sends a message only after its record is
// durable. So a record cut off by a crash (the file ends inside it) was never sent, and Open()
// truncates it away and reports the bytes it dropped. A record whose checksum fails, or whose
// length is impossible, is corruption: Open() refuses with a clear message (a node that may have
// signed something it can no longer read must not run on). A flipped bit in a length field can
// make a complete record look cut off; before truncating, Open() tries each one-bit change of
// the length and refuses if one of them makes the checksum hold. (Corruption of several bits
// can still look like a torn write: no checksum catches everything.)
//
// One Wal per file, used by one thread (the consensus driver's height driver); not synchronized.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "consensus/limits.h"
#include "consensus/messages.h"
#include "ledger/crypto.h"
#include "ledger/status.h"

namespace circuledger::node {

constexpr size_t kWalHeaderBytes = 9;
constexpr size_t kMaxWalPayloadBytes = consensus::limits::kMaxMessageBytes;
static_assert(kMaxWalPayloadBytes < (size_t{1} << 32), "a payload length fits the u32 field");

// Record types. Values are on disk: never reuse one.
constexpr uint8_t kWalConsensusMessage = 1;  // payload: consensus::EncodeMessage

struct WalRecord {
  uint8_t type = 0;
  std::string payload;
  bool operator==(const WalRecord&) const = default;
};

struct WalReplay {
  std::vector<WalRecord> records;  // every complete, intact record, in write order
  uint64_t dropped_tail_bytes = 0;  // > 0: an incomplete last record was cut off
};

using ledger::Crc32c;  // checksum of every record (ledger/crypto.h)

// The bytes of one record (what Append writes).
std::string EncodeWalRecord(uint8_t type, std::string_view payload);

// The consensus WAL as the height driver writes it (node/height_driver.h): the seam a file-I/O
// layer (or the simulator's memory) implements. Records are consensus::EncodeMessage payloads of
// type kWalConsensusMessage; reading back at start is the implementation's business (Wal::Open).
// Append is durable when it returns Ok: one sync for all the records of the call, and the caller
// sends nothing of them before. Any error means the caller cannot know what the log holds: it
// must stop. Used by one thread.
class ConsensusWal {
 public:
  virtual ~ConsensusWal() = default;
  // Appends the records and makes them durable with one sync.
  virtual ledger::Status Append(const std::vector<WalRecord>& records) = 0;
  // Replaces the whole log with `keep`, crash-safe (the old log or the new one, never a mix).
  virtual ledger::Status Reset(const std::vector<WalRecord>& keep) = 0;
  // The log's size: the driver compacts it (Reset) beyond limits::kWalRewriteBytes.
  virtual uint64_t size_bytes() const = 0;
};

// The WAL file (the node's ConsensusWal).
class Wal final : public ConsensusWal {
 public:
  // Opens `path`, creating it if absent (and then fsyncing its directory), and replays it into
  // `replay`. A cut-off tail is
  // truncated (and fsynced) before returning. Fails with Corruption (bad checksum, impossible
  // length: the message names the file and offset) or IoError.
  static ledger::Result<std::unique_ptr<Wal>> Open(const std::string& path, WalReplay* replay);
  ~Wal() override;
  Wal(const Wal&) = delete;
  Wal& operator=(const Wal&) = delete;

  // Appends the records and fsyncs once. InvalidArgument for a payload over the limit (nothing
  // written); IoError if the write or fsync fails: the caller must stop, since it cannot know
  // what the file holds.
  ledger::Status Append(const std::vector<WalRecord>& records) override;
  ledger::Status Append(uint8_t type, std::string_view payload);
  // Replaces the whole log with `keep` (for a new height: earlier heights are committed). Crash
  // safe: a temporary file, fsync, rename over, fsync of the directory.
  ledger::Status Reset(const std::vector<WalRecord>& keep) override;

  uint64_t size_bytes() const override { return size_; }
  const std::string& path() const { return path_; }

 private:
  Wal(std::string path, int fd, uint64_t size) : path_(std::move(path)), fd_(fd), size_(size) {}

  std::string path_;
  int fd_ = -1;
  uint64_t size_ = 0;
};

// fsyncs the directory holding `path` (after creating or renaming a file in it). IoError.
ledger::Status SyncParentDir(const std::string& path);

// The consensus view of a replay: the messages the state machine's Start() takes. Corruption if
// a record has an unknown type or a payload that does not decode (its checksum held, so the file
// was written by something else).
ledger::Result<std::vector<consensus::Message>> ToConsensusMessages(const WalReplay& replay);
WalRecord ConsensusRecord(const consensus::Message& message);

}  // namespace circuledger::node
