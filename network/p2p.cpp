#include "network/p2p.h"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <algorithm>
#include <cerrno>
#include <atomic>
#include <deque>
#include <map>
#include <mutex>
#include <thread>

#include "network/ban_list.h"
#include "network/detail/accept_backoff.h"
#include "network/detail/connection.h"
#include "network/messages.h"

namespace circuledger::network {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using boost::system::error_code;
using detail::Clock;
using detail::Connection;
using ledger::PubKey;
using ledger::Status;

namespace {

std::chrono::milliseconds Ms(uint64_t ms) { return std::chrono::milliseconds(ms); }

bool IsAppType(MessageType t) {
  return t == MessageType::kTx || t == MessageType::kTxs || t == MessageType::kConsensus || t == MessageType::kSyncRequest ||
         t == MessageType::kSyncResponse;
}

// "host:port" or "[v6]:port".
bool SplitHostPort(const std::string& s, std::string& host, std::string& port) {
  const size_t colon = s.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == s.size()) return false;
  host = s.substr(0, colon);
  port = s.substr(colon + 1);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  if (port.size() > 5 || !std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return false;
  }
  const int p = std::stoi(port);
  return p > 0 && p < 65536;
}

}  // namespace

// One configured peer address, redialed with backoff while no connection to its node is up.
struct Dialer {
  explicit Dialer(asio::io_context& ioc) : timer(ioc) {}
  std::string host;
  std::string port;
  asio::steady_timer timer;
  std::optional<PubKey> key;  // the node found there by the last handshake
  uint32_t backoff_ms = 0;
  bool busy = false;          // resolving, or a connection from this dialer is open
  bool self = false;          // the address is this node: never dial again
  bool waiting = false;       // its node is connected another way: dial again on its peer-down
};

// Everything a P2pNode owns. The tables marked "I/O thread only" are touched by handlers on the
// node's thread and nowhere else; those under `mu` are also read by the thread-safe API.
struct P2pNode::Impl final : detail::ConnectionOwner {
  // Declared before ioc: connections still referenced by queued handlers use these when ioc is
  // destroyed.
  P2pOptions options;
  ledger::SecretKey key;
  PubKey public_key;
  P2pCallbacks callbacks;

  // Guarded by mu: read by Send/Broadcast/Peers from any thread.
  mutable std::mutex mu;
  std::map<PubKey, std::shared_ptr<Connection>> peers;  // the one active connection per key
  BanList bans{limits::kMaxBans};
  std::deque<PeerEvent> events;

  // I/O thread only.
  std::map<Connection*, std::shared_ptr<Connection>> conns;  // every open connection
  std::map<Connection*, Dialer*> dialed_by;
  bool stopping = false;

  asio::io_context ioc;
  tcp::acceptor acceptor{ioc};
  asio::steady_timer accept_pause{ioc};
  detail::AcceptBackoff accept_backoff;  // the listener's pause after a resource error
  tcp::resolver resolver{ioc};
  asio::steady_timer tick{ioc};
  std::vector<std::unique_ptr<Dialer>> dialers;
  std::thread thread;
  std::atomic<bool> started{false};  // read by AddPeer from any thread
  bool stopped = false;

  Impl(P2pOptions o, ledger::SecretKey k, P2pCallbacks c)
      : options(std::move(o)), key(std::move(k)), public_key(key.Public()), callbacks(std::move(c)) {}

  std::chrono::milliseconds TickInterval() const {
    const uint64_t shortest = std::min({options.handshake_timeout_ms, options.idle_timeout_ms, options.write_timeout_ms,
                                        options.ping_interval_ms, options.retire_timeout_ms});
    return Ms(std::clamp<uint64_t>(shortest / 4, 5, 250));
  }

  void Tick() {
    tick.expires_after(TickInterval());
    tick.async_wait([this](const error_code& ec) {
      if (ec || stopping) return;
      const Clock::time_point now = Clock::now();
      std::vector<std::shared_ptr<Connection>> all;
      for (auto& entry : conns) all.push_back(entry.second);
      for (auto& c : all) c->OnTick(now);
      Tick();
    });
  }

