#include "network/http_server.h"

#include <chrono>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/version.hpp>
#include <nlohmann/json.hpp>

#include "network/detail/accept_backoff.h"

namespace circuledger::network {

namespace beast = boost::beast;
namespace http = beast::http;
namespace asio = boost::asio;
using tcp = asio::ip::tcp;

HttpResponse JsonError(unsigned status, const std::string& code, const std::string& message) {
  nlohmann::json j;
  j["error"]["code"] = code;
  j["error"]["message"] = message;
  return HttpResponse{status, "application/json", j.dump()};
}

std::optional<std::string> PercentDecode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      out.push_back(s[i]);
      continue;
    }
    if (i + 2 >= s.size()) return std::nullopt;
    const int hi = hex(s[i + 1]);
    const int lo = hex(s[i + 2]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out.push_back(static_cast<char>(hi * 16 + lo));
    i += 2;
  }
  return out;
}

namespace {

// Bytes a connection buffers: a request header (at most kHeaderLimit) and one read's worth of
// what follows it. Bodies are moved into the parser as they arrive.
constexpr size_t kHeaderLimit = 16 * 1024;
constexpr size_t kReadChunk = 64 * 1024;
// Answers held back for a pipelining client are written once they reach this many bytes.
constexpr size_t kMaxHeldBytes = 64 * 1024;

// The status line and headers of an answer, then its body, as sent on the wire.
void AppendResponse(std::string& out, const HttpResponse& r, bool keep_alive) {
  out += "HTTP/1.1 ";
  out += std::to_string(r.status);
  out += ' ';
  const beast::string_view reason = http::obsolete_reason(http::int_to_status(r.status));
  out.append(reason.data(), reason.size());
  out += "\r\nServer: circuledgerd\r\nContent-Type: ";
  out += r.content_type;
  if (!keep_alive) out += "\r\nConnection: close";
  out += "\r\nContent-Length: ";
  out += std::to_string(r.body.size());
  out += "\r\n\r\n";
  out += r.body;
}

// One connection: parse what the client sent, answer every complete request in order, repeat
// while keep-alive. Owns its socket. The answers to requests that arrived together (a client
// pipelining) are written together once the buffered bytes are used up: one write and one
// wake-up of the client instead of one per request, which on loopback cost more than the request
// itself. A client that sends one request at a time gets each answer as soon as it is ready.
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, const HttpServerOptions& options, const HttpHandler& handler,
          std::atomic<size_t>& open)
      : stream_(std::move(socket)),
        buffer_(kHeaderLimit + kReadChunk),
        options_(options),
        handler_(handler),
        open_(open) {}
  ~Session() { open_.fetch_sub(1); }

  void Start(bool over_limit) {
    over_limit_ = over_limit;
    asio::dispatch(stream_.get_executor(), beast::bind_front_handler(&Session::NextRequest, shared_from_this()));
  }

 private:
  void NextRequest() {
    NewParser();
    Parse();
  }

  // A fresh parser; the whole request must arrive within timeout_ms from now.
  void NewParser() {
    parser_.emplace();
    parser_->body_limit(options_.max_body_bytes);
    parser_->header_limit(kHeaderLimit);
    parser_->eager(true);
    deadline_ = std::chrono::steady_clock::now() + std::chrono::milliseconds(options_.timeout_ms);
  }

  // Feeds the buffered bytes to the parser and answers each request they complete; writes the
  // held answers and reads more once they are used up.
  void Parse() {
    while (buffer_.size() > 0) {
      beast::error_code ec;
      const size_t used = parser_->put(buffer_.data(), ec);
      buffer_.consume(used);
      if (ec == http::error::need_more) break;
      if (ec == http::error::body_limit) {
        return Finish(JsonError(413, "body-too-large",
                                "request body over " + std::to_string(options_.max_body_bytes) + " bytes"));
      }
      if (ec) return Finish(JsonError(400, "bad-request", "malformed HTTP request: " + ec.message()));
      if (!parser_->is_done()) {
        if (used == 0) break;
        continue;
      }
      if (over_limit_) return Finish(JsonError(503, "busy", "too many connections"));
      if (!Answer()) return Flush();
      NewParser();
      if (held_.size() >= kMaxHeldBytes) return Flush(true);
    }
    Flush();
  }

  // Calls the handler for the parsed request and holds its answer. False: close afterwards.
  bool Answer() {
    auto& req = parser_->get();
    const bool keep_alive = req.keep_alive();
    HttpRequest r{std::string(req.method_string()), std::string(req.target()), std::move(req.body())};
    HttpResponse resp;
    try {
      resp = handler_(r);
    } catch (const std::exception& e) {
      resp = JsonError(500, "internal", e.what());
    }
    AppendResponse(held_, resp, keep_alive);
    close_ = !keep_alive;
    return keep_alive;
  }

  // A last answer (an error, or 503), then the connection closes.
  void Finish(const HttpResponse& r) {
    AppendResponse(held_, r, false);
    close_ = true;
    Flush();
  }

  // Writes the held answers, if any; then closes, parses on (parse_after: requests are still
  // buffered, the answers had reached kMaxHeldBytes), or reads.
  void Flush(bool parse_after = false) {
    if (held_.empty()) return close_ ? Close() : Read();
    stream_.expires_after(std::chrono::milliseconds(options_.timeout_ms));
    asio::async_write(stream_, asio::buffer(held_), [self = shared_from_this(), parse_after](beast::error_code ec, size_t) {
      self->held_.clear();
      if (ec || self->close_) return self->Close();
      if (parse_after) return self->Parse();
      self->Read();
    });
  }

  void Read() {
    const size_t room = std::min(kReadChunk, buffer_.max_size() - buffer_.size());
    // Cannot happen (the parser refuses a header over kHeaderLimit and takes body bytes as they
    // come), but a read into no room would complete at once, forever.
    if (room == 0) return Finish(JsonError(400, "bad-request", "request does not fit the buffer"));
    stream_.expires_at(deadline_);
    stream_.async_read_some(buffer_.prepare(room), [self = shared_from_this()](beast::error_code ec, size_t n) {
      self->buffer_.commit(n);
      if (ec == asio::error::eof && self->parser_->got_some()) {
        return self->Finish(JsonError(400, "bad-request", "malformed HTTP request: partial message"));
      }
      if (ec) return self->Close();  // end of stream, timeout, reset, server stopping
      self->Parse();
    });
  }

  void Close() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    stream_.socket().close(ec);
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::chrono::steady_clock::time_point deadline_;  // of the request being read
  std::string held_;  // answers not yet written, in request order
  bool close_ = false;  // after the held answers are written
  const HttpServerOptions& options_;
  const HttpHandler& handler_;
  std::atomic<size_t>& open_;
  bool over_limit_ = false;
};

}  // namespace

