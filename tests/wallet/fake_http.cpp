#include "tests/wallet/fake_http.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <stdexcept>

namespace circuledger::testing {

namespace {

std::string Reason(unsigned status) {
  switch (status) {
    case 200:
      return "OK";
    case 400:
      return "Bad Request";
    case 404:
      return "Not Found";
    case 500:
      return "Internal Server Error";
    case 503:
      return "Service Unavailable";
    default:
      return "Status";
  }
}

// Reads one request (head + Content-Length body); false on EOF or garbage.
bool ReadRequest(int fd, FakeRequest* req) {
  std::string data;
  char buf[4096];
  size_t head_end = std::string::npos;
  while ((head_end = data.find("\r\n\r\n")) == std::string::npos) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n <= 0) return false;
    data.append(buf, static_cast<size_t>(n));
  }
  const std::string head = data.substr(0, head_end);
  const size_t sp1 = head.find(' ');
  const size_t sp2 = head.find(' ', sp1 + 1);
  if (sp1 == std::string::npos || sp2 == std::string::npos) return false;
  req->method = head.substr(0, sp1);
  req->target = head.substr(sp1 + 1, sp2 - sp1 - 1);
  size_t length = 0;
  for (const char* name : {"Content-Length: ", "content-length: "}) {
    const size_t p = head.find(name);
    if (p != std::string::npos)
      length = std::strtoul(head.c_str() + p + std::string(name).size(), nullptr, 10);
  }
  std::string body = data.substr(head_end + 4);
  while (body.size() < length) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n <= 0) return false;
    body.append(buf, static_cast<size_t>(n));
  }
  req->body = body.substr(0, length);
  return true;
}

void WriteAll(int fd, const std::string& s) {
  size_t done = 0;
  while (done < s.size()) {
    const ssize_t n = ::write(fd, s.data() + done, s.size() - done);
    if (n <= 0) return;
    done += static_cast<size_t>(n);
  }
}

}  // namespace

FakeHttpServer::FakeHttpServer(Handler handler, bool silent)
    : handler_(std::move(handler)), silent_(silent) {
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  if (listen_fd_ < 0) throw std::runtime_error("socket");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::listen(listen_fd_, 16) != 0) {
    throw std::runtime_error("bind/listen");
  }
  socklen_t len = sizeof addr;
  ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
  port_ = ntohs(addr.sin_port);
  thread_ = std::thread([this] { Serve(); });
}

FakeHttpServer::~FakeHttpServer() {
  stop_ = true;
  thread_.join();
  ::close(listen_fd_);
}

std::vector<FakeRequest> FakeHttpServer::requests() const {
  std::lock_guard<std::mutex> lock(mu_);
  return requests_;
}

void FakeHttpServer::Serve() {
  while (!stop_) {
    pollfd p{listen_fd_, POLLIN, 0};
    if (::poll(&p, 1, 50) <= 0) continue;
    const int fd = ::accept(listen_fd_, nullptr, nullptr);
    if (fd < 0) continue;
    if (silent_) {
      held_.push_back(fd);
      continue;
    }
    FakeRequest req;
    if (ReadRequest(fd, &req)) {
      {
        std::lock_guard<std::mutex> lock(mu_);
        requests_.push_back(req);
      }
      const FakeResponse r = handler_(req);
      WriteAll(fd,
               "HTTP/1.1 " + std::to_string(r.status) + " " + Reason(r.status) +
                   "\r\nContent-Type: application/json\r\nConnection: close\r\nContent-Length: " +
                   std::to_string(r.body.size()) + "\r\n\r\n" + r.body);
    }
    ::close(fd);
  }
  for (int fd : held_) ::close(fd);
}

}  // namespace circuledger::testing
