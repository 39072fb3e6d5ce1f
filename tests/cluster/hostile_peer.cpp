#include "tests/cluster/hostile_peer.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "network/handshake.h"
#include "network/limits.h"

namespace circuledger::cluster {

using network::Frame;
using network::MessageType;
namespace limits = network::limits;
using Clock = std::chrono::steady_clock;

HostilePeer::~HostilePeer() {
  if (fd_ >= 0) ::close(fd_);
}

bool HostilePeer::Connect(uint16_t port, const std::string& source_ip) {
  if (fd_ >= 0) ::close(fd_);
  session_.reset();
  first_.reset();
  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0) return false;
  sockaddr_in src{};
  src.sin_family = AF_INET;
  if (::inet_pton(AF_INET, source_ip.c_str(), &src.sin_addr) != 1) return false;
  if (::bind(fd_, reinterpret_cast<const sockaddr*>(&src), sizeof(src)) != 0) return false;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return ::connect(fd_, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) == 0;
}

bool HostilePeer::SendAll(std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n <= 0) return false;
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

bool HostilePeer::SendFrame(MessageType type, std::string_view payload) {
  if (!session_) return SendAll(network::EncodeFrame(type, payload));
  const std::string sealed = SealFrame(type, payload);
  return !sealed.empty() && SendAll(sealed);
}

std::string HostilePeer::SealFrame(MessageType type, std::string_view payload) {
  const std::string frame = network::EncodeFrame(type, payload);
  const std::string_view view(frame);
  std::string out;
  if (!session_ || !session_->send.Seal({}, view.substr(0, limits::kFrameHeaderBytes), out) ||
      !session_->send.Seal({}, view.substr(limits::kFrameHeaderBytes), out)) {
    return {};
  }
  return out;
}

bool HostilePeer::SendSealedHeader(std::string_view header) {
  std::string out;
  return session_ && session_->send.Seal({}, header, out) && SendAll(out);
}

std::optional<std::string> HostilePeer::ReadExact(size_t n, std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  std::string out(n, '\0');
  size_t got = 0;
  while (got < n) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) return std::nullopt;
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) return std::nullopt;
    const ssize_t r = ::recv(fd_, out.data() + got, n - got, 0);
    if (r <= 0) return std::nullopt;
    got += static_cast<size_t>(r);
  }
  return out;
}

std::optional<Frame> HostilePeer::ReadFrame(std::chrono::milliseconds timeout) {
  if (first_) {
    std::optional<Frame> f = std::move(first_);
    first_.reset();
    return f;
  }
  const size_t header_bytes = session_ ? limits::kSealedHeaderBytes : limits::kFrameHeaderBytes;
  std::optional<std::string> header = ReadExact(header_bytes, timeout);
  if (!header) return std::nullopt;
  if (session_ && !session_->recv.Open({}, *header, *header)) return std::nullopt;
  auto h = network::ParseFrameHeader(*header);
  if (!h.ok()) return std::nullopt;
  std::optional<std::string> payload =
      ReadExact(h->payload_bytes + (session_ ? limits::kAeadTagBytes : 0), timeout);
  if (!payload) return std::nullopt;
  if (session_ && !session_->recv.Open({}, *payload, *payload)) return std::nullopt;
  return Frame{h->type, std::move(*payload)};
}

std::optional<Frame> HostilePeer::ReadFrameOf(MessageType type, std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) return std::nullopt;
    std::optional<Frame> f = ReadFrame(left);
    if (!f || f->type == type) return f;
  }
}

bool HostilePeer::WaitClosed(std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  char buf[4096];
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) return false;
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) return false;
    if (::recv(fd_, buf, sizeof(buf), 0) <= 0) return true;  // orderly close, or reset
  }
}

bool HostilePeer::Handshake(const ledger::SecretKey& key, const network::ChainBinding& chain) {
  constexpr std::chrono::milliseconds kStepTimeout{5000};
  network::Handshake hs(/*initiator=*/true, chain, key, [](const ledger::PubKey&) { return true; });
  if (!SendAll(network::EncodeFrame(MessageType::kHandshake, hs.Start()))) return false;
  std::optional<Frame> theirs = ReadFrame(kStepTimeout);
  if (!theirs || theirs->type != MessageType::kHandshake) return false;
  network::Handshake::Step step = hs.OnMessage(theirs->payload);
  if (step.error != network::DisconnectReason::kNone || !step.done) return false;
  if (!SendAll(network::EncodeFrame(MessageType::kHandshake, step.reply))) return false;
  session_ = hs.Split();
  // The responder confirms with a sealed frame (its ping) before anything else (P2P.md step 4).
  first_ = ReadFrame(kStepTimeout);
  return first_.has_value();
}

}  // namespace circuledger::cluster