// One io_context per thread, each run by its own thread: a connection lives on one of them
// (round robin at accept), so its handlers never hop between threads and the threads do not
// wake each other (the api benchmark, back to back: 0.406 and 0.418 against 0.312 and 0.368 with
// one shared io_context). The price: a slow request (a large trace) delays the other connections
// of its thread, not those of the others. The acceptor runs on the first.
struct HttpServer::Impl {
  // Declared before the contexts: sessions still queued in them refer to these when they are
  // destroyed.
  HttpServerOptions options;
  HttpHandler handler;
  std::atomic<size_t> open{0};
  std::atomic<bool> stopped{false};
  std::vector<std::unique_ptr<asio::io_context>> contexts;
  std::vector<asio::executor_work_guard<asio::io_context::executor_type>> work;
  std::optional<tcp::acceptor> acceptor;
  size_t next_context = 0;  // used by the acceptor's handler only
  std::optional<asio::steady_timer> accept_pause;  // on the first context, beside the acceptor
  detail::AcceptBackoff accept_backoff;             // the acceptor's handler only
  std::atomic<uint64_t> accept_failures{0};
  std::vector<std::thread> threads;

  void Accept() {
    asio::io_context& target = *contexts[next_context++ % contexts.size()];
    acceptor->async_accept(target, [this](beast::error_code ec, tcp::socket socket) {
      if (ec) {
        if (ec == asio::error::operation_aborted || !acceptor->is_open()) return;
        if (!detail::IsResourceError(ec)) return Accept();  // e.g. a reset before accept
        // Out of descriptors, buffers or memory: pause instead of failing again at once.
        ++accept_failures;
        accept_pause->expires_after(std::chrono::milliseconds(accept_backoff.NextMs()));
        accept_pause->async_wait([this](const beast::error_code& wait_ec) {
          if (!wait_ec && acceptor->is_open()) Accept();
        });
        return;
      }
      accept_backoff.Reset();
      // Answers go out at once: with Nagle on, the second of two pipelined answers would wait
      // for the client's delayed ACK of the first (40 ms).
      beast::error_code ignored;
      socket.set_option(tcp::no_delay(true), ignored);
      const bool over = open.fetch_add(1) >= options.max_connections;
      std::make_shared<Session>(std::move(socket), options, handler, open)->Start(over);
      Accept();
    });
  }
};

HttpServer::HttpServer(const HttpServerOptions& options, HttpHandler handler) : impl_(new Impl) {
  impl_->options = options;
  impl_->handler = std::move(handler);
}

HttpServer::~HttpServer() { Stop(); }

ledger::Status HttpServer::Start() {
  const unsigned n = std::max(1u, impl_->options.threads);
  for (unsigned i = 0; i < n; ++i) {
    impl_->contexts.push_back(std::make_unique<asio::io_context>(1));
    impl_->work.push_back(asio::make_work_guard(*impl_->contexts.back()));
  }
  impl_->acceptor.emplace(*impl_->contexts[0]);
  impl_->accept_pause.emplace(*impl_->contexts[0]);
  tcp::acceptor& acceptor = *impl_->acceptor;
  beast::error_code ec;
  const auto address = asio::ip::make_address(impl_->options.host, ec);
  if (ec) return ledger::Status::InvalidArgument("bad listen address " + impl_->options.host);
  tcp::endpoint ep(address, impl_->options.port);
  acceptor.open(ep.protocol(), ec);
  if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind(ep, ec);
  if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return ledger::Status::IoError("cannot listen on " + impl_->options.host + ":" +
                                   std::to_string(impl_->options.port) + ": " + ec.message());
  }
  port_ = acceptor.local_endpoint().port();
  impl_->Accept();
  for (auto& context : impl_->contexts) {
    impl_->threads.emplace_back([&context] { context->run(); });
  }
  return ledger::Status::Ok();
}

void HttpServer::Stop() {
  if (!impl_ || impl_->stopped.exchange(true)) return;
  if (impl_->acceptor) {
    asio::post(*impl_->contexts[0], [this] {
      beast::error_code ec;
      impl_->acceptor->close(ec);
      impl_->accept_pause->cancel();
    });
  }
  for (auto& context : impl_->contexts) context->stop();
  for (std::thread& t : impl_->threads) t.join();
  impl_->threads.clear();
  impl_->work.clear();
}

uint64_t HttpServer::accept_failures() const { return impl_->accept_failures.load(); }

}  // namespace circuledger::network
