#include "wallet/client.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <charconv>
#include <chrono>

namespace circuledger::wallet {

namespace beast = boost::beast;
namespace http = boost::beast::http;
namespace net = boost::asio;
using tcp = boost::asio::ip::tcp;
using nlohmann::json;

namespace {

bool IsUnreserved(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~';
}

Status BadUrl(std::string_view url, const std::string& why) {
  return Status::InvalidArgument("bad node URL \"" + std::string(url) + "\": " + why);
}

std::string Describe(const beast::error_code& ec) {
  if (ec == beast::error::timeout) return "timed out";
  if (ec == http::error::body_limit) return "response body over the limit";
  return ec.message();
}

}  // namespace

std::string PercentEncode(std::string_view segment) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(segment.size());
  for (char ch : segment) {
    const auto c = static_cast<unsigned char>(ch);
    if (IsUnreserved(c)) {
      out.push_back(ch);
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0xf]);
    }
  }
  return out;
}

Result<BaseUrl> ParseBaseUrl(std::string_view url) {
  constexpr std::string_view kScheme = "http://";
  if (url.substr(0, 8) == "https://") {
    return BadUrl(url,
                  "https is not supported: the node API speaks plain http on loopback (use a local "
                  "TLS proxy)");
  }
  if (url.substr(0, kScheme.size()) != kScheme) return BadUrl(url, "must start with http://");
  std::string_view rest = url.substr(kScheme.size());
  const size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  std::string_view prefix =
      slash == std::string_view::npos ? std::string_view() : rest.substr(slash);
  while (!prefix.empty() && prefix.back() == '/') prefix.remove_suffix(1);
  if (authority.find('@') != std::string_view::npos)
    return BadUrl(url, "user information is not supported");
  if (url.find_first_of("?# ") != std::string_view::npos)
    return BadUrl(url, "no query, fragment or spaces allowed");
  BaseUrl out;
  std::string_view port;
  if (!authority.empty() && authority.front() == '[') {
    const size_t close = authority.find(']');
    if (close == std::string_view::npos) return BadUrl(url, "unclosed '['");
    out.host = std::string(authority.substr(1, close - 1));
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return BadUrl(url, "expected ':' after ']'");
      port = after.substr(1);
      if (port.empty()) return BadUrl(url, "empty port");
    }
  } else {
    const size_t colon = authority.find(':');
    out.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) {
      port = authority.substr(colon + 1);
      if (port.empty()) return BadUrl(url, "empty port");
    }
  }
  if (out.host.empty()) return BadUrl(url, "no host");
  if (port.empty()) port = "80";
  unsigned value = 0;
  auto [p, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (ec != std::errc() || p != port.data() + port.size() || value == 0 || value > 65535) {
    return BadUrl(url, "bad port \"" + std::string(port) + "\"");
  }
  out.port = std::to_string(value);
  out.prefix = std::string(prefix);
  return out;
}

Result<Client> Client::Create(ClientOptions options) {
  Result<BaseUrl> url = ParseBaseUrl(options.base_url);
  if (!url.ok()) return url.status();
  return Client(std::move(options), std::move(*url));
}

Result<HttpReply> Client::Get(std::string_view path) const { return Request(false, path, {}); }

Result<HttpReply> Client::Post(std::string_view path, const json& body) const {
  return Request(true, path, body.dump());
}

Result<HttpReply> Client::Request(bool post, std::string_view path, std::string body) const {
  using Clock = std::chrono::steady_clock;
  const std::string where = options_.base_url;
  auto fail = [&](const std::string& what, const beast::error_code& ec) {
    return Status::Unavailable("node " + where + ": " + what + ": " + Describe(ec));
  };
  net::io_context ioc;
  tcp::resolver resolver(ioc);
  beast::tcp_stream stream(ioc);
  beast::error_code ec;
  const Clock::time_point connect_deadline =
      Clock::now() + std::chrono::milliseconds(options_.connect_timeout_ms);

  // Resolve and connect within the connect timeout. tcp_stream deadlines cover the connect; the
  // resolver gets its own bound through run_until.
  tcp::resolver::results_type endpoints;
  bool resolved = false;
  resolver.async_resolve(url_.host, url_.port,
                         [&](const beast::error_code& e, tcp::resolver::results_type r) {
                           ec = e;
                           endpoints = std::move(r);
                           resolved = true;
                         });
  ioc.run_until(connect_deadline);
  if (!resolved) {
    resolver.cancel();
    ioc.restart();
    ioc.run();
    return fail("cannot resolve " + url_.host, beast::error::timeout);
  }
  if (ec) return fail("cannot resolve " + url_.host, ec);
  stream.expires_at(connect_deadline);
  stream.async_connect(endpoints,
                       [&](const beast::error_code& e, const tcp::endpoint&) { ec = e; });
  ioc.restart();
  ioc.run();
  if (ec) return fail("cannot connect", ec);

  const std::string target = url_.prefix + std::string(path);
  http::request<http::string_body> req{post ? http::verb::post : http::verb::get, target, 11};
  const bool v6 = url_.host.find(':') != std::string::npos;
  req.set(http::field::host, (v6 ? "[" + url_.host + "]" : url_.host) + ":" + url_.port);
  req.set(http::field::user_agent, "circuledger-wallet/0.1");
  req.set(http::field::accept, "application/json");
  req.keep_alive(false);
  if (post) {
    req.set(http::field::content_type, "application/json");
    req.body() = std::move(body);
  }
  req.prepare_payload();

  // One deadline for the whole exchange: a node that trickles bytes cannot hold us forever.
  stream.expires_after(std::chrono::milliseconds(options_.request_timeout_ms));
  http::async_write(stream, req, [&](const beast::error_code& e, size_t) { ec = e; });
  ioc.restart();
  ioc.run();
  if (ec) return fail("cannot send " + target, ec);

  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(options_.max_body_bytes);
  // Header first, then the body: Boost 1.74's parser drops the body_limit error of a
  // Content-Length when the header and body arrive in one read in eager mode (async_read), so a
  // single async_read would accept any size. async_read_header returns that error reliably.
  for (int part = 0; part < 2 && !ec; ++part) {
    if (part == 0) {
      http::async_read_header(stream, buffer, parser,
                              [&](const beast::error_code& e, size_t) { ec = e; });
    } else {
      http::async_read(stream, buffer, parser, [&](const beast::error_code& e, size_t) { ec = e; });
    }
    ioc.restart();
    ioc.run();
  }
  if (ec) return fail("no valid answer to " + target, ec);
  beast::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_both, ignored);

  HttpReply reply;
  reply.status = parser.get().result_int();
  reply.raw = std::move(parser.get().body());
  if (!reply.raw.empty()) {
    reply.body = json::parse(reply.raw, nullptr, /*allow_exceptions=*/false);
    if (reply.body.is_discarded()) reply.body = nullptr;
  }
  return reply;
}

std::pair<std::string, std::string> ApiError(const HttpReply& reply) {
  if (reply.body.is_object()) {
    auto it = reply.body.find("error");
    if (it != reply.body.end() && it->is_object()) {
      const json& e = *it;
      std::string code =
          e.contains("code") && e["code"].is_string() ? e["code"].get<std::string>() : "";
      std::string message =
          e.contains("message") && e["message"].is_string() ? e["message"].get<std::string>() : "";
      if (!code.empty()) return {std::move(code), std::move(message)};
    }
  }
  return {"http-" + std::to_string(reply.status), reply.raw.substr(0, 200)};
}

}  // namespace circuledger::wallet
