// tests/cluster/files.h: the file chores of the cluster kit — whole-file reads and writes and
// fresh temporary directories. Plain functions; thread-safe.
#pragma once

#include <string>

namespace circuledger::cluster {

// The whole file, or "" when it cannot be read.
std::string ReadFile(const std::string& path);
// Replaces the file's content; throws std::runtime_error when it cannot be written.
void WriteFile(const std::string& path, const std::string& text);
// A new, empty directory /tmp/<prefix>-XXXXXX (mkdtemp); throws std::runtime_error on failure.
std::string MakeTempDir(const std::string& prefix);

}  // namespace circuledger::cluster
