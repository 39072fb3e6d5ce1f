// wallet/detail/private_file.h: the one way the wallet writes its private files (keys, genesis
// pins): a new 0600 temporary file beside the target, every byte written and fsynced, before the
// caller links or renames it into place. Stateless; thread-safe.
#pragma once

#include <filesystem>
#include <string>

#include "wallet/status.h"

namespace circuledger::wallet::detail {

// Creates `.<name>.tmp-<random hex>` beside `path` (O_EXCL, O_NOFOLLOW, mode 0600), writes
// `content` and fsyncs it. Returns the temporary path; KeystoreIo (naming the temporary file and
// errno) when it cannot be created or written, in which case nothing is left behind.
Result<std::filesystem::path> WriteTempPrivateFile(const std::filesystem::path& path, const std::string& content);

// fsyncs the directory holding `path`, so that a link or rename into it survives a crash.
// KeystoreIo when the directory cannot be opened or synced.
Status SyncParentDir(const std::filesystem::path& path);

}  // namespace circuledger::wallet::detail
