// network/ban_list.h: the transport's penalties: bans (by node key and IP address) and token buckets.
//
// BanList: peers banned for a while.
//
// Entries expire by themselves (checked against the caller's clock). At most `max_entries` are
// kept: beyond that the ban that ends soonest is forgotten, so a flood of addresses cannot grow
// memory. Not synchronized: the owner (P2pNode) guards it with its mutex.
#pragma once

#include <chrono>
#include <map>
#include <string>

#include "ledger/types.h"

namespace circuledger::network {

class BanList {
 public:
  using Clock = std::chrono::steady_clock;

  explicit BanList(size_t max_entries) : max_entries_(max_entries) {}

  void BanAddress(const std::string& ip, Clock::time_point until) { Add("ip:" + ip, until); }
  void BanKey(const ledger::PubKey& key, Clock::time_point until) { Add("key:" + key.ToHex(), until); }
  bool AddressBanned(const std::string& ip, Clock::time_point now) { return Banned("ip:" + ip, now); }
  bool KeyBanned(const ledger::PubKey& key, Clock::time_point now) { return Banned("key:" + key.ToHex(), now); }
  size_t size() const { return until_.size(); }

 private:
  void Add(const std::string& id, Clock::time_point until);
  bool Banned(const std::string& id, Clock::time_point now);

  size_t max_entries_ = 0;
  std::map<std::string, Clock::time_point> until_;
};

// A token bucket in integer milli-tokens: `rate_per_s` tokens a second, at most `burst` saved.
// Take() may drive it below zero; Deficit() then says how long until it is back at zero.
// Not synchronized: used by one connection on the transport's thread.
class TokenBucket {
 public:
  using Clock = std::chrono::steady_clock;

  TokenBucket(uint64_t rate_per_s, uint64_t burst, Clock::time_point now)
      : rate_per_s_(rate_per_s), burst_milli_(burst * 1000), milli_(static_cast<int64_t>(burst * 1000)), last_(now) {}

  // Refills for the time since the last call, then takes n tokens. Returns the milli-tokens left
  // (negative when over the rate).
  int64_t Take(uint64_t n, Clock::time_point now);
  // Milliseconds until the bucket is back at zero (0 when it is not negative).
  uint64_t DeficitMs() const;

 private:
  uint64_t rate_per_s_ = 0;
  uint64_t burst_milli_ = 0;
  int64_t milli_ = 0;
  Clock::time_point last_{};
};

}  // namespace circuledger::network