  void Accept() {
    acceptor.async_accept(ioc, [this](const error_code& ec, tcp::socket socket) {
      if (stopping || !acceptor.is_open()) return;
      // Out of descriptors, buffers or memory: retrying at once would spin on the same error.
      if (ec && detail::IsResourceError(ec)) {
        Record(PeerEvent{"", std::nullopt, false, DisconnectReason::kAcceptFailed, false});
        accept_pause.expires_after(Ms(accept_backoff.NextMs()));
        accept_pause.async_wait([this](const error_code& wait_ec) {
          if (!wait_ec && !stopping) Accept();
        });
        return;
      }
      if (ec) return Accept();  // e.g. the peer reset before accept: keep serving the others
      accept_backoff.Reset();
      error_code ep_ec;
      const tcp::endpoint remote = socket.remote_endpoint(ep_ec);
      const std::string ip = ep_ec ? "" : remote.address().to_string();
      const std::string address = ep_ec ? "" : ip + ":" + std::to_string(remote.port());
      bool banned = false;
      {
        std::lock_guard<std::mutex> lock(mu);
        banned = bans.AddressBanned(ip, Clock::now());
      }
      // Pending handshakes, in total and from this address: one address cannot take every slot.
      size_t pending = 0, pending_here = 0;
      for (auto& entry : conns) {
        const Connection& c = *entry.second;
        if (c.authenticated()) continue;
        ++pending;
        pending_here += !c.outbound() && c.ip() == ip ? 1 : 0;
      }
      if (banned || pending >= options.max_pending || pending_here >= options.max_pending_per_address) {
        Record(PeerEvent{address, std::nullopt, false,
                         banned ? DisconnectReason::kBanned : DisconnectReason::kTooManyPeers, false});
        socket.close(ep_ec);
      } else {
        auto conn = std::make_shared<Connection>(ioc, options, key, *this, /*outbound=*/false);
        conns[conn.get()] = conn;
        conn->Accept(std::move(socket));
      }
      Accept();
    });
  }

  void ScheduleDial(Dialer& d, uint32_t delay_ms) {
    d.timer.expires_after(Ms(delay_ms));
    d.timer.async_wait([this, &d](const error_code& ec) {
      if (!ec) Dial(d);
    });
  }

  void DialFailed(Dialer& d) {
    const uint32_t delay = d.backoff_ms;
    d.backoff_ms = std::min(options.dial_backoff_max_ms, d.backoff_ms * 2);
    ScheduleDial(d, delay);
  }

  bool Connected(const PubKey& k) const {
    std::lock_guard<std::mutex> lock(mu);
    return peers.count(k) != 0;
  }

  void Dial(Dialer& d) {
    if (stopping || d.self || d.busy) return;
    if (d.key && Connected(*d.key)) {
      d.waiting = true;
      return;
    }
    d.busy = true;
    resolver.async_resolve(d.host, d.port, [this, &d](const error_code& ec, tcp::resolver::results_type results) {
      if (stopping) return;
      d.busy = false;
      if (ec || results.empty()) return DialFailed(d);
      bool banned = false;
      {
        std::lock_guard<std::mutex> lock(mu);
        banned = bans.AddressBanned(results.begin()->endpoint().address().to_string(), Clock::now());
      }
      if (banned) return DialFailed(d);
      d.busy = true;
      auto conn = std::make_shared<Connection>(ioc, options, key, *this, /*outbound=*/true);
      conns[conn.get()] = conn;
      dialed_by[conn.get()] = &d;
      conn->Connect(results);
    });
  }

  void Record(PeerEvent e) {
    std::lock_guard<std::mutex> lock(mu);
    AddEventLocked(std::move(e));
  }

  // Under mu.
  void AddEventLocked(PeerEvent e) {
    if (!e.banned) {
      for (auto it = events.begin(); it != events.end(); ++it) {
        if (!it->banned && it->address == e.address && it->key == e.key && it->reason == e.reason &&
            it->authenticated == e.authenticated) {
          e.repeats = it->repeats + 1;
          events.erase(it);
          break;
        }
      }
    }
    events.push_back(std::move(e));
    while (events.size() > limits::kMaxRecentEvents) events.pop_front();
  }

  // ConnectionOwner.
  DisconnectReason CheckProvenKey(const PubKey& k) override {
    std::lock_guard<std::mutex> lock(mu);
    return bans.KeyBanned(k, Clock::now()) ? DisconnectReason::kBanned : DisconnectReason::kNone;
  }

  // Of two connections between the same nodes, both ends keep the one the smaller key dialed.
  bool Preferred(const Connection& c, const PubKey& peer) const {
    const PubKey& dialer = c.outbound() ? public_key : peer;
    return dialer == std::min(public_key, peer);
  }

  void OnAuthenticated(const std::shared_ptr<Connection>& conn) override {
    const PubKey peer = *conn->peer_key();
    if (auto it = dialed_by.find(conn.get()); it != dialed_by.end()) {
      it->second->key = peer;
      it->second->backoff_ms = options.dial_backoff_min_ms;
    }
    std::shared_ptr<Connection> retire;
    bool up = false;
    {
      std::lock_guard<std::mutex> lock(mu);
      auto it = peers.find(peer);
      if (it == peers.end()) {
        if (peers.size() < options.max_peers) {
          peers.emplace(peer, conn);
          up = true;
        }
      } else if (Preferred(*conn, peer) || !Preferred(*it->second, peer)) {
        retire = it->second;  // the new one wins (a redial in the same direction: the newer)
        it->second = conn;
      } else {
        retire = conn;
      }
    }
    if (!up && !retire) return conn->Close(DisconnectReason::kTooManyPeers);
    if (retire) retire->Retire();
    if (up && callbacks.on_peer_up) callbacks.on_peer_up(peer);
  }

