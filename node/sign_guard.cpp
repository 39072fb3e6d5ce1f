#include "node/sign_guard.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "ledger/crypto.h"
#include "node/wal.h"

namespace circuledger::node {

using ledger::Status;

namespace {

constexpr char kMagic[4] = {'C', 'L', 'S', 'G'};
constexpr uint8_t kVersion = 1;
constexpr size_t kCrcOffset = kSignGuardSlotBytes - 4;

void Put(char* p, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) p[i] = static_cast<char>((v >> (8 * i)) & 0xff);
}
uint64_t Get(const char* p, int bytes) {
  uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v |= static_cast<uint64_t>(static_cast<uint8_t>(p[i])) << (8 * i);
  return v;
}

std::string Errno(const std::string& what, const std::string& path) {
  return what + " " + path + ": " + std::strerror(errno);
}

std::string EncodeSlot(const SignSlot& slot, uint64_t sequence) {
  std::string b(kSignGuardSlotBytes, '\0');
  std::memcpy(b.data(), kMagic, 4);
  b[4] = static_cast<char>(kVersion);
  b[5] = static_cast<char>(slot.step);
  Put(b.data() + 8, sequence, 8);
  Put(b.data() + 16, slot.height, 8);
  Put(b.data() + 24, slot.round, 4);
  Put(b.data() + kCrcOffset, ledger::Crc32c(std::string_view(b.data(), kCrcOffset)), 4);
  return b;
}

struct Decoded {
  SignSlot slot;
  uint64_t sequence = 0;
};

std::optional<Decoded> DecodeSlot(std::string_view b) {
  if (b.size() != kSignGuardSlotBytes || std::memcmp(b.data(), kMagic, 4) != 0) return std::nullopt;
  if (Get(b.data() + kCrcOffset, 4) != ledger::Crc32c(b.substr(0, kCrcOffset))) return std::nullopt;
  const uint8_t step = static_cast<uint8_t>(b[5]);
  if (static_cast<uint8_t>(b[4]) != kVersion || step > static_cast<uint8_t>(consensus::Step::kPrecommit)) {
    return std::nullopt;
  }
  Decoded d;
  d.slot.step = static_cast<consensus::Step>(step);
  d.sequence = Get(b.data() + 8, 8);
  d.slot.height = Get(b.data() + 16, 8);
  d.slot.round = static_cast<uint32_t>(Get(b.data() + 24, 4));
  return d;
}

Status PWriteAll(int fd, const std::string& bytes, off_t offset, const std::string& path) {
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::pwrite(fd, bytes.data() + done, bytes.size() - done, offset + static_cast<off_t>(done));
    if (n < 0) {
      if (errno == EINTR) continue;
      return Status::IoError(Errno("write", path));
    }
    done += static_cast<size_t>(n);
  }
  return Status::Ok();
}

constexpr const char* kCorruptAdvice =
    " This validator cannot tell what it signed last. If its WAL is intact, move this file away "
    "and restart (it is rebuilt from the WAL); otherwise wait until the chain is past the height "
    "it may have signed before moving it away.";

}  // namespace

std::string SlotText(const SignSlot& slot) {
  return "height " + std::to_string(slot.height) + " round " + std::to_string(slot.round) + " " +
         std::string(consensus::StepName(slot.step));
}

std::string SignGuardPath(const std::string& wal_path) { return wal_path + ".last-signed"; }

ledger::Result<std::unique_ptr<SignGuard>> SignGuard::Open(const std::string& path) {
  std::unique_ptr<SignGuard> g(new SignGuard(path));
  const int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return g;  // never signed
    return Status::IoError(Errno("open", path));
  }
  g->fd_ = fd;
  std::string bytes(2 * kSignGuardSlotBytes + 1, '\0');
  ssize_t n = 0;
  do {
    n = ::pread(fd, bytes.data(), bytes.size(), 0);
  } while (n < 0 && errno == EINTR);
  if (n < 0) return Status::IoError(Errno("read", path));
  if (static_cast<size_t>(n) != 2 * kSignGuardSlotBytes) {
    return Status::Corruption("sign record " + path + " has " + std::to_string(n) + " bytes, not " +
                              std::to_string(2 * kSignGuardSlotBytes) + "." + kCorruptAdvice);
  }
  std::optional<Decoded> best;
  for (int i = 0; i < 2; ++i) {
    std::optional<Decoded> d = DecodeSlot(std::string_view(bytes).substr(i * kSignGuardSlotBytes, kSignGuardSlotBytes));
    if (d && (!best || d->sequence > best->sequence)) best = d;
  }
  if (!best) return Status::Corruption("sign record " + path + ": both copies are damaged." + kCorruptAdvice);
  g->last_ = best->slot;
  g->sequence_ = best->sequence;
  return g;
}

