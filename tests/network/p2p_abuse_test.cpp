// Misbehaving peers against a P2pNode: garbage, oversized frames, floods and slow readers
// (tag [p2p]). Each test has its own node: a ban of 127.0.0.1 would refuse every local peer.
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <thread>

#include "network/messages.h"
#include "tests/network/forked.h"
#include "tests/network/p2p_fixture.h"

namespace circuledger::network::test {
namespace {

std::string Header(uint32_t length, uint8_t type) {
  std::string h(5, '\0');
  for (int i = 0; i < 4; ++i) h[i] = static_cast<char>((length >> (8 * i)) & 0xff);
  h[4] = static_cast<char>(type);
  return h;
}

std::set<ledger::PubKey> AllowOneAndTwo() { return {KeyFromSeed(1).Public(), KeyFromSeed(2).Public()}; }

TEST_CASE("p2p: a raw client sending garbage is disconnected and banned, and refused while banned", "[p2p]") {
  auto a = StartNode(1, TestOptions(AllowOneAndTwo()));
  {
    RawPeer raw;
    REQUIRE(raw.Connect(a->node->port()));
    raw.SendAll(Header(8, 0xee) + "garbage!");
    CHECK(raw.WaitClosed());
  }
  REQUIRE(WaitUntil([&] { return a->EventsWith(DisconnectReason::kBadFrame) == 1; }));
  CHECK(a->node->RecentEvents().back().banned);
  CHECK(a->node->IsAddressBanned("127.0.0.1"));

  // While banned: closed at once, before any handshake message is read.
  RawPeer again;
  REQUIRE(again.Connect(a->node->port()));
  CHECK(again.WaitClosed());
  REQUIRE(WaitUntil([&] { return a->EventsWith(DisconnectReason::kBanned) >= 1; }));

  // A registered node from the banned address is refused too.
  P2pOptions ob = TestOptions(AllowOneAndTwo());
  ob.listen = false;
  ob.dial = {a->Address()};
  auto b = StartNode(2, ob);
  REQUIRE(WaitUntil([&] { return a->EventsWith(DisconnectReason::kBanned) >= 2; }));
  CHECK(a->node->Peers().empty());
}

TEST_CASE("p2p: a ban expires", "[p2p]") {
  P2pOptions o = TestOptions(AllowOneAndTwo());
  o.ban_ms = 200;
  auto a = StartNode(1, o);
  RawPeer raw;
  REQUIRE(raw.Connect(a->node->port()));
  raw.SendAll("GET / HTTP/1.1\r\n\r\n");  // type byte '/': unknown
  CHECK(raw.WaitClosed());
  REQUIRE(WaitUntil([&] { return a->EventsWith(DisconnectReason::kBadFrame) == 1; }));
  REQUIRE(WaitUntil([&] { return !a->node->IsAddressBanned("127.0.0.1"); }));
  RawPeer again;
  REQUIRE(again.Connect(a->node->port()));
  CHECK(again.Handshake(KeyFromSeed(2)));  // served again
}

TEST_CASE("p2p: an oversized frame header is refused before its payload is read", "[p2p]") {
  auto a = StartNode(1, TestOptions(AllowOneAndTwo()));
  SECTION("before the handshake") {
    RawPeer raw;
    REQUIRE(raw.Connect(a->node->port()));
    // Only the header: the node must not wait for (or allocate) 4 GiB that never come.
    REQUIRE(raw.SendAll(Header(0xfffffff0u, static_cast<uint8_t>(MessageType::kConsensus))));
    CHECK(raw.WaitClosed());
    REQUIRE(WaitUntil([&] { return a->node->IsAddressBanned("127.0.0.1"); }));  // nothing else is known
  }
  SECTION("from an authenticated peer: a tx one byte over its limit") {
    RawPeer raw;
    REQUIRE(raw.Connect(a->node->port()));
    REQUIRE(raw.Handshake(KeyFromSeed(2)));
    REQUIRE(WaitUntil([&] { return a->inbox->UpPeers().size() == 1; }));
    REQUIRE(raw.SendSealed(Header(static_cast<uint32_t>(ledger::limits::kMaxTxBytes) + 1,
                                  static_cast<uint8_t>(MessageType::kTx)),
                           ""));
    CHECK(raw.WaitClosed());
    REQUIRE(WaitUntil([&] { return a->inbox->UpPeers().empty(); }));
    CHECK(a->node->IsKeyBanned(KeyFromSeed(2).Public()));
    CHECK_FALSE(a->node->IsAddressBanned("127.0.0.1"));  // a proven key: the key, not the address
  }
  REQUIRE(WaitUntil([&] { return a->EventsWith(DisconnectReason::kOversizedFrame) == 1; }));
}

TEST_CASE("p2p: before the handshake only hello and auth frames are read", "[p2p]") {
  auto a = StartNode(1, TestOptions(AllowOneAndTwo()));
  RawPeer raw;
  REQUIRE(raw.Connect(a->node->port()));
  // A block-sized frame an unregistered peer could make us buffer, once per pending connection.
  REQUIRE(raw.SendAll(Header(static_cast<uint32_t>(limits::kMaxSyncResponseBytes),
                             static_cast<uint8_t>(MessageType::kSyncResponse))));
  CHECK(raw.WaitClosed());
  REQUIRE(WaitUntil([&] { return a->EventsWith(DisconnectReason::kUnexpectedMessage) == 1; }));
  CHECK(a->node->IsAddressBanned("127.0.0.1"));
}

TEST_CASE("p2p: an authenticated peer sending an undecodable message is banned by key, not by address", "[p2p]") {
  auto a = StartNode(1, TestOptions({KeyFromSeed(1).Public(), KeyFromSeed(2).Public(), KeyFromSeed(3).Public()}));
  RawPeer raw;
  REQUIRE(raw.Connect(a->node->port()));
  REQUIRE(raw.Handshake(KeyFromSeed(2)));
  REQUIRE(raw.SendFrame(MessageType::kConsensus, "fine"));
  REQUIRE(WaitUntil([&] { return a->inbox->Messages().size() == 1; }));
  REQUIRE(raw.SendSealed(Header(4, static_cast<uint8_t>(MessageType::kTx)), "junk"));
  CHECK(raw.WaitClosed());
  REQUIRE(WaitUntil([&] { return a->EventsWith(DisconnectReason::kBadMessage) == 1; }));
  CHECK(a->node->IsKeyBanned(KeyFromSeed(2).Public()));
  // Another node on the same address (one host) is not cut off by that peer's offence.
  CHECK_FALSE(a->node->IsAddressBanned("127.0.0.1"));
  RawPeer other;
  REQUIRE(other.Connect(a->node->port()));
  CHECK(other.Handshake(KeyFromSeed(3)));
  CHECK(a->inbox->Messages().size() == 1);
}

TEST_CASE("p2p: a peer flooding messages is disconnected and banned", "[p2p]") {
  P2pOptions o = TestOptions(AllowOneAndTwo());
  o.messages_per_s = 100;
  o.message_burst = 50;
  auto a = StartNode(1, o);
  RawPeer raw;
  REQUIRE(raw.Connect(a->node->port()));
  REQUIRE(raw.Handshake(KeyFromSeed(2)));
  std::string burst;  // in one write, as before encryption: the bucket has no time to refill
  for (int i = 0; i < 500; ++i) burst += raw.SealFrame(MessageType::kConsensus, "spam");
  raw.SendAll(burst);
  CHECK(raw.WaitClosed());
  REQUIRE(WaitUntil([&] { return a->EventsWith(DisconnectReason::kFlood) == 1; }));
  CHECK(a->node->IsKeyBanned(KeyFromSeed(2).Public()));
  // Delivered at most the burst: the rest was never handed to the owner.
  CHECK(a->inbox->Messages().size() <= o.message_burst);
}

TEST_CASE("p2p: a slow reader's send queue stays bounded and the peer is dropped", "[p2p]") {
  P2pOptions o = TestOptions(AllowOneAndTwo());
  o.send_queue_frames = 16;
  o.send_queue_bytes = 256 * 1024;
  o.write_timeout_ms = 300;
  auto a = StartNode(1, o);
  RawPeer raw;
  REQUIRE(raw.Connect(a->node->port(), /*receive_buffer_bytes=*/4096));
  REQUIRE(raw.Handshake(KeyFromSeed(2)));
  const ledger::PubKey b = KeyFromSeed(2).Public();
  REQUIRE(WaitUntil([&] { return a->HasPeer(b); }));

  // The raw peer never reads. Keep sending until the node drops it (the kernel's socket buffers
  // fill first, then the queue, then the write stalls): the queue never holds more than its
  // bounds, and what does not fit is refused.
  const std::string block(60 * 1024, 'x');
  size_t refused = 0;
  bool dropped = false;
  const auto deadline = std::chrono::steady_clock::now() + 8s;
  while (!dropped && std::chrono::steady_clock::now() < deadline) {
    const ledger::Status st = a->node->Send(b, MessageType::kConsensus, block);
    dropped = st.IsNotFound();
    if (!st.ok() && !dropped) {
      REQUIRE(st.IsRejected());
      ++refused;
    }
    for (const PeerInfo& p : a->node->Peers()) {
      REQUIRE(p.queued_frames <= o.send_queue_frames);
      REQUIRE(p.queued_bytes <= o.send_queue_bytes);
    }
  }
  CHECK(dropped);
  CHECK(refused > 0);
  REQUIRE(WaitUntil([&] { return a->EventsWith(DisconnectReason::kWriteTimeout) == 1; }));
  CHECK_FALSE(a->HasPeer(b));
  CHECK_FALSE(a->node->IsKeyBanned(b));  // slow is not malicious
}

TEST_CASE("p2p: a connection that never completes the handshake times out", "[p2p]") {
  P2pOptions o = TestOptions(AllowOneAndTwo());
  o.handshake_timeout_ms = 200;
  auto a = StartNode(1, o);
  RawPeer raw;
  REQUIRE(raw.Connect(a->node->port()));
  CHECK(raw.WaitClosed());
  REQUIRE(WaitUntil([&] { return a->EventsWith(DisconnectReason::kHandshakeTimeout) == 1; }));
  CHECK_FALSE(a->node->IsAddressBanned("127.0.0.1"));
}

TEST_CASE("p2p: an authenticated peer that goes silent is dropped after the idle timeout", "[p2p]") {
  P2pOptions o = TestOptions(AllowOneAndTwo());
  o.ping_interval_ms = 40;
  o.idle_timeout_ms = 200;
  auto a = StartNode(1, o);
  RawPeer silent;
  REQUIRE(silent.Connect(a->node->port()));
  REQUIRE(silent.Handshake(KeyFromSeed(2)));  // then neither sends nor answers pings
  REQUIRE(WaitUntil([&] { return a->inbox->UpPeers().size() == 1; }));
  CHECK(silent.WaitClosed());
  REQUIRE(WaitUntil([&] { return a->EventsWith(DisconnectReason::kIdleTimeout) == 1; }));
  CHECK(a->inbox->UpPeers().empty());
  CHECK_FALSE(a->node->IsKeyBanned(KeyFromSeed(2).Public()));
}

TEST_CASE("p2p: pings keep a quiet connection between two nodes up", "[p2p]") {
  P2pOptions o = TestOptions(AllowOneAndTwo());
  o.ping_interval_ms = 50;
  o.idle_timeout_ms = 500;
  auto a = StartNode(1, o);
  P2pOptions ob = o;
  ob.listen = false;
  ob.dial = {a->Address()};
  auto b = StartNode(2, ob);
  REQUIRE(WaitUntil([&] { return a->HasPeer(b->pub()) && b->HasPeer(a->pub()); }));
  // Three idle timeouts with no application traffic: still connected, never dropped as idle.
  const auto until = std::chrono::steady_clock::now() + 3 * std::chrono::milliseconds(o.idle_timeout_ms);
  WaitUntil([&] { return std::chrono::steady_clock::now() > until; }, 10s);
  CHECK(a->HasPeer(b->pub()));
  CHECK(b->HasPeer(a->pub()));
  CHECK(a->inbox->downs() == 0);
  CHECK(a->EventsWith(DisconnectReason::kIdleTimeout) == 0);
}

TEST_CASE("p2p: the application bans a peer key: it is disconnected, banned by key (not address), and refused", "[p2p]") {
  auto a = StartNode(1, TestOptions(AllowOneAndTwo()));
  P2pOptions ob = TestOptions(AllowOneAndTwo());
  ob.listen = false;
  ob.dial = {a->Address()};
  auto b = StartNode(2, ob);
  REQUIRE(WaitUntil([&] { return a->HasPeer(b->pub()) && b->HasPeer(a->pub()); }));

  SECTION("a reason that bans") {
    a->node->BanPeer(b->pub(), DisconnectReason::kInvalidBlock);
    CHECK(a->node->IsKeyBanned(b->pub()));  // at once, before the close runs
    REQUIRE(WaitUntil([&] { return a->EventsWith(DisconnectReason::kInvalidBlock) == 1; }));
    CHECK_FALSE(a->node->IsAddressBanned("127.0.0.1"));  // the key is proven: not its address
    REQUIRE(WaitUntil([&] { return !a->HasPeer(b->pub()) && !b->HasPeer(a->pub()); }));
    const auto events = a->node->RecentEvents();
    REQUIRE_FALSE(events.empty());
    CHECK(events.back().banned);
    CHECK(events.back().key == b->pub());
    // b redials with backoff and is refused while banned (by key, once it proved it).
    REQUIRE(WaitUntil([&] { return a->EventsWith(DisconnectReason::kBanned) >= 1; }));
    CHECK_FALSE(a->HasPeer(b->pub()));
  }
  SECTION("a key with no connection is banned too") {
    const ledger::PubKey other = KeyFromSeed(3).Public();
    a->node->BanPeer(other, DisconnectReason::kBadConsensusSignature);
    CHECK(a->node->IsKeyBanned(other));
    CHECK(a->HasPeer(b->pub()));
  }
  SECTION("a reason that does not ban does nothing") {
    a->node->BanPeer(b->pub(), DisconnectReason::kIdleTimeout);
    CHECK_FALSE(a->node->IsKeyBanned(b->pub()));
    CHECK(a->HasPeer(b->pub()));
  }
}

TEST_CASE("p2p: pending handshakes are limited per address as well as in total", "[p2p]") {
  P2pOptions o = TestOptions(AllowOneAndTwo());
  o.max_pending_per_address = 2;
  auto a = StartNode(1, o);
  RawPeer first, second, third;
  REQUIRE(first.Connect(a->node->port()));
  REQUIRE(second.Connect(a->node->port()));
  REQUIRE(third.Connect(a->node->port()));
  CHECK(third.WaitClosed());  // two handshakes from 127.0.0.1 are already pending
  REQUIRE(WaitUntil([&] { return a->EventsWith(DisconnectReason::kTooManyPeers) == 1; }));
  CHECK_FALSE(a->node->IsAddressBanned("127.0.0.1"));
  // The two pending ones are still served, and once one is authenticated its slot is free again.
  REQUIRE(first.Handshake(KeyFromSeed(2)));
  REQUIRE(WaitUntil([&] { return a->HasPeer(KeyFromSeed(2).Public()); }));
  RawPeer fourth;
  REQUIRE(fourth.Connect(a->node->port()));
  CHECK(fourth.Handshake(KeyFromSeed(2)));
}

// Runs in a child process (its descriptor limit is lowered): 0 when the listener backed off
// while accept failed with EMFILE and served again once descriptors were free.
int ListenerOutOfDescriptors() {
  P2pNode node(TestOptions(AllowOneAndTwo()), KeyFromSeed(1), P2pCallbacks{});
  if (!node.Start().ok()) return 10;
  rlimit lim{};
  if (::getrlimit(RLIMIT_NOFILE, &lim) != 0) return 11;
  lim.rlim_cur = 96;
  if (::setrlimit(RLIMIT_NOFILE, &lim) != 0) return 12;
  // Connect until no descriptor is left: the kernel completes the connections into the backlog,
  // the node accepts some, and then its accepts fail with EMFILE.
  std::vector<int> clients;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(node.port());
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  for (;;) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) break;
    clients.push_back(fd);
    if (::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) != 0) break;
    if (clients.size() > 1000) return 13;
  }
  const auto failures = [&] {
    size_t n = 0;
    for (const PeerEvent& e : node.RecentEvents()) n += e.reason == DisconnectReason::kAcceptFailed ? 1 : 0;
    return n;
  };
  // The node may have accepted every connection before the descriptors ran out, leaving none
  // pending: then hand one descriptor back to a new connection, which the node cannot accept.
  // The node also frees descriptors as it closes refused connections: take every free one first.
  for (int attempt = 0; attempt < 50 && failures() == 0 && !clients.empty(); ++attempt) {
    for (int spare = ::open("/dev/null", O_RDONLY); spare >= 0; spare = ::open("/dev/null", O_RDONLY)) {
      clients.push_back(spare);
    }
    ::close(clients.back());
    clients.pop_back();
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd >= 0) {
      clients.push_back(fd);
      (void)::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr));
    }
    std::this_thread::sleep_for(20ms);
  }
  if (!WaitUntil([&] { return failures() >= 1; })) return 14;
  // However fast this machine is, a backed-off listener fails at most once per
  // kAcceptBackoffMinMs (a spinning one, hundreds of thousands of times in this window).
  const auto start = std::chrono::steady_clock::now();
  const size_t before = failures();
  std::this_thread::sleep_for(300ms);
  const auto elapsed_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start).count();
  if (failures() - before > static_cast<size_t>(elapsed_ms) / limits::kAcceptBackoffMinMs + 2) return 15;
  for (int fd : clients) ::close(fd);
  // Descriptors are free again: the listener serves a registered peer.
  RawPeer peer;
  bool served = false;
  for (int attempt = 0; attempt < 50 && !served; ++attempt) {
    served = peer.Connect(node.port()) && peer.Handshake(KeyFromSeed(2));
  }
  return served ? 0 : 16;
}

TEST_CASE("p2p: the listener backs off while accept fails for lack of descriptors", "[p2p]") {
  if (!kCanExhaustDescriptors) {
    WARN("not run under the sanitizers: they need free descriptors of their own (tests/network/forked.h)");
    return;
  }
  CHECK(RunForked(ListenerOutOfDescriptors) == 0);
}

}  // namespace
}  // namespace circuledger::network::test
