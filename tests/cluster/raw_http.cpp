#include "tests/cluster/raw_http.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <optional>

namespace circuledger::cluster {

namespace {

using Clock = std::chrono::steady_clock;

// Closes the descriptor on scope exit.
struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

int MsLeft(Clock::time_point deadline) {
  const auto left =
      std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return static_cast<int>(std::max<int64_t>(0, left));
}

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

// Parses what has arrived. Returns true when `in` holds a complete response (or, at EOF, when
// the headers are complete and no Content-Length bounds the body).
bool TryParse(const std::string& in, bool eof, RawResponse& out) {
  const size_t end = in.find("\r\n\r\n");
  if (end == std::string::npos) return false;
  const std::string head = in.substr(0, end);
  if (head.compare(0, 5, "HTTP/") != 0) return false;
  const size_t sp = head.find(' ');
  if (sp == std::string::npos || sp + 4 > head.size()) return false;
  int status = 0;
  for (size_t i = sp + 1; i < sp + 4; ++i) {
    if (head[i] < '0' || head[i] > '9') return false;
    status = status * 10 + (head[i] - '0');
  }
  std::optional<size_t> length;
  const std::string lower = Lower(head);
  if (size_t cl = lower.find("\r\ncontent-length:"); cl != std::string::npos) {
    size_t p = cl + 17;
    while (p < lower.size() && lower[p] == ' ') ++p;
    size_t n = 0;
    while (p < lower.size() && lower[p] >= '0' && lower[p] <= '9')
      n = n * 10 + static_cast<size_t>(lower[p++] - '0');
    length = n;
  }
  const size_t body_start = end + 4;
  const size_t have = in.size() - body_start;
  if (length ? have < *length : !eof) return false;
  out.status = status;
  out.headers = head;
  out.body = in.substr(body_start, length ? *length : std::string::npos);
  out.outcome = RawResponse::Outcome::kOk;
  return true;
}

RawResponse Failed(RawResponse::Outcome outcome, std::string error,
                   const std::string& partial = {}) {
  RawResponse r;
  r.outcome = outcome;
  r.error = std::move(error);
  r.body = partial;
  return r;
}

}  // namespace

nlohmann::json RawResponse::Json() const {
  nlohmann::json j = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  return j.is_discarded() ? nlohmann::json() : j;
}

std::string RawResponse::Describe() const {
  switch (outcome) {
    case Outcome::kOk:
      return std::to_string(status) + " " + body.substr(0, 2000);
    case Outcome::kConnectFailed:
      return "connect failed: " + error;
    case Outcome::kClosed:
      return "closed: " + error + (body.empty() ? "" : " after [" + body.substr(0, 200) + "]");
    case Outcome::kTimeout:
      return "timeout: " + error;
  }
  return "?";
}

RawResponse SendRaw(uint16_t port, std::string_view bytes, const RawOptions& options) {
  const Clock::time_point deadline = Clock::now() + options.timeout;
  Fd s{::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0)};
  if (s.fd < 0)
    return Failed(RawResponse::Outcome::kConnectFailed,
                  std::string("socket: ") + std::strerror(errno));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(s.fd, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) != 0) {
    if (errno != EINPROGRESS)
      return Failed(RawResponse::Outcome::kConnectFailed, std::strerror(errno));
    pollfd p{s.fd, POLLOUT, 0};
    if (::poll(&p, 1, MsLeft(deadline)) <= 0)
      return Failed(RawResponse::Outcome::kConnectFailed, "connect timed out");
    int err = 0;
    socklen_t len = sizeof(err);
    ::getsockopt(s.fd, SOL_SOCKET, SO_ERROR, &err, &len);
    if (err != 0) return Failed(RawResponse::Outcome::kConnectFailed, std::strerror(err));
  }

  size_t sent = 0;
  bool write_done = false;
  bool send_failed = false;
  auto finish_write = [&] {
    write_done = true;
    if (options.half_close && !send_failed) ::shutdown(s.fd, SHUT_WR);
  };
  if (bytes.empty()) finish_write();
  std::string in;
  char buf[64 * 1024];
  for (;;) {
    const int left = MsLeft(deadline);
    if (left == 0) return Failed(RawResponse::Outcome::kTimeout, "no complete answer in time", in);
    pollfd p{s.fd, static_cast<short>(POLLIN | (write_done ? 0 : POLLOUT)), 0};
    const int ready = ::poll(&p, 1, left);
    if (ready < 0 && errno != EINTR)
      return Failed(RawResponse::Outcome::kClosed, std::strerror(errno), in);
    if (ready <= 0) continue;
    // Read first: an early answer (413) matters more than the rest of our body.
    if (p.revents & (POLLIN | POLLHUP | POLLERR)) {
      const ssize_t n = ::recv(s.fd, buf, sizeof(buf), 0);
      RawResponse r;
      r.send_failed = send_failed;
      if (n > 0) {
        in.append(buf, static_cast<size_t>(n));
        if (TryParse(in, false, r)) return r;
      } else if (n == 0) {
        if (TryParse(in, true, r)) return r;
        RawResponse f =
            Failed(RawResponse::Outcome::kClosed, "end of stream before a complete answer", in);
        f.send_failed = send_failed;
        return f;
      } else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
        RawResponse f = Failed(RawResponse::Outcome::kClosed, std::strerror(errno), in);
        f.send_failed = send_failed;
        return f;
      }
    }
    if (!write_done && (p.revents & POLLOUT)) {
      const ssize_t n = ::send(s.fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
      if (n > 0) {
        sent += static_cast<size_t>(n);
        if (sent == bytes.size()) finish_write();
      } else if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
        // The server stopped reading (EPIPE / ECONNRESET): keep reading what it answered.
        send_failed = true;
        finish_write();
      }
    }
  }
}

RawResponse Request(uint16_t port, const std::string& method, const std::string& target,
                    std::string_view body, std::chrono::milliseconds timeout) {
  std::string req = method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) +
                    "\r\nConnection: close\r\n";
  if (!body.empty() || method == "POST" || method == "PUT") {
    req +=
        "Content-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) + "\r\n";
  }
  req += "\r\n";
  req.append(body);
  RawOptions o;
  o.timeout = timeout;
  return SendRaw(port, req, o);
}

RawResponse Get(uint16_t port, const std::string& target, std::chrono::milliseconds timeout) {
  return Request(port, "GET", target, {}, timeout);
}

RawResponse Post(uint16_t port, const std::string& target, std::string_view body,
                 std::chrono::milliseconds timeout) {
  return Request(port, "POST", target, body, timeout);
}

std::string PercentEncode(std::string_view s) {
  static const char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    const bool keep = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                      c == '-' || c == '.' || c == '_' || c == '~';
    if (keep) {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

}  // namespace circuledger::cluster
