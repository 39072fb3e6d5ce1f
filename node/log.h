// node/log.h: a small leveled logger for operators: one line per event,
// "2026-11-22T10:00:00.123Z info  committed block 12 (5 txs, 3 ms)". Thread-safe; writes to
// stderr (or a stream given by the owner).
#pragma once

#include <iostream>
#include <mutex>
#include <sstream>
#include <string>

namespace circuledger::node {

class Logger {
 public:
  enum class Level { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };
  explicit Logger(std::ostream& out = std::cerr, Level level = Level::kInfo) : out_(out), level_(level) {}
  void SetLevel(Level l) { level_ = l; }
  static Level ParseLevel(const std::string& s);

  template <class... Args>
  void Log(Level l, const Args&... args) {
    if (l < level_) return;
    std::ostringstream line;
    (line << ... << args);
    Write(l, line.str());
  }
  template <class... Args> void Debug(const Args&... a) { Log(Level::kDebug, a...); }
  template <class... Args> void Info(const Args&... a) { Log(Level::kInfo, a...); }
  template <class... Args> void Warn(const Args&... a) { Log(Level::kWarn, a...); }
  template <class... Args> void Error(const Args&... a) { Log(Level::kError, a...); }

 private:
  void Write(Level l, const std::string& msg);
  std::mutex mu_;
  std::ostream& out_;
  Level level_ = Level::kInfo;
};

}  // namespace circuledger::node