SignGuard::~SignGuard() {
  if (fd_ >= 0) ::close(fd_);
}

std::optional<SignSlot> SignGuard::last() const {
  std::lock_guard<std::mutex> lock(mu_);
  return last_;
}

Status SignGuard::failure() const {
  std::lock_guard<std::mutex> lock(mu_);
  return failure_;
}

bool SignGuard::Reserve(const SignSlot& slot) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!failure_.ok() || (last_ && slot <= *last_)) return false;
  if (Status s = WriteLocked(slot); !s.ok()) {
    failure_ = s;
    return false;
  }
  return true;
}

Status SignGuard::Raise(const SignSlot& slot) {
  std::lock_guard<std::mutex> lock(mu_);
  if (last_ && slot <= *last_) return Status::Ok();
  return WriteLocked(slot);
}

Status SignGuard::WriteLocked(const SignSlot& slot) {
  const uint64_t sequence = sequence_ + 1;
  const std::string record = EncodeSlot(slot, sequence);
  if (fd_ < 0) {
    // First signature: the file appears whole (both slots) or not at all.
    const std::string tmp = path_ + ".tmp";
    const int fd = ::open(tmp.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) return Status::IoError(Errno("create", tmp));
    Status s = PWriteAll(fd, record + std::string(kSignGuardSlotBytes, '\0'), 0, tmp);
    if (s.ok() && ::fsync(fd) != 0) s = Status::IoError(Errno("fsync", tmp));
    if (s.ok() && ::rename(tmp.c_str(), path_.c_str()) != 0) s = Status::IoError(Errno("rename", tmp));
    if (s.ok()) s = SyncParentDir(path_);
    if (!s.ok()) {
      ::close(fd);
      return s;
    }
    fd_ = fd;
  } else {
    // The older copy is overwritten: a torn write leaves the newer one, the current record.
    const off_t offset = static_cast<off_t>((sequence % 2 == 1 ? 0 : 1) * kSignGuardSlotBytes);
    if (Status s = PWriteAll(fd_, record, offset, path_); !s.ok()) return s;
    if (::fdatasync(fd_) != 0) return Status::IoError(Errno("fsync", path_));
  }
  sequence_ = sequence;
  last_ = slot;
  return Status::Ok();
}

ledger::Result<std::unique_ptr<SignGuard>> OpenSignGuard(const std::string& wal_path, bool allow_missing_wal) {
  ledger::Result<std::unique_ptr<SignGuard>> guard = SignGuard::Open(SignGuardPath(wal_path));
  if (!guard.ok()) return guard.status();
  const std::optional<SignSlot> last = (*guard)->last();
  struct stat st {};
  const bool wal_missing = ::stat(wal_path.c_str(), &st) != 0 && errno == ENOENT;
  if (last && wal_missing && !allow_missing_wal) {
    return Status::Corruption(
        "consensus WAL " + wal_path + " is missing, but this validator's sign record " + SignGuardPath(wal_path) +
        " says it signed up to " + SlotText(*last) +
        ". Without the WAL it could sign a second, different message for a step it signed already. Restore the "
        "WAL; or, after checking that no other process signs with this node key, start with --allow-missing-wal: "
        "the node then refuses to sign at or below that step.");
  }
  return guard;
}

std::optional<SignSlot> LastOwnSlot(const std::vector<consensus::Message>& messages, const ledger::PubKey& key) {
  std::optional<SignSlot> out;
  for (const consensus::Message& m : messages) {
    std::optional<SignSlot> s;
    if (const auto* p = std::get_if<consensus::Proposal>(&m)) {
      if (p->proposer == key) s = SignSlot{p->height, p->round, consensus::Step::kPropose};
    } else if (const auto* v = std::get_if<consensus::Vote>(&m)) {
      if (v->validator == key) {
        s = SignSlot{v->height, v->round,
                     v->type == consensus::VoteType::kPrevote ? consensus::Step::kPrevote : consensus::Step::kPrecommit};
      }
    }
    if (s && (!out || *s > *out)) out = s;
  }
  return out;
}

bool GuardedSigner::Reserve(uint64_t height, uint32_t round, consensus::Step step) const {
  const SignSlot slot{height, round, step};
  if (guard_.Reserve(slot)) return true;
  const Status failure = guard_.failure();
  if (!failure.ok()) {
    log_.Error("not signing ", SlotText(slot), ": the sign record could not be written: ", failure.ToString());
  } else {
    const std::optional<SignSlot> last = guard_.last();
    log_.Warn("refusing to sign ", SlotText(slot), ": this validator signed up to ", last ? SlotText(*last) : "?",
              " already (", guard_.path(), ")");
  }
  return false;
}

}  // namespace circuledger::node
