#include "network/ban_list.h"

#include <algorithm>

namespace circuledger::network {

void BanList::Add(const std::string& id, Clock::time_point until) {
  auto it = until_.find(id);
  if (it != until_.end()) {
    it->second = std::max(it->second, until);
    return;
  }
  if (max_entries_ == 0) return;
  if (until_.size() >= max_entries_) {
    auto soonest = std::min_element(until_.begin(), until_.end(),
                                    [](const auto& a, const auto& b) { return a.second < b.second; });
    until_.erase(soonest);
  }
  until_.emplace(id, until);
}

bool BanList::Banned(const std::string& id, Clock::time_point now) {
  auto it = until_.find(id);
  if (it == until_.end()) return false;
  if (it->second > now) return true;
  until_.erase(it);
  return false;
}

int64_t TokenBucket::Take(uint64_t n, Clock::time_point now) {
  // At most 10 s of refill at once keeps elapsed * rate far from overflow (rates are < 2^40).
  const auto elapsed_us = std::clamp<int64_t>(
      std::chrono::duration_cast<std::chrono::microseconds>(now - last_).count(), 0, 10'000'000);
  last_ = now;
  const uint64_t refill = static_cast<uint64_t>(elapsed_us) * rate_per_s_ / 1000;  // milli-tokens
  milli_ = std::min(static_cast<int64_t>(burst_milli_), milli_ + static_cast<int64_t>(refill));
  milli_ -= static_cast<int64_t>(n * 1000);
  return milli_;
}

uint64_t TokenBucket::DeficitMs() const {
  if (milli_ >= 0 || rate_per_s_ == 0) return 0;
  // milli-tokens refill at rate_per_s per ms.
  return (static_cast<uint64_t>(-milli_) + rate_per_s_ - 1) / rate_per_s_;
}

}  // namespace circuledger::network
