// bench/p2p.h: `circuledger-bench p2p` — the cost of the encrypted transport.
//
// Two P2pNodes on 127.0.0.1 (one listens, one dials; Noise handshake, sealed frames): one thread
// sends consensus frames of --frame-bytes from one node to the other for --seconds, as fast as
// the send queue takes them, and the receiver counts what its callback delivers. Then, on one
// thread, the raw AEAD (network/noise.h CipherState::Seal, ChaCha20-Poly1305) seals frames of
// the same size for the same time. Last line:
//   p2p_mib_per_s=<x> p2p_frames_per_s=<n> aead_mib_per_s=<y> ratio=<x/y> frame_bytes=<n>
// The ratio is the share of one core's raw AEAD rate the whole transport reaches (both nodes,
// sealing, opening, framing and TCP, on the same machine). Blocking.
#pragma once

#include <string>
#include <vector>

namespace circuledger::bench {

int RunP2p(const std::vector<std::string>& args);

}  // namespace circuledger::bench
