// bench/temp_dir.h: a fresh directory under the system temporary directory, removed (with all it
// holds) when the TempDir is destroyed. Owns the directory; not synchronized.
#pragma once

#include <string>
#include <string_view>

namespace circuledger::bench {

class TempDir {
 public:
  // Creates "<tmp>/<prefix>-<random>". Throws std::filesystem::filesystem_error when it cannot.
  explicit TempDir(std::string_view prefix);
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace circuledger::bench
