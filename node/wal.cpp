#include "node/wal.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "consensus/encoding.h"

namespace circuledger::node {

using ledger::Status;

namespace {

void PutU32(std::string& out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
uint32_t GetU32(const char* p) {
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v |= static_cast<uint32_t>(static_cast<uint8_t>(p[i])) << (8 * i);
  return v;
}

std::string Errno(const std::string& what, const std::string& path) {
  return what + " " + path + ": " + std::strerror(errno);
}

Status WriteAll(int fd, std::string_view bytes, const std::string& path) {
  while (!bytes.empty()) {
    const ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return Status::IoError(Errno("write", path));
    }
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return Status::Ok();
}

Status ReadFile(int fd, const std::string& path, std::string* out) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) return Status::IoError(Errno("stat", path));
  out->resize(static_cast<size_t>(st.st_size));
  size_t done = 0;
  while (done < out->size()) {
    const ssize_t n = ::pread(fd, out->data() + done, out->size() - done, static_cast<off_t>(done));
    if (n < 0) {
      if (errno == EINTR) continue;
      return Status::IoError(Errno("read", path));
    }
    if (n == 0) break;
    done += static_cast<size_t>(n);
  }
  out->resize(done);
  return Status::Ok();
}

}  // namespace

Status SyncParentDir(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  const std::string dir = slash == std::string::npos ? "." : (slash == 0 ? "/" : path.substr(0, slash));
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return Status::IoError(Errno("open directory", dir));
  const int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) return Status::IoError(Errno("fsync directory", dir));
  return Status::Ok();
}

namespace {

constexpr const char* kRefusal =
    "Refusing to start: this validator may have signed messages it can no longer read back. "
    "Restore the file, or, knowing the risk of double-signing, move it away.";

// Whether the record at the start of `tail` (its length field pointing past the end) is a
// complete record whose length has one flipped bit: one of the 32 one-bit changes fits the bytes
// and makes the checksum hold.
bool LengthBitFlipped(std::string_view tail, uint32_t crc, uint32_t length) {
  for (int bit = 0; bit < 32; ++bit) {
    const uint32_t candidate = length ^ (uint32_t{1} << bit);
    if (candidate > tail.size() - kWalHeaderBytes) continue;
    std::string body;
    body.reserve(5 + candidate);
    PutU32(body, candidate);
    body.append(tail.substr(8, 1 + candidate));
    if (Crc32c(body) == crc) return true;
  }
  return false;
}

}  // namespace

std::string EncodeWalRecord(uint8_t type, std::string_view payload) {
  std::string body;
  body.reserve(5 + payload.size());
  PutU32(body, static_cast<uint32_t>(payload.size()));
  body.push_back(static_cast<char>(type));
  body.append(payload);
  std::string out;
  out.reserve(4 + body.size());
  PutU32(out, Crc32c(body));
  out.append(body);
  return out;
}

