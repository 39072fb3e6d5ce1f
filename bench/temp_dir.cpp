#include "bench/temp_dir.h"

#include <filesystem>
#include <random>

namespace circuledger::bench {

namespace fs = std::filesystem;

TempDir::TempDir(std::string_view prefix) {
  std::random_device rd;
  for (;;) {
    const fs::path p = fs::temp_directory_path() /
                       (std::string(prefix) + "-" + std::to_string(rd()) + std::to_string(rd()));
    if (fs::create_directory(p)) {  // false: the name exists already, draw another
      path_ = p.string();
      return;
    }
  }
}

TempDir::~TempDir() {
  std::error_code ec;
  fs::remove_all(path_, ec);  // best effort: a benchmark must not fail on cleanup
}

}  // namespace circuledger::bench
