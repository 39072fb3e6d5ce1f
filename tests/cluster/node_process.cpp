#include "tests/cluster/node_process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>
#include <vector>

#include "tests/cluster/files.h"
#include "tests/cluster/raw_http.h"

#ifndef CIRCULEDGER_NODE_BIN
#error "CIRCULEDGER_NODE_BIN must name the circuledgerd binary"
#endif

namespace circuledger::cluster {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

// "127.0.0.1:PORT\n" -> PORT; 0 while the file is missing or still being written.
uint16_t ReadApiPort(const fs::path& path) {
  const std::string s = ReadFile(path);
  const size_t colon = s.rfind(':');
  if (colon == std::string::npos || s.empty() || s.back() != '\n') return 0;
  unsigned port = 0;
  for (size_t i = colon + 1; i < s.size() && s[i] != '\n'; ++i) {
    if (s[i] < '0' || s[i] > '9') return 0;
    port = port * 10 + static_cast<unsigned>(s[i] - '0');
  }
  return port > 0 && port < 65536 ? static_cast<uint16_t>(port) : 0;
}

}  // namespace

NodeProcess::NodeProcess(NodeProcessOptions options)
    : options_(std::move(options)), home_(MakeTempDir("circuledger-cluster")) {
  const pid_t init =
      Spawn({"init", "--dev", "--home", home_, "--http", "127.0.0.1:0"}, home_ + "/init.log");
  const int code = WaitExit(init, std::chrono::seconds(20));
  if (code != 0) {
    if (code < 0) {
      ::kill(init, SIGKILL);
      WaitExit(init, std::chrono::seconds(5));
    }
    const std::string log = ReadFile(home_ + "/init.log");
    fs::remove_all(home_);
    throw std::runtime_error("circuledgerd init failed (exit " + std::to_string(code) +
                             "): " + log);
  }
  try {
    MergeConfig();
    Start();
  } catch (...) {
    // No destructor runs for a half-built object: clean up here.
    const char* keep = std::getenv("CIRCULEDGER_KEEP_CLUSTER_DIRS");
    std::error_code ec;
    if (keep == nullptr || std::string(keep) != "1") fs::remove_all(home_, ec);
    throw;
  }
}

NodeProcess::NodeProcess(ExistingHome home, NodeProcessOptions options)
    : options_(std::move(options)), home_(std::move(home.dir)), owns_home_(false) {
  MergeConfig();
  Start();
}

void NodeProcess::MergeConfig() const {
  std::ifstream in(home_ + "/config.json");
  nlohmann::json config = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
  if (!config.is_object()) Fail(home_ + "/config.json is not a JSON object");
  config.update(options_.config);
  std::ofstream(home_ + "/config.json", std::ios::trunc) << config.dump(2) << "\n";
}

NodeProcess::~NodeProcess() {
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    WaitExit(pid_, std::chrono::seconds(10));
    pid_ = -1;
  }
  if (!owns_home_) return;
  const char* keep = std::getenv("CIRCULEDGER_KEEP_CLUSTER_DIRS");
  std::error_code ec;
  if (keep == nullptr || std::string(keep) != "1") fs::remove_all(home_, ec);
}

pid_t NodeProcess::Spawn(const std::vector<std::string>& args, const std::string& log) const {
  std::vector<std::string> argv_s{CIRCULEDGER_NODE_BIN};
  argv_s.insert(argv_s.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& a : argv_s) argv.push_back(a.data());
  argv.push_back(nullptr);
  // Opened before fork: the child only dup2s and execs (async-signal-safe calls only).
  const int log_fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (log_fd < 0) throw std::runtime_error("cannot open " + log + ": " + std::strerror(errno));
  const int null_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) {
    ::close(log_fd);
    if (null_fd >= 0) ::close(null_fd);
    throw std::runtime_error(std::string("fork failed: ") + std::strerror(errno));
  }
  if (pid == 0) {
    // A node must not outlive the test binary (a crashed or timed-out test leaves no daemon).
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);
    if (null_fd >= 0) ::dup2(null_fd, 0);
    ::dup2(log_fd, 1);
    ::dup2(log_fd, 2);
    // Descriptors other threads of the test opened without O_CLOEXEC must not leak into the node.
    for (int fd = 3; fd < 1024; ++fd) ::close(fd);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  ::close(log_fd);
  if (null_fd >= 0) ::close(null_fd);
  return pid;
}