ledger::Result<std::unique_ptr<Wal>> Wal::Open(const std::string& path, WalReplay* replay) {
  *replay = WalReplay{};
  int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
  if (fd < 0 && errno == ENOENT) {
    // A new WAL: its directory entry is made durable before anything is appended, so that a
    // record acknowledged later cannot vanish with a directory that was never synced.
    fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd >= 0) {
      if (Status s = SyncParentDir(path); !s.ok()) {
        ::close(fd);
        return s;
      }
    }
  }
  if (fd < 0) return Status::IoError(Errno("open WAL", path));
  std::unique_ptr<Wal> wal(new Wal(path, fd, 0));
  std::string bytes;
  if (Status s = ReadFile(fd, path, &bytes); !s.ok()) return s;

  size_t pos = 0;
  while (pos < bytes.size()) {
    const size_t left = bytes.size() - pos;
    if (left < kWalHeaderBytes) break;  // a header cut off by a crash
    const uint32_t crc = GetU32(bytes.data() + pos);
    const uint32_t length = GetU32(bytes.data() + pos + 4);
    if (length > kMaxWalPayloadBytes) {
      return Status::Corruption("WAL " + path + " is corrupt at offset " + std::to_string(pos) +
                                ": record length " + std::to_string(length) +
                                " over the limit. " + kRefusal);
    }
    if (left - kWalHeaderBytes < length) {
      // A payload cut off by a crash, or a complete record with a flipped bit in its length.
      if (LengthBitFlipped(std::string_view(bytes).substr(pos), crc, length)) {
        return Status::Corruption("WAL " + path + " is corrupt at offset " + std::to_string(pos) +
                                  ": a record's length field is damaged. " + kRefusal);
      }
      break;
    }
    const std::string_view body(bytes.data() + pos + 4, 5 + length);
    if (Crc32c(body) != crc) {
      return Status::Corruption("WAL " + path + " is corrupt at offset " + std::to_string(pos) +
                                ": checksum mismatch. " + kRefusal);
    }
    replay->records.push_back(
        WalRecord{static_cast<uint8_t>(bytes[pos + 8]), std::string(body.substr(5))});
    pos += kWalHeaderBytes + length;
  }
  if (pos < bytes.size()) {
    // Never acknowledged, so never sent: cut it off so the next append starts on a boundary.
    replay->dropped_tail_bytes = bytes.size() - pos;
    if (::ftruncate(fd, static_cast<off_t>(pos)) != 0) return Status::IoError(Errno("truncate WAL", path));
    if (::fsync(fd) != 0) return Status::IoError(Errno("fsync WAL", path));
  }
  if (::lseek(fd, static_cast<off_t>(pos), SEEK_SET) < 0) return Status::IoError(Errno("seek WAL", path));
  wal->size_ = pos;
  return wal;
}

Wal::~Wal() {
  if (fd_ >= 0) ::close(fd_);
}

Status Wal::Append(const std::vector<WalRecord>& records) {
  std::string bytes;
  for (const WalRecord& r : records) {
    if (r.payload.size() > kMaxWalPayloadBytes) {
      return Status::InvalidArgument("WAL record of " + std::to_string(r.payload.size()) +
                                     " bytes is over the limit");
    }
    bytes += EncodeWalRecord(r.type, r.payload);
  }
  if (Status s = WriteAll(fd_, bytes, path_); !s.ok()) return s;
  if (::fdatasync(fd_) != 0) return Status::IoError(Errno("fsync WAL", path_));
  size_ += bytes.size();
  return Status::Ok();
}

Status Wal::Append(uint8_t type, std::string_view payload) {
  return Append(std::vector<WalRecord>{WalRecord{type, std::string(payload)}});
}

Status Wal::Reset(const std::vector<WalRecord>& keep) {
  const std::string tmp = path_ + ".tmp";
  const int fd = ::open(tmp.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return Status::IoError(Errno("create", tmp));
  std::string bytes;
  for (const WalRecord& r : keep) bytes += EncodeWalRecord(r.type, r.payload);
  Status s = WriteAll(fd, bytes, tmp);
  if (s.ok() && ::fsync(fd) != 0) s = Status::IoError(Errno("fsync", tmp));
  if (!s.ok()) {
    ::close(fd);
    return s;
  }
  if (::rename(tmp.c_str(), path_.c_str()) != 0) {
    ::close(fd);
    return Status::IoError(Errno("rename", tmp));
  }
  if (Status d = SyncParentDir(path_); !d.ok()) {
    ::close(fd);
    return d;
  }
  ::close(fd_);
  fd_ = fd;
  if (::lseek(fd_, 0, SEEK_END) < 0) return Status::IoError(Errno("seek WAL", path_));
  size_ = bytes.size();
  return Status::Ok();
}

ledger::Result<std::vector<consensus::Message>> ToConsensusMessages(const WalReplay& replay) {
  std::vector<consensus::Message> out;
  for (size_t i = 0; i < replay.records.size(); ++i) {
    const WalRecord& r = replay.records[i];
    if (r.type != kWalConsensusMessage) {
      return Status::Corruption("WAL record " + std::to_string(i) + " has unknown type " +
                                std::to_string(r.type));
    }
    auto m = consensus::DecodeMessage(r.payload);
    if (!m.ok()) {
      return Status::Corruption("WAL record " + std::to_string(i) +
                                " does not decode: " + m.status().ToString());
    }
    out.push_back(std::move(*m));
  }
  return out;
}

WalRecord ConsensusRecord(const consensus::Message& message) {
  return WalRecord{kWalConsensusMessage, consensus::EncodeMessage(message)};
}

}  // namespace circuledger::node
