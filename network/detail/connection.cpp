#include "network/detail/connection.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>

#include "network/messages.h"

namespace circuledger::network::detail {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using boost::system::error_code;

namespace {

std::chrono::milliseconds Ms(uint64_t ms) { return std::chrono::milliseconds(ms); }

}  // namespace

Connection::Connection(asio::io_context& ioc, const P2pOptions& options, const ledger::SecretKey& key,
                       ConnectionOwner& owner, bool outbound)
    : socket_(ioc),
      throttle_(ioc),
      options_(options),
      owner_(owner),
      outbound_(outbound),
      handshake_(options.chain_id, key, options.allowed),
      deadline_(Clock::now() + Ms(options.handshake_timeout_ms)),
      messages_(options.messages_per_s, options.message_burst, Clock::now()),
      bytes_(options.bytes_per_s, options.byte_burst, Clock::now()) {}

void Connection::Accept(tcp::socket socket) {
  socket_ = std::move(socket);
  Begin();
}

void Connection::Connect(const tcp::resolver::results_type& endpoints) {
  asio::async_connect(socket_, endpoints, [self = shared_from_this()](const error_code& ec, const tcp::endpoint&) {
    if (self->state_ == State::kClosed) return;
    if (ec) return self->Close(DisconnectReason::kIoError);
    self->Begin();
  });
}

void Connection::Begin() {
  error_code ec;
  const tcp::endpoint remote = socket_.remote_endpoint(ec);
  if (ec) return Close(DisconnectReason::kIoError);
  ip_ = remote.address().to_string();
  address_ = ip_ + ":" + std::to_string(remote.port());
  socket_.set_option(tcp::no_delay(true), ec);
  state_ = State::kHandshake;
  last_read_ = Clock::now();
  EnqueueLocal(MessageType::kHello, EncodeHello(handshake_.our_hello()));
  ReadHeader();
}

void Connection::ReadHeader() {
  asio::async_read(socket_, asio::buffer(header_),
                   [self = shared_from_this()](const error_code& ec, size_t) { self->OnHeader(ec); });
}

void Connection::OnHeader(const error_code& ec) {
  if (state_ == State::kClosed) return;
  if (ec) return Fail(ec);
  const Clock::time_point now = Clock::now();
  last_read_ = now;
  // The length is checked here, against the limit of its type, before any payload is allocated.
  ledger::Result<FrameHeader> h = ParseFrameHeader(std::string_view(header_.data(), header_.size()));
  if (!h.ok()) {
    return Close(h.status().reason() == ledger::Reject::kOversized ? DisconnectReason::kOversizedFrame
                                                                    : DisconnectReason::kBadFrame);
  }
  if (messages_.Take(1, now) < 0) return Close(DisconnectReason::kFlood);
  // Before the proof only hello and auth (about a hundred bytes) are read: an unregistered peer
  // must not make us buffer a block-sized frame, once per pending connection.
  if (state_ == State::kHandshake && h->type != MessageType::kHello && h->type != MessageType::kAuth) {
    return Close(DisconnectReason::kUnexpectedMessage);
  }
  type_ = h->type;
  body_expected_ = h->payload_bytes;
  body_.clear();
  if (body_expected_ == 0) return OnFrame();
  ReadBody();
}

void Connection::ReadBody() {
  // Grow the buffer with what arrives: a peer that announces a big frame and stalls holds at
  // most one chunk more than it sent.
  const size_t got = body_.size();
  const size_t chunk = std::min(limits::kReadChunkBytes, body_expected_ - got);
  body_.resize(got + chunk);
  asio::async_read(socket_, asio::buffer(body_.data() + got, chunk),
                   [self = shared_from_this()](const error_code& ec, size_t) {
                     if (self->state_ == State::kClosed) return;
                     if (ec) return self->Fail(ec);
                     self->last_read_ = Clock::now();
                     if (self->body_.size() < self->body_expected_) return self->ReadBody();
                     self->OnFrame();
                   });
}

void Connection::OnFrame() {
  std::string payload = std::move(body_);
  body_ = std::string();
  const size_t frame_bytes = limits::kFrameHeaderBytes + payload.size();
  if (state_ == State::kHandshake) {
    HandleHandshake(type_, payload);
  } else {
    HandleActive(type_, std::move(payload));
  }
  if (state_ == State::kClosed) return;
  // Bytes over the rate pause reading (TCP pushes back on the peer) instead of banning it.
  if (bytes_.Take(frame_bytes, Clock::now()) >= 0) return ReadHeader();
  throttle_.expires_after(Ms(bytes_.DeficitMs()));
  throttle_.async_wait([self = shared_from_this()](const error_code& ec) {
    if (ec || self->state_ == State::kClosed) return;
    self->ReadHeader();
  });
}

void Connection::HandleHandshake(MessageType type, const std::string& payload) {
  if (type == MessageType::kHello) {
    ledger::Result<Hello> hello = DecodeHello(payload);
    if (!hello.ok()) {
      return Close(hello.status().reason() == ledger::Reject::kUnknownVersion ? DisconnectReason::kIncompatibleVersion
                                                                              : DisconnectReason::kBadMessage);
    }
    Handshake::Step step = handshake_.OnHello(*hello);
    if (step.error != DisconnectReason::kNone) return Close(step.error);
    const DisconnectReason refused = owner_.CheckClaimedKey(hello->node_key);
    if (refused != DisconnectReason::kNone) return Close(refused);
    return EnqueueLocal(MessageType::kAuth, EncodeAuth(step.auth));
  }
  if (type == MessageType::kAuth && handshake_.got_hello()) {
    ledger::Result<Auth> auth = DecodeAuth(payload);
    if (!auth.ok()) return Close(DisconnectReason::kBadMessage);
    const DisconnectReason bad = handshake_.OnAuth(*auth);
    if (bad != DisconnectReason::kNone) return Close(bad);
    authenticated_ = true;
    state_ = State::kActive;
    last_ping_ = Clock::now();
    {
      std::lock_guard<std::mutex> lock(queue_mu_);
      accepting_frames_ = true;
    }
    return owner_.OnAuthenticated(shared_from_this());
  }
  // Anything else before the proof (an unregistered peer trying to inject) is a violation.
  Close(DisconnectReason::kUnexpectedMessage);
}

void Connection::HandleActive(MessageType type, std::string payload) {
  switch (type) {
    case MessageType::kHello:
    case MessageType::kAuth: return Close(DisconnectReason::kUnexpectedMessage);
    case MessageType::kPing:
    case MessageType::kPong:
      if (!DecodePing(payload).ok()) return Close(DisconnectReason::kBadMessage);
      if (type == MessageType::kPing && state_ == State::kActive) EnqueueLocal(MessageType::kPong, payload);
      return;
    default: break;
  }
  if (!CheckPayload(type, payload).ok()) return Close(DisconnectReason::kBadMessage);
  owner_.OnAppMessage(*this, type, std::move(payload));
}

bool Connection::Enqueue(const FramePtr& frame) {
  std::lock_guard<std::mutex> lock(queue_mu_);
  return accepting_frames_ && PushLocked(frame);
}

void Connection::EnqueueLocal(MessageType type, const std::string& payload) {
  auto frame = std::make_shared<const std::string>(EncodeFrame(type, payload));
  std::lock_guard<std::mutex> lock(queue_mu_);
  // Our own handshake frames and pongs obey the queue bounds too: a peer that pings without
  // reading gets no pongs.
  PushLocked(frame);
}

bool Connection::PushLocked(const FramePtr& frame) {
  if (queue_.size() >= options_.send_queue_frames || queued_bytes_ + frame->size() > options_.send_queue_bytes) {
    ++dropped_;
    return false;
  }
  queue_.push_back(frame);
  queued_bytes_ += frame->size();
  if (!writing_) {
    writing_ = true;
    write_started_ = Clock::now();
    asio::post(socket_.get_executor(), [self = shared_from_this()] { self->StartWrite(); });
  }
  return true;
}

void Connection::StartWrite() {
  if (state_ == State::kClosed) return;
  FramePtr frame;
  bool flushed = false;
  {
    std::lock_guard<std::mutex> lock(queue_mu_);
    if (queue_.empty()) {
      writing_ = false;
      flushed = state_ == State::kRetiring;
    } else {
      frame = queue_.front();
      write_started_ = Clock::now();
    }
  }
  if (flushed) return ShutdownSend();
  if (!frame) return;
  asio::async_write(socket_, asio::buffer(*frame),
                    [self = shared_from_this(), frame](const error_code& ec, size_t) { self->OnWritten(ec); });
}

void Connection::OnWritten(const error_code& ec) {
  if (state_ == State::kClosed) return;
  if (ec) return Fail(ec);
  {
    std::lock_guard<std::mutex> lock(queue_mu_);
    queued_bytes_ -= queue_.front()->size();
    queue_.pop_front();
  }
  StartWrite();
}

void Connection::Retire() {
  if (state_ == State::kClosed || state_ == State::kRetiring) return;
  state_ = State::kRetiring;
  deadline_ = Clock::now() + Ms(options_.retire_timeout_ms);
  bool idle = false;
  {
    std::lock_guard<std::mutex> lock(queue_mu_);
    accepting_frames_ = false;
    idle = !writing_;
  }
  if (idle) ShutdownSend();
}

void Connection::ShutdownSend() {
  error_code ec;
  socket_.shutdown(tcp::socket::shutdown_send, ec);
}

void Connection::Fail(const error_code& ec) {
  if (ec == asio::error::eof) {
    return Close(state_ == State::kRetiring ? DisconnectReason::kDuplicate : DisconnectReason::kClosedByPeer);
  }
  Close(ec == asio::error::operation_aborted ? DisconnectReason::kShutdown : DisconnectReason::kIoError);
}

void Connection::Close(DisconnectReason reason) {
  if (state_ == State::kClosed) return;
  state_ = State::kClosed;
  {
    std::lock_guard<std::mutex> lock(queue_mu_);
    accepting_frames_ = false;
    queue_.clear();  // a write in flight keeps its own reference to its frame
    queued_bytes_ = 0;
  }
  error_code ec;
  socket_.close(ec);
  throttle_.cancel();
  owner_.OnClosed(*this, reason);
}

void Connection::OnTick(Clock::time_point now) {
  switch (state_) {
    case State::kConnecting:
    case State::kHandshake:
      if (now > deadline_) Close(DisconnectReason::kHandshakeTimeout);
      return;
    case State::kRetiring:
      if (now > deadline_) Close(DisconnectReason::kDuplicate);
      return;
    case State::kClosed: return;
    case State::kActive: break;
  }
  if (now - last_read_ > Ms(options_.idle_timeout_ms)) return Close(DisconnectReason::kIdleTimeout);
  bool stalled = false;
  {
    std::lock_guard<std::mutex> lock(queue_mu_);
    stalled = writing_ && !queue_.empty() && now - write_started_ > Ms(options_.write_timeout_ms);
  }
  if (stalled) return Close(DisconnectReason::kWriteTimeout);
  if (now - last_ping_ >= Ms(options_.ping_interval_ms)) {
    last_ping_ = now;
    EnqueueLocal(MessageType::kPing, EncodePing(Ping{++ping_nonce_}));
  }
}

std::optional<ledger::PubKey> Connection::peer_key() const {
  if (!handshake_.got_hello()) return std::nullopt;
  return handshake_.peer_key();
}

PeerInfo Connection::Stats() const {
  std::lock_guard<std::mutex> lock(queue_mu_);
  PeerInfo info;
  info.key = handshake_.peer_key();
  info.address = address_;
  info.outbound = outbound_;
  info.queued_frames = queue_.size();
  info.queued_bytes = queued_bytes_;
  info.dropped_frames = dropped_;
  return info;
}

}  // namespace circuledger::network::detail
