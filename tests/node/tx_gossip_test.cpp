// Transaction gossip (node/tx_gossip.h) on virtual time: when the outbox goes out, the bounds of
// a frame, the peers' byte shares and the inbox's count, chunked admission with the outbox sent
// between chunks, and that every peer transaction is handed out once in arrival order.
// Tag [node][txgossip].
#include <catch2/catch.hpp>

#include "network/limits.h"
#include "network/messages.h"
#include "node/tx_gossip.h"

using namespace circuledger;
using circuledger::ledger::PubKey;
using circuledger::ledger::Tx;
using circuledger::node::LocalTxGossip;
using circuledger::node::TxGossip;
using circuledger::node::TxGossipStep;
using circuledger::node::limits::kMaxTxInbox;
using circuledger::node::limits::kMaxTxInboxBytesPerPeer;
using circuledger::node::limits::kTxAdmitChunk;
using circuledger::node::limits::kTxGossipBatch;
using circuledger::node::limits::kTxGossipDelayMs;
using circuledger::network::limits::kMaxTxsFrameBytes;
using circuledger::network::limits::kMaxTxsPerFrame;

namespace {

PubKey Peer(uint8_t n) {
  PubKey key;
  key.bytes[0] = n;
  return key;
}

// Transactions told apart by their nonce: first, first + 1, ... (gossip never looks inside).
std::vector<Tx> Txs(uint64_t first, size_t count) {
  std::vector<Tx> txs(count);
  for (size_t i = 0; i < count; ++i) txs[i].body.nonce = first + i;
  return txs;
}

std::vector<uint64_t> Nonces(const std::vector<Tx>& txs) {
  std::vector<uint64_t> nonces;
  for (const Tx& tx : txs) nonces.push_back(tx.body.nonce);
  return nonces;
}

std::vector<uint64_t> Range(uint64_t first, size_t count) {
  std::vector<uint64_t> r;
  for (size_t i = 0; i < count; ++i) r.push_back(first + i);
  return r;
}

// A local transaction's stand-in encoding: `bytes` bytes, told apart by its first characters.
std::string Encoded(size_t n, size_t bytes = 8) {
  std::string s = std::to_string(n) + ":";
  s.resize(std::max(bytes, s.size()), 'x');
  return s;
}

}  // namespace

TEST_CASE("tx gossip: the outbox goes out once its oldest transaction has waited the gossip delay, not before",
          "[node][txgossip]") {
  TxGossip g;
  const LocalTxGossip first = g.OnLocalTx(Encoded(1), 1000);
  CHECK(first.send_now.empty());
  CHECK(first.wake);  // the deadline starts: the sending thread must wait for it
  const LocalTxGossip second = g.OnLocalTx(Encoded(2), 1003);
  CHECK(second.send_now.empty());
  CHECK_FALSE(second.wake);
  REQUIRE(g.WakeAtMs() == 1000 + kTxGossipDelayMs);  // from the oldest, not the latest

  CHECK(g.Next(1000 + kTxGossipDelayMs - 1).empty());
  CHECK(g.outbox_txs() == 2);
  const TxGossipStep step = g.Next(1000 + kTxGossipDelayMs);
  CHECK(step.send == std::vector<std::string>{Encoded(1), Encoded(2)});
  CHECK(step.admit.empty());
  CHECK(g.outbox_txs() == 0);
  CHECK_FALSE(g.WakeAtMs());
  CHECK(g.Next(5000).empty());  // sent once

  // The next transaction starts a new deadline from its own arrival.
  CHECK(g.OnLocalTx(Encoded(3), 6000).wake);
  CHECK(g.WakeAtMs() == 6000 + kTxGossipDelayMs);
  CHECK(g.Next(6000 + kTxGossipDelayMs - 1).empty());
  CHECK(g.Next(6000 + kTxGossipDelayMs).send == std::vector<std::string>{Encoded(3)});
}

TEST_CASE("tx gossip: a full batch goes out at once, without waiting for the delay", "[node][txgossip]") {
  TxGossip g;
  std::vector<std::string> expected;
  for (size_t i = 0; i + 1 < kTxGossipBatch; ++i) {
    expected.push_back(Encoded(i));
    const LocalTxGossip r = g.OnLocalTx(Encoded(i), 100);
    CHECK(r.wake == (i == 0));
    REQUIRE(r.send_now.empty());
  }
  CHECK(g.Next(100).empty());  // one short of a batch, delay not over
  expected.push_back(Encoded(kTxGossipBatch - 1));
  const LocalTxGossip last = g.OnLocalTx(Encoded(kTxGossipBatch - 1), 100);
  CHECK(last.wake);  // due now: wake the sending thread
  CHECK(last.send_now.empty());
  const TxGossipStep step = g.Next(100);
  CHECK(step.send == expected);
  CHECK(g.outbox_txs() == 0);
}

