#include "bench/http_conn.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>

namespace circuledger::bench {

using ledger::Status;

HttpConn::~HttpConn() {
  if (fd_ >= 0) ::close(fd_);
}

bool SplitAddress(const std::string& address, std::string* host, uint16_t* port) {
  const size_t colon = address.rfind(':');
  if (colon == std::string::npos) return false;
  *host = address.substr(0, colon);
  *port = static_cast<uint16_t>(std::stoul(address.substr(colon + 1)));
  return true;
}

Status HttpConn::Connect(const std::string& host, uint16_t port) {
  fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd_ < 0) return Status::IoError("socket: " + std::string(std::strerror(errno)));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  if (::inet_pton(AF_INET, host.c_str(), &addr.sin_addr) != 1) return Status::InvalidArgument("bad host " + host);
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    return Status::IoError("connect: " + std::string(std::strerror(errno)));
  }
  int one = 1;
  ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  timeval tv{30, 0};
  ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  return Status::Ok();
}

ledger::Result<HttpAnswer> HttpConn::Request(const std::string& method, const std::string& path,
                                             const std::string& body) {
  Queue(method, path, body);
  if (Status s = Flush(); !s.ok()) return s;
  return Receive();
}

void HttpConn::Queue(const std::string& method, const std::string& path, const std::string& body) {
  out_ += method + " " + path + " HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n";
  out_ += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n";
  out_ += body;
}

Status HttpConn::Flush() {
  for (size_t sent = 0; sent < out_.size();) {
    const ssize_t n = ::send(fd_, out_.data() + sent, out_.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return Status::IoError("send failed");
    sent += static_cast<size_t>(n);
  }
  out_.clear();
  return Status::Ok();
}

ledger::Result<HttpAnswer> HttpConn::Receive() {
  // Read the head, then Content-Length bytes of body.
  size_t head_end = std::string::npos;
  char chunk[16384];
  for (;;) {
    head_end = buffer_.find("\r\n\r\n");
    if (head_end != std::string::npos) break;
    const ssize_t n = ::recv(fd_, chunk, sizeof(chunk), 0);
    if (n <= 0) return Status::IoError("connection closed");
    buffer_.append(chunk, static_cast<size_t>(n));
  }
  HttpAnswer a;
  a.status = static_cast<unsigned>(std::stoul(buffer_.substr(9, 3)));
  size_t length = 0;
  const std::string head = buffer_.substr(0, head_end);
  for (const char* name : {"Content-Length: ", "content-length: "}) {
    const size_t p = head.find(name);
    if (p != std::string::npos) length = std::stoul(head.substr(p + std::strlen(name)));
  }
  const size_t total = head_end + 4 + length;
  while (buffer_.size() < total) {
    const ssize_t n = ::recv(fd_, chunk, sizeof(chunk), 0);
    if (n <= 0) return Status::IoError("connection closed in body");
    buffer_.append(chunk, static_cast<size_t>(n));
  }
  a.body = buffer_.substr(head_end + 4, length);
  buffer_.erase(0, total);
  return a;
}

std::optional<uint64_t> MetricValue(uint16_t port, const std::string& name) {
  HttpConn c;
  if (!c.Connect("127.0.0.1", port).ok()) return std::nullopt;
  ledger::Result<HttpAnswer> a = c.Request("GET", "/metrics");
  if (!a.ok()) return std::nullopt;
  const std::string key = "\n" + name + " ";  // the sample line, not # HELP/# TYPE
  const size_t p = a->body.find(key);
  if (p == std::string::npos) return std::nullopt;
  return std::stoull(a->body.substr(p + key.size()));
}

}  // namespace circuledger::bench