  void OnAppMessage(Connection& conn, MessageType type, std::string payload) override {
    if (stopping || !callbacks.on_message) return;
    callbacks.on_message(*conn.peer_key(), type, std::move(payload));
  }

  void OnClosed(Connection& conn, DisconnectReason reason) override {
    const Clock::time_point now = Clock::now();
    const std::optional<PubKey> peer = conn.peer_key();
    bool down = false;
    PeerEvent event{conn.address(), peer, conn.authenticated(), reason, false};
    {
      std::lock_guard<std::mutex> lock(mu);
      if (conn.authenticated()) {
        auto it = peers.find(*peer);
        if (it != peers.end() && it->second.get() == &conn) {
          peers.erase(it);
          down = true;
        }
      }
      if (ReasonBans(reason) && !stopping) {
        // A proven key is banned, not its address: other nodes may share that address (one host,
        // a NAT), and banning it would cut honest peers. Before the proof only the address is known.
        if (conn.authenticated()) {
          bans.BanKey(*peer, now + Ms(options.ban_ms));
        } else if (!conn.ip().empty()) {
          bans.BanAddress(conn.ip(), now + Ms(options.ban_ms));
        }
        event.banned = true;
      }
      AddEventLocked(std::move(event));
    }
    // The connection may be inside one of its own methods: release our reference later.
    if (auto it = conns.find(&conn); it != conns.end()) {
      asio::post(ioc, [keep = std::move(it->second)] {});
      conns.erase(it);
    }
    if (auto it = dialed_by.find(&conn); it != dialed_by.end()) {
      Dialer& d = *it->second;
      dialed_by.erase(it);
      d.busy = false;
      if (!stopping) Redial(d, conn, reason);
    }
    if (stopping || !down) return;
    if (callbacks.on_peer_down) callbacks.on_peer_down(*peer);
    for (auto& d : dialers) {
      if (d->waiting && d->key == peer) {
        d->waiting = false;
        ScheduleDial(*d, options.dial_backoff_min_ms);
      }
    }
  }

  void Redial(Dialer& d, const Connection& conn, DisconnectReason reason) {
    if (reason == DisconnectReason::kSelfConnection) {
      d.self = true;
      return;
    }
    if (!conn.authenticated()) return DialFailed(d);
    if (Connected(*conn.peer_key())) {
      d.waiting = true;  // kept the other connection to that node
      return;
    }
    ScheduleDial(d, options.dial_backoff_min_ms);
  }

  void Shutdown() {
    stopping = true;
    error_code ec;
    acceptor.close(ec);
    accept_pause.cancel();
    resolver.cancel();
    tick.cancel();
    for (auto& d : dialers) d->timer.cancel();
    std::vector<std::shared_ptr<Connection>> all;
    for (auto& entry : conns) all.push_back(entry.second);
    for (auto& c : all) c->Close(DisconnectReason::kShutdown);
  }
};

P2pNode::P2pNode(P2pOptions options, ledger::SecretKey key, P2pCallbacks callbacks)
    : impl_(std::make_unique<Impl>(std::move(options), std::move(key), std::move(callbacks))),
      public_key_(impl_->public_key) {}

P2pNode::~P2pNode() { Stop(); }

Status P2pNode::Start() {
  Impl& m = *impl_;
  const P2pOptions& o = m.options;
  if (m.started) return Status::InvalidArgument("p2p node already started");
  if (o.chain_id.empty() || o.chain_id.size() > limits::kMaxChainIdLen) return Status::InvalidArgument("bad chain id");
  if (!o.allowed) return Status::InvalidArgument("no key filter (P2pOptions::allowed)");
  if (o.max_peers == 0 || o.max_pending == 0 || o.max_pending_per_address == 0 || o.send_queue_frames == 0 || o.messages_per_s == 0 ||
      o.message_burst == 0 || o.bytes_per_s == 0 || o.byte_burst == 0 || o.dial_backoff_min_ms == 0 ||
      o.dial_backoff_min_ms > o.dial_backoff_max_ms) {
    return Status::InvalidArgument("p2p limits must be positive (and backoff min <= max)");
  }
  if (o.send_queue_bytes < limits::kFrameHeaderBytes + MaxPayloadBytes(MessageType::kHandshake)) {
    return Status::InvalidArgument("send queue too small for a handshake");
  }
  for (const std::string& a : o.dial) {
    auto d = std::make_unique<Dialer>(m.ioc);
    if (!SplitHostPort(a, d->host, d->port)) return Status::InvalidArgument("bad peer address " + a);
    d->backoff_ms = o.dial_backoff_min_ms;
    m.dialers.push_back(std::move(d));
  }
  if (o.listen) {
    error_code ec;
    const auto address = asio::ip::make_address(o.listen_host, ec);
    if (ec) return Status::InvalidArgument("bad listen address " + o.listen_host);
    const tcp::endpoint ep(address, o.listen_port);
    m.acceptor.open(ep.protocol(), ec);
    if (!ec) m.acceptor.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) m.acceptor.bind(ep, ec);
    if (!ec) m.acceptor.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
      return Status::IoError("cannot listen on " + o.listen_host + ":" + std::to_string(o.listen_port) + ": " +
                             ec.message());
    }
    port_ = m.acceptor.local_endpoint().port();
    m.Accept();
  }
  for (auto& d : m.dialers) asio::post(m.ioc, [&m, dp = d.get()] { m.Dial(*dp); });
  m.Tick();
  m.started = true;
  m.thread = std::thread([&m] { m.ioc.run(); });
  return Status::Ok();
}

