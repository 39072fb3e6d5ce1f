#include "tests/network/p2p_fixture.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <thread>

#include "network/handshake.h"
#include "network/messages.h"

namespace circuledger::network::test {

bool WaitUntil(const std::function<bool()>& pred, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!pred()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(2ms);
  }
  return true;
}

ledger::SecretKey KeyFromSeed(uint8_t seed) {
  std::string bytes(32, '\0');
  bytes[0] = 0x42;
  bytes[31] = static_cast<char>(seed);
  return *ledger::SecretKey::FromBytes(bytes);
}

void Inbox::Add(Received r) {
  std::lock_guard<std::mutex> lock(mu_);
  messages_.push_back(std::move(r));
}
void Inbox::Up(const ledger::PubKey& k) {
  std::lock_guard<std::mutex> lock(mu_);
  up_.insert(k);
}
void Inbox::Down(const ledger::PubKey& k) {
  std::lock_guard<std::mutex> lock(mu_);
  up_.erase(k);
  ++downs_;
}
std::vector<Received> Inbox::Messages() const {
  std::lock_guard<std::mutex> lock(mu_);
  return messages_;
}
size_t Inbox::CountFrom(const ledger::PubKey& from, const std::string& payload) const {
  std::lock_guard<std::mutex> lock(mu_);
  size_t n = 0;
  for (const Received& r : messages_) n += (r.from == from && r.payload == payload) ? 1 : 0;
  return n;
}
std::set<ledger::PubKey> Inbox::UpPeers() const {
  std::lock_guard<std::mutex> lock(mu_);
  return up_;
}
size_t Inbox::downs() const {
  std::lock_guard<std::mutex> lock(mu_);
  return downs_;
}

bool TestNode::HasPeer(const ledger::PubKey& k) const {
  for (const PeerInfo& p : node->Peers()) {
    if (p.key == k) return true;
  }
  return false;
}

size_t TestNode::EventsWith(DisconnectReason reason) const {
  size_t n = 0;
  for (const PeerEvent& e : node->RecentEvents()) n += e.reason == reason ? e.repeats : 0;
  return n;
}

P2pOptions TestOptions(std::set<ledger::PubKey> allowed) {
  P2pOptions o;
  o.chain_id = kChain;
  o.allowed = [allowed = std::move(allowed)](const ledger::PubKey& k) { return allowed.count(k) != 0; };
  o.dial_backoff_min_ms = 20;
  o.dial_backoff_max_ms = 200;
  return o;
}

std::unique_ptr<TestNode> StartNode(uint8_t seed, const P2pOptions& options) {
  auto t = std::unique_ptr<TestNode>(new TestNode{KeyFromSeed(seed), std::make_shared<Inbox>(), nullptr});
  std::shared_ptr<Inbox> inbox = t->inbox;
  P2pCallbacks cb;
  cb.on_message = [inbox](const ledger::PubKey& from, MessageType type, std::string payload) {
    inbox->Add(Received{from, type, std::move(payload)});
  };
  cb.on_peer_up = [inbox](const ledger::PubKey& k) { inbox->Up(k); };
  cb.on_peer_down = [inbox](const ledger::PubKey& k) { inbox->Down(k); };
  t->node = std::make_unique<P2pNode>(options, t->key, std::move(cb));
  const ledger::Status st = t->node->Start();
  REQUIRE(st.ok());
  return t;
}

RawPeer::~RawPeer() {
  if (fd_ >= 0) ::close(fd_);
}

bool RawPeer::Connect(uint16_t port, int receive_buffer_bytes) {
  if (fd_ >= 0) ::close(fd_);
  fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd_ < 0) return false;
  if (receive_buffer_bytes > 0) {
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &receive_buffer_bytes, sizeof(receive_buffer_bytes));
  }
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return ::connect(fd_, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) == 0;
}

bool RawPeer::SendAll(std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n <= 0) return false;
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

std::optional<std::string> RawPeer::ReadExact(size_t n, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::string out(n, '\0');
  size_t got = 0;
  while (got < n) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return std::nullopt;
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) return std::nullopt;
    const ssize_t r = ::recv(fd_, out.data() + got, n - got, 0);
    if (r <= 0) return std::nullopt;
    got += static_cast<size_t>(r);
  }
  return out;
}

std::optional<Frame> RawPeer::ReadFrame(std::chrono::milliseconds timeout) {
  const size_t header_bytes = session_ ? limits::kSealedHeaderBytes : limits::kFrameHeaderBytes;
  auto header = ReadExact(header_bytes, timeout);
  if (!header) return std::nullopt;
  if (session_ && !session_->recv.Open({}, *header, *header)) return std::nullopt;
  auto h = ParseFrameHeader(*header);
  if (!h.ok()) return std::nullopt;
  auto payload = ReadExact(h->payload_bytes + (session_ ? limits::kAeadTagBytes : 0), timeout);
  if (!payload) return std::nullopt;
  if (session_ && !session_->recv.Open({}, *payload, *payload)) return std::nullopt;
  return Frame{h->type, *payload};
}

bool RawPeer::SendFrame(MessageType type, std::string_view payload) {
  const std::string frame = EncodeFrame(type, payload);
  if (!session_) return SendAll(frame);
  return SendSealed(std::string_view(frame).substr(0, limits::kFrameHeaderBytes),
                    std::string_view(frame).substr(limits::kFrameHeaderBytes));
}

std::string RawPeer::SealFrame(MessageType type, std::string_view payload) {
  const std::string frame = EncodeFrame(type, payload);
  std::string out;
  if (!session_ || !session_->send.Seal({}, std::string_view(frame).substr(0, limits::kFrameHeaderBytes), out) ||
      !session_->send.Seal({}, std::string_view(frame).substr(limits::kFrameHeaderBytes), out)) {
    return {};
  }
  return out;
}

bool RawPeer::SendSealed(std::string_view header, std::string_view payload) {
  std::string out;
  if (!session_ || !session_->send.Seal({}, header, out) || !session_->send.Seal({}, payload, out)) return false;
  return SendAll(out);
}

bool RawPeer::WaitClosed(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  char buf[4096];
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) return false;
    const ssize_t r = ::recv(fd_, buf, sizeof(buf), 0);
    if (r <= 0) return true;  // orderly close, or reset
  }
}

bool RawPeer::Handshake(const ledger::SecretKey& key, const std::string& chain) {
  network::Handshake hs(/*initiator=*/true, ChainBinding(chain), key, [](const ledger::PubKey&) { return true; });
  if (!SendAll(EncodeFrame(MessageType::kHandshake, hs.Start()))) return false;
  auto theirs = ReadFrame();
  if (!theirs || theirs->type != MessageType::kHandshake) return false;
  auto step = hs.OnMessage(theirs->payload);
  if (step.error != DisconnectReason::kNone || !step.done) return false;
  if (!SendAll(EncodeFrame(MessageType::kHandshake, step.reply))) return false;
  session_ = hs.Split();
  return true;
}

}  // namespace circuledger::network::test