TEST_CASE("tx gossip: a transaction that would overflow the frame's bytes sends the outbox at once and starts the next",
          "[node][txgossip]") {
  TxGossip g;
  // 17 encodings filling a kTxs frame to its last byte: 4 + 17 * 4 + bytes.
  const size_t bytes = kMaxTxsFrameBytes - 4 - 17 * 4;
  const size_t each = bytes / 17;
  std::vector<std::string> full;
  for (size_t i = 0; i < 16; ++i) full.push_back(Encoded(i, each));
  full.push_back(Encoded(16, bytes - 16 * each));
  REQUIRE(network::TxsPayloadBytes(full.size(), bytes) == kMaxTxsFrameBytes);

  SECTION("a frame filled exactly stays until it is due") {
    for (const std::string& e : full) REQUIRE(g.OnLocalTx(e, 0).send_now.empty());
    CHECK(g.outbox_txs() == 17);
    const LocalTxGossip next = g.OnLocalTx(Encoded(99, 1), 1);  // any one more overflows it
    CHECK(next.send_now == full);
    CHECK(network::EncodeTxsPayload(next.send_now).size() == kMaxTxsFrameBytes);
    CHECK(next.wake);  // the new outbox has its own deadline
    CHECK(g.outbox_txs() == 1);
    CHECK(g.WakeAtMs() == 1 + kTxGossipDelayMs);
    CHECK(g.Next(1 + kTxGossipDelayMs).send == std::vector<std::string>{Encoded(99, 1)});
  }
  SECTION("one byte over a frame sends the ones before") {
    full.back().push_back('x');
    for (size_t i = 0; i < 16; ++i) REQUIRE(g.OnLocalTx(full[i], 0).send_now.empty());
    const LocalTxGossip over = g.OnLocalTx(full.back(), 0);
    CHECK(over.send_now == std::vector<std::string>(full.begin(), full.begin() + 16));
    CHECK(g.outbox_txs() == 1);
  }
}

TEST_CASE("tx gossip: a frame never holds more than the protocol's transactions per frame while the sender is busy",
          "[node][txgossip]") {
  TxGossip g;
  // Nobody calls Next (the tx thread is admitting a large batch): the outbox grows past a batch.
  for (size_t i = 0; i < kMaxTxsPerFrame; ++i) REQUIRE(g.OnLocalTx(Encoded(i, 1), 0).send_now.empty());
  const LocalTxGossip r = g.OnLocalTx(Encoded(kMaxTxsPerFrame, 1), 0);
  REQUIRE(r.send_now.size() == kMaxTxsPerFrame);
  CHECK(r.send_now.front() == Encoded(0, 1));
  CHECK(r.send_now.back() == Encoded(kMaxTxsPerFrame - 1, 1));
  CHECK(g.outbox_txs() == 1);
}

TEST_CASE("tx gossip: a peer over its byte share loses its frame while another peer's is still queued",
          "[node][txgossip]") {
  static_assert(kMaxTxInboxBytesPerPeer % kMaxTxsFrameBytes == 0);
  constexpr size_t kFrames = kMaxTxInboxBytesPerPeer / kMaxTxsFrameBytes;
  TxGossip g;
  const PubKey flooder = Peer(1);
  const PubKey honest = Peer(2);
  for (size_t i = 0; i < kFrames; ++i) REQUIRE(g.OnPeerTxs(flooder, kMaxTxsFrameBytes, Txs(i, 1)));
  CHECK_FALSE(g.OnPeerTxs(flooder, kMaxTxsFrameBytes, Txs(100, 1)));
  CHECK_FALSE(g.OnPeerTxs(flooder, 1, Txs(101, 1)));  // its share is used to the last byte
  CHECK(g.OnPeerTxs(honest, kMaxTxsFrameBytes, Txs(200, 1)));
  CHECK(g.OnPeerTxs(honest, kMaxTxsFrameBytes, Txs(201, 1)));
  CHECK_FALSE(g.OnPeerTxs(honest, 8, {}));  // an empty frame queues nothing
  CHECK(g.queued_txs() == kFrames + 2);

  std::vector<uint64_t> expected = Range(0, kFrames);
  expected.push_back(200);
  expected.push_back(201);
  CHECK(Nonces(g.Next(0).admit) == expected);  // the dropped ones never come
  // The batch taken frees every share: the flooder's next frame is queued again.
  CHECK(g.OnPeerTxs(flooder, kMaxTxsFrameBytes, Txs(300, 1)));
  CHECK(Nonces(g.Next(0).admit) == std::vector<uint64_t>{300});
}

