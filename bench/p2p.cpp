#include "bench/p2p.h"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <set>
#include <thread>

#include "bench/flags.h"
#include "network/noise.h"
#include "network/p2p.h"

namespace circuledger::bench {

namespace {

using Clock = std::chrono::steady_clock;
using ledger::Status;

double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }
double MiB(double bytes) { return bytes / (1024.0 * 1024.0); }

network::P2pOptions Options(const std::set<ledger::PubKey>& allowed) {
  network::P2pOptions o;
  o.chain_id = "circuledger-bench-p2p";
  o.allowed = [allowed](const ledger::PubKey& k) { return allowed.count(k) != 0; };
  // The byte limiter (128 MiB/s per peer) would cap the figure: the bench measures the
  // transport, so it lifts it (the message limit stays).
  o.bytes_per_s = 64ull << 30;
  o.dial_backoff_min_ms = 10;
  return o;
}

// Raw seals of `frame_bytes` for about `seconds` on this thread: bytes per second.
double AeadBytesPerSecond(size_t frame_bytes, double seconds) {
  network::noise::Key key;
  key.bytes.fill(0x42);
  network::noise::CipherState cipher(key);
  const std::string plain(frame_bytes, 'p');
  std::string out;
  out.reserve(frame_bytes + 64);
  uint64_t sealed = 0;
  const Clock::time_point start = Clock::now();
  Clock::time_point now = start;
  while (Seconds(now - start) < seconds) {
    for (int i = 0; i < 16; ++i) {
      out.clear();
      if (!cipher.Seal({}, plain, out)) return 0;
      ++sealed;
    }
    now = Clock::now();
  }
  return static_cast<double>(sealed * frame_bytes) / Seconds(now - start);
}

}  // namespace

int RunP2p(const std::vector<std::string>& args) {
  uint64_t frame_bytes = 64 * 1024;
  uint64_t seconds = 5;
  Flags flags;
  flags.AddUint("frame-bytes", &frame_bytes, 16, network::limits::kMaxConsensusBytes, "payload bytes per frame");
  flags.AddUint("seconds", &seconds, 1, 600, "seconds of sending (and of raw sealing)");
  if (Status s = flags.Parse(args); !s.ok()) {
    std::cerr << s.ToString() << "\nusage: circuledger-bench p2p [flags]\n" << flags.Usage();
    return 2;
  }
  const ledger::SecretKey ka = ledger::SecretKey::Generate(), kb = ledger::SecretKey::Generate();
  const std::set<ledger::PubKey> allowed{ka.Public(), kb.Public()};
  std::atomic<uint64_t> received_bytes{0}, received_frames{0};
  network::P2pCallbacks on_b;
  on_b.on_message = [&](const ledger::PubKey&, network::MessageType, std::string payload) {
    received_bytes += payload.size();
    ++received_frames;
  };
  network::P2pNode a(Options(allowed), ka, network::P2pCallbacks{});
  if (Status s = a.Start(); !s.ok()) {
    std::cerr << "start: " << s.ToString() << "\n";
    return 1;
  }
  network::P2pOptions ob = Options(allowed);
  ob.listen = false;
  ob.dial = {"127.0.0.1:" + std::to_string(a.port())};
  network::P2pNode b(ob, kb, on_b);
  if (Status s = b.Start(); !s.ok()) {
    std::cerr << "start: " << s.ToString() << "\n";
    return 1;
  }
  const Clock::time_point connect_deadline = Clock::now() + std::chrono::seconds(10);
  while (a.Peers().empty() || b.Peers().empty()) {
    if (Clock::now() > connect_deadline) {
      std::cerr << "the two nodes did not connect\n";
      return 1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }

  const std::string payload(frame_bytes, 'f');
  const Clock::time_point start = Clock::now();
  const uint64_t bytes0 = received_bytes, frames0 = received_frames;
  while (Seconds(Clock::now() - start) < static_cast<double>(seconds)) {
    const Status s = a.Send(kb.Public(), network::MessageType::kConsensus, payload);
    if (s.IsRejected()) {
      std::this_thread::sleep_for(std::chrono::microseconds(50));  // queue full: let it drain
    } else if (!s.ok()) {
      std::cerr << "send: " << s.ToString() << "\n";
      return 1;
    }
  }
  const double elapsed = Seconds(Clock::now() - start);
  const double p2p_bytes = static_cast<double>(received_bytes - bytes0);
  const double p2p_frames = static_cast<double>(received_frames - frames0);
  b.Stop();
  a.Stop();

  const double aead = AeadBytesPerSecond(frame_bytes, static_cast<double>(seconds));
  const double p2p = p2p_bytes / elapsed;
  std::printf("encrypted frames between two P2pNodes on 127.0.0.1: %.0f frames of %llu B in %.2f s\n", p2p_frames,
              static_cast<unsigned long long>(frame_bytes), elapsed);
  std::printf("raw ChaCha20-Poly1305 seal on one core, same frame size\n");
  std::printf("p2p_mib_per_s=%.1f p2p_frames_per_s=%.0f aead_mib_per_s=%.1f ratio=%.3f frame_bytes=%llu\n",
              MiB(p2p), p2p_frames / elapsed, MiB(aead), aead > 0 ? p2p / aead : 0.0,
              static_cast<unsigned long long>(frame_bytes));
  return 0;
}

}  // namespace circuledger::bench
