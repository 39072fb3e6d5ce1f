#include "node/log.h"

#include <chrono>
#include <ctime>
#include <iomanip>

namespace circuledger::node {

Logger::Level Logger::ParseLevel(const std::string& s) {
  if (s == "debug") return Level::kDebug;
  if (s == "warn") return Level::kWarn;
  if (s == "error") return Level::kError;
  return Level::kInfo;
}

void Logger::Write(Level l, const std::string& msg) {
  static constexpr const char* kNames[] = {"debug", "info ", "warn ", "error"};
  const auto now = std::chrono::system_clock::now();
  const std::time_t t = std::chrono::system_clock::to_time_t(now);
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm tm{};
  gmtime_r(&t, &tm);
  std::lock_guard<std::mutex> lock(mu_);
  out_ << std::put_time(&tm, "%Y-%m-%dT%H:%M:%S") << '.' << std::setw(3) << std::setfill('0') << ms << "Z "
       << kNames[static_cast<int>(l)] << " " << msg << std::endl;
}

}  // namespace circuledger::node