TEST_CASE("tx gossip: the inbox holds at most kMaxTxInbox transactions of all peers", "[node][txgossip]") {
  TxGossip g;
  constexpr size_t kPerFrame = 4000;
  static_assert(kMaxTxInbox % kPerFrame == 0 && kMaxTxInbox / kPerFrame < 200);
  constexpr size_t kPeers = kMaxTxInbox / kPerFrame;
  for (size_t p = 0; p + 1 < kPeers; ++p) {
    REQUIRE(g.OnPeerTxs(Peer(static_cast<uint8_t>(p)), 1000, Txs(p * kPerFrame, kPerFrame)));
  }
  // The last peer's frame is one short of the bound; a later peer's frame of two would cross it.
  REQUIRE(g.OnPeerTxs(Peer(static_cast<uint8_t>(kPeers - 1)), 1000, Txs((kPeers - 1) * kPerFrame, kPerFrame - 1)));
  const PubKey late = Peer(200);
  CHECK_FALSE(g.OnPeerTxs(late, kMaxTxInboxBytesPerPeer, Txs(kMaxTxInbox, 2)));
  // That drop did not take the late peer's share: a whole share's frame of one still fits.
  CHECK(g.OnPeerTxs(late, kMaxTxInboxBytesPerPeer, Txs(kMaxTxInbox - 1, 1)));
  CHECK(g.queued_txs() == kMaxTxInbox);
  CHECK_FALSE(g.OnPeerTxs(Peer(201), 1, Txs(kMaxTxInbox + 10, 1)));

  // Next takes the whole inbox as one batch: room for new frames again.
  std::vector<uint64_t> admitted = Nonces(g.Next(0).admit);
  CHECK(g.queued_txs() == 0);
  CHECK(g.admitting_txs() == kMaxTxInbox - kTxAdmitChunk);
  CHECK(g.OnPeerTxs(Peer(201), 1, Txs(kMaxTxInbox + 10, 1)));
  for (;;) {
    const TxGossipStep step = g.Next(0);
    if (step.empty()) break;
    for (const Tx& tx : step.admit) admitted.push_back(tx.body.nonce);
  }
  std::vector<uint64_t> expected = Range(0, kMaxTxInbox);
  expected.push_back(kMaxTxInbox + 10);
  CHECK(admitted == expected);
}

TEST_CASE("tx gossip: peer transactions are admitted in chunks, and a due outbox goes out between chunks",
          "[node][txgossip]") {
  static_assert(kTxAdmitChunk == 64, "the chunk sizes below");
  TxGossip g;
  REQUIRE(g.OnPeerTxs(Peer(1), 5000, Txs(0, 200)));
  TxGossipStep s = g.Next(0);
  CHECK(s.send.empty());
  CHECK(Nonces(s.admit) == Range(0, 64));

  // A local transaction while the batch is being admitted: not due yet at the next chunk...
  CHECK(g.OnLocalTx(Encoded(1), 0).wake);
  s = g.Next(kTxGossipDelayMs - 1);
  CHECK(s.send.empty());
  CHECK(Nonces(s.admit) == Range(64, 64));
  // ... due at the one after: sent before that chunk is admitted, not after the whole batch.
  s = g.Next(kTxGossipDelayMs);
  CHECK(s.send == std::vector<std::string>{Encoded(1)});
  CHECK(Nonces(s.admit) == Range(128, 64));

  SECTION("a full batch of local transactions goes out at the next chunk, whatever the time") {
    for (size_t i = 0; i < kTxGossipBatch; ++i) g.OnLocalTx(Encoded(100 + i), kTxGossipDelayMs);
    s = g.Next(kTxGossipDelayMs);
    CHECK(s.send.size() == kTxGossipBatch);
    CHECK(Nonces(s.admit) == Range(192, 8));
  }
  SECTION("the batch ends with a short chunk, then nothing is left to do") {
    s = g.Next(kTxGossipDelayMs);
    CHECK(s.send.empty());
    CHECK(Nonces(s.admit) == Range(192, 8));
    CHECK(g.Next(kTxGossipDelayMs + 1000).empty());
    CHECK(g.admitting_txs() == 0);
  }
}

TEST_CASE("tx gossip: every peer transaction is handed out once, in arrival order, also when frames arrive mid-batch",
          "[node][txgossip]") {
  TxGossip g;
  REQUIRE(g.OnPeerTxs(Peer(1), 100, Txs(0, 50)));
  REQUIRE(g.OnPeerTxs(Peer(2), 100, Txs(50, 50)));
  std::vector<uint64_t> admitted = Nonces(g.Next(0).admit);
  REQUIRE(admitted.size() == kTxAdmitChunk);
  // Frames arriving while the batch is admitted wait for the next batch.
  REQUIRE(g.OnPeerTxs(Peer(1), 100, Txs(100, 30)));
  REQUIRE(g.OnPeerTxs(Peer(3), 100, Txs(130, 10)));
  CHECK(g.queued_txs() == 40);
  const TxGossipStep rest = g.Next(0);
  CHECK(Nonces(rest.admit) == Range(kTxAdmitChunk, 100 - kTxAdmitChunk));  // only the first batch's
  for (const Tx& tx : rest.admit) admitted.push_back(tx.body.nonce);
  for (uint64_t t = 1;; ++t) {
    const TxGossipStep step = g.Next(t);
    if (step.empty()) break;
    REQUIRE(t < 100);
    for (const Tx& tx : step.admit) admitted.push_back(tx.body.nonce);
  }
  CHECK(admitted == Range(0, 140));  // each once, in the order the frames arrived
  CHECK(g.queued_txs() == 0);
  CHECK(g.admitting_txs() == 0);
  CHECK(g.Next(1000).empty());
}