void P2pNode::Stop() {
  Impl& m = *impl_;
  if (!m.started || m.stopped) return;
  m.stopped = true;
  asio::post(m.ioc, [&m] { m.Shutdown(); });
  m.thread.join();
}

Status P2pNode::AddPeer(const std::string& address) {
  Impl& m = *impl_;
  auto d = std::make_unique<Dialer>(m.ioc);
  if (!SplitHostPort(address, d->host, d->port)) return Status::InvalidArgument("bad peer address " + address);
  if (!m.started) return Status::InvalidArgument("p2p node not started");
  d->backoff_ms = m.options.dial_backoff_min_ms;
  asio::post(m.ioc, [&m, owned = std::move(d)]() mutable {
    Dialer& dialer = *owned;
    m.dialers.push_back(std::move(owned));
    if (!m.stopping) m.Dial(dialer);
  });
  return Status::Ok();
}

Status P2pNode::Send(const PubKey& peer, MessageType type, std::string_view payload) {
  if (!IsAppType(type)) return Status::InvalidArgument("not an application message type");
  const Status check = CheckPayload(type, payload);
  if (!check.ok()) return Status::InvalidArgument("payload a peer would reject: " + check.ToString());
  std::shared_ptr<Connection> conn;
  {
    std::lock_guard<std::mutex> lock(impl_->mu);
    auto it = impl_->peers.find(peer);
    if (it == impl_->peers.end()) return Status::NotFound("no connection to " + peer.ToHex());
    conn = it->second;
  }
  auto frame = std::make_shared<const std::string>(EncodeFrame(type, payload));
  if (!conn->Enqueue(frame)) return Status::Rejected(ledger::Reject::kOversized, "send queue full");
  return Status::Ok();
}

size_t P2pNode::Broadcast(MessageType type, std::string_view payload) {
  if (!IsAppType(type) || !CheckPayload(type, payload).ok()) return 0;
  std::vector<std::shared_ptr<Connection>> all;
  {
    std::lock_guard<std::mutex> lock(impl_->mu);
    for (auto& entry : impl_->peers) all.push_back(entry.second);
  }
  auto frame = std::make_shared<const std::string>(EncodeFrame(type, payload));
  size_t queued = 0;
  for (auto& c : all) queued += c->Enqueue(frame) ? 1 : 0;
  return queued;
}

std::vector<PeerInfo> P2pNode::Peers() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  std::vector<PeerInfo> out;
  for (auto& entry : impl_->peers) out.push_back(entry.second->Stats());
  return out;
}

std::vector<PeerEvent> P2pNode::RecentEvents() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return {impl_->events.begin(), impl_->events.end()};
}

bool P2pNode::IsAddressBanned(const std::string& ip) const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->bans.AddressBanned(ip, Clock::now());
}

bool P2pNode::IsKeyBanned(const PubKey& key) const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->bans.KeyBanned(key, Clock::now());
}

void P2pNode::BanPeer(const PubKey& peer, DisconnectReason reason) {
  if (!ReasonBans(reason)) return;
  Impl& m = *impl_;
  std::shared_ptr<Connection> conn;
  {
    std::lock_guard<std::mutex> lock(m.mu);
    // At once: a redial that authenticates before the close below runs is refused already.
    m.bans.BanKey(peer, Clock::now() + Ms(m.options.ban_ms));
    if (auto it = m.peers.find(peer); it != m.peers.end()) conn = it->second;
  }
  // Connections are closed on the I/O thread only.
  if (conn && m.started) asio::post(m.ioc, [conn, reason] { conn->Close(reason); });
}

}  // namespace circuledger::network
