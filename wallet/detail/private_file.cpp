#include "wallet/detail/private_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>

#include "ledger/crypto.h"

namespace circuledger::wallet::detail {

namespace fs = std::filesystem;

Result<fs::path> WriteTempPrivateFile(const fs::path& path, const std::string& content) {
  std::string suffix(8, '\0');
  ledger::RandomBytes(reinterpret_cast<uint8_t*>(suffix.data()), suffix.size());
  const fs::path tmp = path.parent_path() / ("." + path.filename().string() + ".tmp-" + ledger::HexEncode(suffix));
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) return Status::KeystoreIo("cannot create " + tmp.string() + ": " + std::strerror(errno));
  size_t done = 0;
  bool ok = true;
  while (ok && done < content.size()) {
    const ssize_t n = ::write(fd, content.data() + done, content.size() - done);
    if (n < 0 && errno == EINTR) continue;
    ok = n > 0;
    if (ok) done += static_cast<size_t>(n);
  }
  ok = ok && ::fsync(fd) == 0;
  const int write_errno = errno;
  ::close(fd);
  if (!ok) {
    ::unlink(tmp.c_str());
    return Status::KeystoreIo("cannot write " + tmp.string() + ": " + std::strerror(write_errno));
  }
  return tmp;
}

Status SyncParentDir(const fs::path& path) {
  const int dfd = ::open(path.parent_path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0) return Status::KeystoreIo("cannot open " + path.parent_path().string() + ": " + std::strerror(errno));
  const bool synced = ::fsync(dfd) == 0;
  const int sync_errno = errno;
  ::close(dfd);
  if (!synced) return Status::KeystoreIo("cannot sync " + path.parent_path().string() + ": " + std::strerror(sync_errno));
  return Status::Ok();
}

}  // namespace circuledger::wallet::detail
