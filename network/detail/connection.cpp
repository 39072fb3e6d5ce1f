#include "network/detail/connection.h"

#include <boost/asio/connect.hpp>
#include <cassert>
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
      handshake_(/*initiator=*/outbound, ChainBinding(options.chain_id, options.genesis_hash), key, options.allowed),
      deadline_(Clock::now() + Ms(options.handshake_timeout_ms)),
      messages_(options.messages_per_s, options.message_burst, Clock::now()),
      bytes_(options.bytes_per_s, options.byte_burst, Clock::now()) {}

void Connection::Accept(tcp::socket socket) {
  socket_ = std::move(socket);
  Begin();
}

void Connection::Connect(const tcp::resolver::results_type& endpoints) {
  // Named after the first address tried until the connection is up, so a failed dial says where.
  if (!endpoints.empty()) {
    const tcp::endpoint first = endpoints.begin()->endpoint();
    address_ = first.address().to_string() + ":" + std::to_string(first.port());
  }
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
  if (outbound_) EnqueueLocal(MessageType::kHandshake, handshake_.Start(), /*seal=*/false);
  ReadHeader();
}

void Connection::ReadHeader() {
  const size_t n = recv_.has_key() ? limits::kSealedHeaderBytes : limits::kFrameHeaderBytes;
  asio::async_read(socket_, asio::buffer(header_.data(), n),
                   [self = shared_from_this()](const error_code& ec, size_t) { self->OnHeader(ec); });
}

