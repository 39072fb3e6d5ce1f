// network/detail/accept_backoff.h: how a listener waits after an accept that failed for lack of
// resources (EMFILE, ENFILE, ENOBUFS, ENOMEM), shared by the P2pNode and the HTTP server.
//
// Retrying such an accept at once fails again at once: a listener out of descriptors would spin a
// core while nothing frees one. AcceptBackoff pauses it for limits::kAcceptBackoffMinMs, doubling
// to kAcceptBackoffMaxMs while the failures go on; a successful accept resets it. Plain value,
// used by one listener's handler; not synchronized.
#pragma once

#include <algorithm>
#include <boost/system/error_code.hpp>
#include <cerrno>
#include <cstdint>

#include "network/limits.h"

namespace circuledger::network::detail {

inline bool IsResourceError(const boost::system::error_code& ec) {
  if (ec.category() != boost::system::system_category()) return false;
  const int v = ec.value();
  return v == EMFILE || v == ENFILE || v == ENOBUFS || v == ENOMEM;
}

class AcceptBackoff {
 public:
  // The pause before the next accept after one more resource failure.
  uint32_t NextMs() {
    ms_ = ms_ == 0 ? limits::kAcceptBackoffMinMs : std::min(limits::kAcceptBackoffMaxMs, ms_ * 2);
    return ms_;
  }
  void Reset() { ms_ = 0; }

 private:
  uint32_t ms_ = 0;
};

}  // namespace circuledger::network::detail
