#include "ledger/block_files.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <vector>

#include "ledger/crypto.h"
#include "ledger/detail/big_endian.h"
#include "ledger/limits.h"

namespace circuledger::ledger {

namespace {

using detail::GetBigEndian;
using detail::PutBigEndian;

Status Errno(const std::string& what) { return Status::IoError(what + ": " + std::strerror(errno)); }

// The segment number of a file name "<8 digits>.blk", or nullopt.
std::optional<uint32_t> SegmentOf(const char* name) {
  if (std::strlen(name) != 12 || std::strcmp(name + 8, ".blk") != 0) return std::nullopt;
  uint32_t n = 0;
  for (int i = 0; i < 8; ++i) {
    if (name[i] < '0' || name[i] > '9') return std::nullopt;
    n = n * 10 + static_cast<uint32_t>(name[i] - '0');
  }
  return n;
}

Status SyncDir(const std::string& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return Errno("opening " + dir);
  const int rc = ::fsync(fd);
  ::close(fd);
  return rc == 0 ? Status::Ok() : Errno("syncing " + dir);
}

}  // namespace

std::string EncodeBlockLocation(const BlockLocation& loc) {
  std::string out;
  out.reserve(20);
  PutBigEndian(out, loc.segment, 4);
  PutBigEndian(out, loc.offset, 8);
  PutBigEndian(out, loc.length, 4);
  PutBigEndian(out, loc.crc, 4);
  return out;
}

std::optional<BlockLocation> DecodeBlockLocation(std::string_view raw) {
  if (raw.size() != 20) return std::nullopt;
  BlockLocation loc;
  loc.segment = static_cast<uint32_t>(GetBigEndian(raw, 0, 4));
  loc.offset = GetBigEndian(raw, 4, 8);
  loc.length = static_cast<uint32_t>(GetBigEndian(raw, 12, 4));
  loc.crc = static_cast<uint32_t>(GetBigEndian(raw, 16, 4));
  return loc;
}

Result<std::unique_ptr<BlockFiles>> BlockFiles::Open(const std::string& dir, uint64_t segment_bytes) {
  if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) return Errno("creating " + dir);
  return std::unique_ptr<BlockFiles>(new BlockFiles(dir, segment_bytes));
}

BlockFiles::~BlockFiles() { CloseWrite(); }

std::string BlockFiles::SegmentPath(uint32_t segment) const {
  char name[16];
  std::snprintf(name, sizeof(name), "%08u.blk", segment);
  return dir_ + "/" + name;
}

void BlockFiles::CloseWrite() {
  if (write_fd_ >= 0) ::close(write_fd_);
  write_fd_ = -1;
}

Status BlockFiles::Recover(const std::optional<BlockLocation>& last) {
  CloseWrite();
  DIR* d = ::opendir(dir_.c_str());
  if (d == nullptr) return Errno("listing " + dir_);
  std::vector<uint32_t> later;
  while (const dirent* e = ::readdir(d)) {
    const std::optional<uint32_t> seg = SegmentOf(e->d_name);
    if (seg && (!last || *seg > last->segment)) later.push_back(*seg);
  }
  ::closedir(d);
  for (const uint32_t seg : later) {
    if (::unlink(SegmentPath(seg).c_str()) != 0) return Errno("removing " + SegmentPath(seg));
  }
  end_segment_ = last ? last->segment : 0;
  end_offset_ = last ? last->end() : 0;
  if (last) {
    const std::string path = SegmentPath(last->segment);
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) {
      if (errno == ENOENT) return Status::Corruption("block file " + path + " is missing");
      return Errno("reading " + path);
    }
    const uint64_t size = static_cast<uint64_t>(st.st_size);
    if (size < end_offset_) {
      return Status::Corruption("block file " + path + " has " + std::to_string(size) +
                                " bytes, the tip block ends at " + std::to_string(end_offset_));
    }
    if (size > end_offset_) {  // what an interrupted commit wrote
      const int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
      if (fd < 0) return Errno("opening " + path);
      const bool ok = ::ftruncate(fd, static_cast<off_t>(end_offset_)) == 0 && ::fsync(fd) == 0;
      ::close(fd);
      if (!ok) return Errno("truncating " + path);
    }
  }
  return later.empty() ? Status::Ok() : SyncDir(dir_);
}

Status BlockFiles::OpenForWrite(uint32_t segment, bool sync) {
  CloseWrite();
  const std::string path = SegmentPath(segment);
  write_fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  if (write_fd_ < 0) return Errno("opening " + path);
  write_segment_ = segment;
  return sync ? SyncDir(dir_) : Status::Ok();  // the new file's directory entry is durable too
}

Result<BlockLocation> BlockFiles::Append(std::string_view bytes, bool sync) {
  BlockLocation loc;
  loc.segment = end_segment_;
  loc.offset = end_offset_;
  if (loc.offset > 0 && loc.offset + bytes.size() > segment_bytes_) {
    loc.segment += 1;
    loc.offset = 0;
  }
  loc.length = static_cast<uint32_t>(bytes.size());
  loc.crc = Crc32c(bytes);
  if (write_fd_ < 0 || write_segment_ != loc.segment) {
    if (Status s = OpenForWrite(loc.segment, sync); !s.ok()) return s;
  }
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::pwrite(write_fd_, bytes.data() + done, bytes.size() - done,
                               static_cast<off_t>(loc.offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return Errno("writing " + SegmentPath(loc.segment));
    done += static_cast<size_t>(n);
  }
  if (sync && ::fdatasync(write_fd_) != 0) return Errno("syncing " + SegmentPath(loc.segment));
  return loc;
}

void BlockFiles::Committed(const BlockLocation& loc) {
  end_segment_ = loc.segment;
  end_offset_ = loc.end();
}

Result<std::string> BlockFiles::Read(const BlockLocation& loc) const {
  const std::string path = SegmentPath(loc.segment);
  if (loc.length > limits::kMaxBlockBytes) {
    return Status::Corruption("block location in " + path + " has length " + std::to_string(loc.length));
  }
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return Status::Corruption("block file " + path + " is missing");
    return Errno("opening " + path);
  }
  std::string out(loc.length, '\0');
  size_t done = 0;
  while (done < out.size()) {
    const ssize_t n = ::pread(fd, out.data() + done, out.size() - done, static_cast<off_t>(loc.offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const Status s = Errno("reading " + path);
      ::close(fd);
      return s;
    }
    if (n == 0) break;
    done += static_cast<size_t>(n);
  }
  ::close(fd);
  if (done < out.size()) {
    return Status::Corruption("block file " + path + " ends before the block at offset " + std::to_string(loc.offset));
  }
  if (Crc32c(out) != loc.crc) {
    return Status::Corruption("block at offset " + std::to_string(loc.offset) + " of " + path + " fails its CRC");
  }
  return out;
}

}  // namespace circuledger::ledger
