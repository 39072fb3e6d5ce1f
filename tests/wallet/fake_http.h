// tests/wallet/fake_http.h: a tiny HTTP/1.1 server on 127.0.0.1 for wallet client tests.
//
// Plain POSIX sockets, one thread, one request per connection: reads the head and a
// Content-Length body, calls the handler, writes its answer and closes. `silent` connections are
// accepted and never answered (to test timeouts). Owns its thread; stops in the destructor.
#pragma once

#include <atomic>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace circuledger::testing {

struct FakeRequest {
  std::string method;
  std::string target;
  std::string body;
};

struct FakeResponse {
  unsigned status = 200;
  std::string body;
};

class FakeHttpServer {
 public:
  using Handler = std::function<FakeResponse(const FakeRequest&)>;
  // silent: accept connections but never answer.
  explicit FakeHttpServer(Handler handler, bool silent = false);
  ~FakeHttpServer();
  FakeHttpServer(const FakeHttpServer&) = delete;
  FakeHttpServer& operator=(const FakeHttpServer&) = delete;

  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  // Every request received so far.
  std::vector<FakeRequest> requests() const;

 private:
  void Serve();

  Handler handler_;
  bool silent_ = false;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  mutable std::mutex mu_;
  std::vector<FakeRequest> requests_;  // guarded by mu_
  std::vector<int> held_;              // silent connections kept open; serve thread only
  std::thread thread_;
};

}  // namespace circuledger::testing