int NodeProcess::WaitExit(pid_t pid, std::chrono::milliseconds timeout) {
  const Clock::time_point deadline = Clock::now() + timeout;
  for (;;) {
    int status = 0;
    const pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid) {
      if (WIFEXITED(status)) return WEXITSTATUS(status);
      if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
      return 255;
    }
    if (r < 0 && errno != EINTR) return 255;  // not our child any more: nothing to wait for
    if (Clock::now() >= deadline) return -1;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

int NodeProcess::StartExpectingExit(const std::vector<std::string>& extra_args) {
  if (pid_ > 0) Fail("StartExpectingExit: the node is already running");
  {
    std::ofstream(home_ + "/node.log", std::ios::app)
        << "==== cluster test: starting circuledgerd, expecting it to refuse ====\n";
  }
  std::vector<std::string> args{"--home", home_};
  args.insert(args.end(), extra_args.begin(), extra_args.end());
  const pid_t pid = Spawn(args, home_ + "/node.log");
  const int code = WaitExit(pid, options_.start_timeout);
  if (code < 0) {
    ::kill(pid, SIGKILL);
    WaitExit(pid, std::chrono::seconds(10));
    Fail("circuledgerd was expected to refuse to start, but it still runs after " +
         std::to_string(options_.start_timeout.count()) + " ms");
  }
  return code;
}

void NodeProcess::Start(const std::vector<std::string>& extra_args) {
  if (pid_ > 0) Fail("Start: the node is already running");
  const fs::path address = fs::path(home_) / "api_address";
  std::error_code ec;
  fs::remove(address, ec);  // a stale address from the last run must not be mistaken for this one
  port_.store(0);
  {
    std::ofstream(home_ + "/node.log", std::ios::app)
        << "==== cluster test: starting circuledgerd ====\n";
  }
  std::vector<std::string> args{"--home", home_};
  args.insert(args.end(), extra_args.begin(), extra_args.end());
  pid_ = Spawn(args, home_ + "/node.log");
  const Clock::time_point deadline = Clock::now() + options_.start_timeout;
  for (;;) {
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      const int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      Fail("circuledgerd exited with code " + std::to_string(code) + " during start-up");
    }
    if (const uint16_t port = ReadApiPort(address); port != 0) {
      const RawResponse r = Get(port, "/v1/status", std::chrono::milliseconds(1000));
      if (r.ok() && r.status == 200) {
        port_.store(port);
        starts_.fetch_add(1);
        return;
      }
    }
    if (Clock::now() >= deadline) {
      ::kill(pid_, SIGKILL);
      WaitExit(pid_, std::chrono::seconds(10));
      pid_ = -1;
      Fail("circuledgerd did not serve /v1/status within " +
           std::to_string(options_.start_timeout.count()) + " ms");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

int NodeProcess::Stop() {
  if (pid_ <= 0) Fail("Stop: the node is not running");
  ::kill(pid_, SIGTERM);
  const int code = WaitExit(pid_, options_.stop_timeout);
  if (code < 0) {
    ::kill(pid_, SIGKILL);
    WaitExit(pid_, std::chrono::seconds(10));
    pid_ = -1;
    Fail("circuledgerd did not exit within " + std::to_string(options_.stop_timeout.count()) +
         " ms of SIGTERM");
  }
  pid_ = -1;
  port_.store(0);
  return code;
}

void NodeProcess::Kill() {
  if (pid_ <= 0) Fail("Kill: the node is not running");
  ::kill(pid_, SIGKILL);
  const int code = WaitExit(pid_, std::chrono::seconds(10));
  pid_ = -1;
  port_.store(0);
  if (code < 0) Fail("circuledgerd did not die within 10 s of SIGKILL");
}

void NodeProcess::Restart() {
  if (const int code = Stop(); code != 0)
    Fail("circuledgerd exited with " + std::to_string(code) + " on SIGTERM");
  Start();
}

std::string NodeProcess::Log() const { return ReadFile((fs::path(home_) / "node.log").string()); }

std::string NodeProcess::LogTail(size_t bytes) const {
  const std::string log = Log();
  return log.size() <= bytes ? log : "..." + log.substr(log.size() - bytes);
}

ledger::SecretKey NodeProcess::Key(const std::string& org) const {
  const fs::path dir =
      options_.keys_dir.empty() ? fs::path(home_) / "dev-keys" : fs::path(options_.keys_dir);
  std::string hex = ReadFile((dir / (org + ".key")).string());
  hex = hex.substr(0, hex.find_first_of(" \r\n"));
  std::optional<std::string> raw = ledger::HexDecode(hex);
  std::optional<ledger::SecretKey> key = raw ? ledger::SecretKey::FromBytes(*raw) : std::nullopt;
  if (!key) Fail("no usable dev key for org " + org);
  return *key;
}

void NodeProcess::Fail(const std::string& what) const {
  throw std::runtime_error(what + "\n---- " + home_ + "/node.log ----\n" + LogTail());
}

}  // namespace circuledger::cluster