void Connection::OnHeader(const error_code& ec) {
  if (state_ == State::kClosed) return;
  if (ec) return Fail(ec);
  const Clock::time_point now = Clock::now();
  last_read_ = now;
  std::string header(header_.data(), limits::kFrameHeaderBytes);
  const bool sealed = recv_.has_key();
  // A tag that does not verify: the bytes did not come from the peer's session (a relay or the
  // path changed them). Closed, and nobody banned for it.
  if (sealed && !recv_.Open({}, std::string_view(header_.data(), header_.size()), header)) {
    return Close(recv_.nonce() == noise::kMaxNonce ? DisconnectReason::kNonceExhausted : DisconnectReason::kDecryptFailed);
  }
  // The length is checked here, against the limit of its type, before any payload is allocated.
  ledger::Result<FrameHeader> h = ParseFrameHeader(header);
  if (!h.ok()) {
    return Close(h.status().reason() == ledger::Reject::kOversized ? DisconnectReason::kOversizedFrame
                                                                    : DisconnectReason::kBadFrame);
  }
  if (messages_.Take(1, now) < 0) return Close(DisconnectReason::kFlood);
  // Before the proof only handshake messages (under a hundred bytes) are read: an unregistered
  // peer must not make us buffer a block-sized frame, once per pending connection.
  if (state_ == State::kHandshake && !confirming_ && h->type != MessageType::kHandshake) {
    return Close(DisconnectReason::kUnexpectedMessage);
  }
  type_ = h->type;
  body_expected_ = h->payload_bytes + (sealed ? limits::kAeadTagBytes : 0);
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
  std::string payload;
  if (recv_.has_key()) {
    if (!recv_.Open({}, body_, payload)) {
      return Close(recv_.nonce() == noise::kMaxNonce ? DisconnectReason::kNonceExhausted
                                                      : DisconnectReason::kDecryptFailed);
    }
  } else {
    payload = std::move(body_);
  }
  body_ = std::string();
  const size_t frame_bytes = limits::kFrameHeaderBytes + payload.size();
  if (confirming_) {
    Established(/*confirm=*/false);  // the responder's first frame opened under our session: it accepted us
    if (state_ == State::kActive) HandleActive(type_, std::move(payload));
  } else if (state_ == State::kHandshake) {
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
  // Anything but a handshake message before the proof (an unregistered peer trying to inject)
  // was refused at its header.
  (void)type;
  Handshake::Step step = handshake_.OnMessage(payload);
  if (step.error != DisconnectReason::kNone) return Close(step.error);
  if (!step.reply.empty()) EnqueueLocal(MessageType::kHandshake, step.reply, /*seal=*/false);
  if (!step.done) return;
  // The key is proven: only now may it be refused for a ban, and only now is it ever banned.
  const DisconnectReason refused = owner_.CheckProvenKey(*handshake_.peer_key());
  if (refused != DisconnectReason::kNone) return Close(refused);
  noise::Session session = handshake_.Split();
  send_ = std::move(session.send);
  recv_ = std::move(session.recv);
  if (outbound_) {
    // The responder has yet to accept our key (message 3): we are up only once its first sealed
    // frame (the ping it sends on accepting, or anything its owner sent on peer-up) opens. Until
    // then we send nothing more.
    confirming_ = true;
    return;
  }
  // The ping tells the initiator we accepted it. It is queued before other threads may queue
  // theirs, so the initiator hears it first even when our owner has nothing to send.
  Established(/*confirm=*/true);
}

void Connection::Established(bool confirm) {
  confirming_ = false;
  authenticated_ = true;
  state_ = State::kActive;
  last_ping_ = Clock::now();
  {
    std::lock_guard<std::mutex> lock(queue_mu_);
    if (confirm) {
      PushLocked(std::make_shared<const std::string>(EncodeFrame(MessageType::kPing, EncodePing(Ping{++ping_nonce_}))),
                 /*seal=*/true);
    }
    accepting_frames_ = true;
  }
  owner_.OnAuthenticated(shared_from_this());
}

void Connection::HandleActive(MessageType type, std::string payload) {
  switch (type) {
    case MessageType::kHandshake: return Close(DisconnectReason::kUnexpectedMessage);
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
  return accepting_frames_ && PushLocked(frame, /*seal=*/true);
}

void Connection::EnqueueLocal(MessageType type, const std::string& payload, bool seal) {
  auto frame = std::make_shared<const std::string>(EncodeFrame(type, payload));
  std::lock_guard<std::mutex> lock(queue_mu_);
  // Our own handshake frames and pongs obey the queue bounds too: a peer that pings without
  // reading gets no pongs.
  PushLocked(frame, seal);
}

bool Connection::PushLocked(const FramePtr& frame, bool seal) {
  if (queue_.size() >= options_.send_queue_frames || queued_bytes_ + frame->size() > options_.send_queue_bytes) {
    ++dropped_;
    return false;
  }
  queue_.push_back(Outgoing{frame, seal});
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
  Outgoing out;
  bool flushed = false;
  {
    std::lock_guard<std::mutex> lock(queue_mu_);
    if (queue_.empty()) {
      writing_ = false;
      flushed = state_ == State::kRetiring;
    } else {
      out = queue_.front();
      write_started_ = Clock::now();
    }
  }
  if (flushed) return ShutdownSend();
  if (!out.frame) return;
  if (!out.seal) {
    return asio::async_write(socket_, asio::buffer(*out.frame), [self = shared_from_this(), frame = out.frame](
                                                                    const error_code& ec, size_t) { self->OnWritten(ec); });
  }
  // Header and payload each under the next nonce of this direction (a frame queued before the
  // session existed is not sealed: only our handshake messages are).
  assert(send_.has_key());  // sealed frames are queued only once the session exists
  const std::string_view frame(*out.frame);
  sealed_.clear();
  sealed_.reserve(frame.size() + limits::kSealedFrameOverheadBytes);
  if (!send_.Seal({}, frame.substr(0, limits::kFrameHeaderBytes), sealed_) ||
      !send_.Seal({}, frame.substr(limits::kFrameHeaderBytes), sealed_)) {
    return Close(DisconnectReason::kNonceExhausted);  // 2^64 - 1 frames: never reuse a nonce
  }
  asio::async_write(socket_, asio::buffer(sealed_),
                    [self = shared_from_this()](const error_code& ec, size_t) { self->OnWritten(ec); });
}

void Connection::OnWritten(const error_code& ec) {
  if (state_ == State::kClosed) return;
  if (ec) return Fail(ec);
  {
    std::lock_guard<std::mutex> lock(queue_mu_);
    queued_bytes_ -= queue_.front().frame->size();
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

PeerInfo Connection::Stats() const {
  std::lock_guard<std::mutex> lock(queue_mu_);
  PeerInfo info;
  info.key = handshake_.peer_key().value_or(ledger::PubKey{});
  info.address = address_;
  info.outbound = outbound_;
  info.queued_frames = queue_.size();
  info.queued_bytes = queued_bytes_;
  info.dropped_frames = dropped_;
  return info;
}

}  // namespace circuledger::network::detail
