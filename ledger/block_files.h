// ledger/block_files.h: the bytes of committed blocks, in append-only segment files beside the
// Store's LevelDB (DESIGN.md section 8).
//
// A block is written once and never changed, so it does not belong in an LSM tree: there it was
// 40% of every block's batch, copied through LevelDB's log, memtable and compactions, and
// compactions were the largest cost of a node whose database had grown. Here its bytes are
// appended to `<dir>/blocks/<segment>.blk` (a new segment once one would pass `segment_bytes`)
// and fdatasynced; then the Store commits its location (segment, offset, length, CRC-32C) in the
// block's LevelDB batch, with its state changes and indexes. That batch is still the commit point:
// bytes written by a commit that did not complete are not referenced, are overwritten by the next
// append and cut off by Recover on the next open. Read checks the CRC.
//
// Owned by its Store. Append, Committed and Recover run under the Store's commit lock; Read may
// run on any thread at the same time (it reads committed bytes only, with its own descriptor).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "ledger/status.h"

namespace circuledger::ledger {

struct BlockLocation {
  uint32_t segment = 0;
  uint64_t offset = 0;
  uint32_t length = 0;
  uint32_t crc = 0;  // Crc32c of the bytes
  uint64_t end() const { return offset + length; }
  bool operator==(const BlockLocation&) const = default;
};

// 20 bytes, big-endian: segment u32, offset u64, length u32, crc u32.
std::string EncodeBlockLocation(const BlockLocation& loc);
// nullopt unless exactly 20 bytes.
std::optional<BlockLocation> DecodeBlockLocation(std::string_view raw);

class BlockFiles {
 public:
  static constexpr uint64_t kDefaultSegmentBytes = uint64_t{128} << 20;

  // Creates `dir` when missing. Call Recover before the first Append.
  static Result<std::unique_ptr<BlockFiles>> Open(const std::string& dir,
                                                  uint64_t segment_bytes = kDefaultSegmentBytes);
  ~BlockFiles();
  BlockFiles(const BlockFiles&) = delete;
  BlockFiles& operator=(const BlockFiles&) = delete;

  // Makes `last` (the tip's block; nullopt when there is none) the end of the files: cuts off what
  // follows it and removes later segments. Corruption when a segment is shorter than `last` says.
  Status Recover(const std::optional<BlockLocation>& last);
  // Writes `bytes` after the last committed block and, with `sync`, fdatasyncs them. Until
  // Committed(location) the next Append writes at the same place.
  Result<BlockLocation> Append(std::string_view bytes, bool sync);
  // The block at `loc` is committed: the next Append goes after it.
  void Committed(const BlockLocation& loc);
  // The bytes at `loc`: Corruption when they are missing or fail the CRC, IoError when unreadable.
  Result<std::string> Read(const BlockLocation& loc) const;

  std::string SegmentPath(uint32_t segment) const;

 private:
  BlockFiles(std::string dir, uint64_t segment_bytes) : dir_(std::move(dir)), segment_bytes_(segment_bytes) {}
  Status OpenForWrite(uint32_t segment, bool sync);
  void CloseWrite();

  const std::string dir_;
  const uint64_t segment_bytes_;
  uint32_t end_segment_ = 0;  // where the next block goes: after the last committed one
  uint64_t end_offset_ = 0;
  int write_fd_ = -1;  // of write_segment_
  uint32_t write_segment_ = 0;
};

}  // namespace circuledger::ledger
