#include "tests/cluster/cli_runner.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "tests/cluster/files.h"

#ifndef CIRCULEDGER_CLI_BIN
#error "CIRCULEDGER_CLI_BIN must name the circuledger binary"
#endif

namespace circuledger::cluster {

using nlohmann::json;

using Clock = std::chrono::steady_clock;

std::string CliRun::Describe() const {
  std::string line = "circuledger";
  for (const std::string& a : args) line += " '" + a + "'";
  line += code < 0 ? "\n  timed out (killed)" : "\n  exit " + std::to_string(code);
  return line + "\n  stdout: " + out + "\n  stderr: " + err;
}

// Runs the CLI binary with `args` and exactly `env`. Output is drained while the child runs (a
// full pipe must not stall it); after `timeout` the child is SIGKILLed and the run has code -1.
CliRun RunCli(const std::vector<std::string>& args, const Env& env, std::chrono::milliseconds timeout) {
  CliRun run;
  run.args = args;
  std::vector<std::string> argv_s{CIRCULEDGER_CLI_BIN};
  argv_s.insert(argv_s.end(), args.begin(), args.end());
  std::vector<std::string> env_s;
  for (const auto& [k, v] : env) env_s.push_back(k + "=" + v);
  std::vector<char*> argv;
  std::vector<char*> envp;
  for (std::string& a : argv_s) argv.push_back(a.data());
  for (std::string& e : env_s) envp.push_back(e.data());
  argv.push_back(nullptr);
  envp.push_back(nullptr);

  int out_pipe[2];
  int err_pipe[2];
  if (::pipe2(out_pipe, O_CLOEXEC) != 0) throw std::runtime_error("pipe2 failed");
  if (::pipe2(err_pipe, O_CLOEXEC) != 0) {
    ::close(out_pipe[0]);
    ::close(out_pipe[1]);
    throw std::runtime_error("pipe2 failed");
  }
  const int null_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) {
    const std::string why = std::strerror(errno);
    for (int fd : {out_pipe[0], out_pipe[1], err_pipe[0], err_pipe[1], null_fd}) {
      if (fd >= 0) ::close(fd);
    }
    throw std::runtime_error("fork failed: " + why);
  }
  if (pid == 0) {
    // Async-signal-safe calls only from here on.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);
    if (null_fd >= 0) ::dup2(null_fd, 0);
    ::dup2(out_pipe[1], 1);
    ::dup2(err_pipe[1], 2);
    for (int fd = 3; fd < 1024; ++fd) ::close(fd);
    ::execve(argv[0], argv.data(), envp.data());
    ::_exit(127);
  }
  if (null_fd >= 0) ::close(null_fd);
  ::close(out_pipe[1]);
  ::close(err_pipe[1]);

  const Clock::time_point deadline = Clock::now() + timeout;
  pollfd fds[2] = {{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}};
  std::string* sinks[2] = {&run.out, &run.err};
  int open_fds = 2;
  bool killed = false;
  while (open_fds > 0) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) {
      ::kill(pid, SIGKILL);
      killed = true;
      break;
    }
    const int n = ::poll(fds, 2, static_cast<int>(left.count()));
    if (n < 0 && errno != EINTR) break;
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || (fds[i].revents & (POLLIN | POLLHUP | POLLERR)) == 0) continue;
      char buf[4096];
      const ssize_t got = ::read(fds[i].fd, buf, sizeof buf);
      if (got > 0) {
        sinks[i]->append(buf, static_cast<size_t>(got));
      } else if (got == 0 || errno != EINTR) {
        ::close(fds[i].fd);
        fds[i].fd = -1;  // poll ignores negative descriptors
        --open_fds;
      }
    }
  }
  for (pollfd& p : fds) {
    if (p.fd >= 0) ::close(p.fd);
  }
  // Both pipes closed: the child has exited or is about to; still bounded.
  for (;;) {
    int status = 0;
    const pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid) {
      run.code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      break;
    }
    if (r < 0 && errno != EINTR) break;
    if (!killed && Clock::now() >= deadline) {
      ::kill(pid, SIGKILL);
      killed = true;
    }
    if (Clock::now() >= deadline + std::chrono::seconds(10)) break;  // unkillable: give up
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  if (killed) run.code = -1;
  return run;
}

Env Wallet::BaseEnv() const {
  return {{"HOME", node_.home()},
          {"CIRCULEDGER_NODE", "http://127.0.0.1:" + std::to_string(node_.port())},
          {"CIRCULEDGER_KEYSTORE", keystore_},
          {"CIRCULEDGER_PASSWORD", kCliPassword}};
}

json Wallet::Ok(std::vector<std::string> args) const {
  args.push_back("--json");
  const CliRun r = Run(args);
  INFO(r.Describe());
  REQUIRE(r.code == 0);
  json j = r.Json();
  REQUIRE(j.is_object());
  return j;
}

json Wallet::Commit(const std::vector<std::string>& args) const {
  json tx = Ok(args);
  INFO(tx.dump());
  REQUIRE(tx.value("status", "") == "committed");
  REQUIRE(tx.at("id").get<std::string>().size() == 64);
  return tx;
}

void Wallet::Import(const std::string& org, const Env& env) const {
  const std::string file = node_.home() + "/dev-keys/" + org + ".key";
  const CliRun r = RunCli({"key", "import", org, "--file", file, "--json"}, env);
  INFO(r.Describe());
  REQUIRE(r.code == 0);
  const json j = r.Json();
  CHECK(j.value("name", "") == org);
  CHECK(j.value("public_key", "") == node_.Key(org).Public().ToHex());
  // The secret never appears in the output.
  std::string secret = ReadFile(file);
  secret = secret.substr(0, secret.find_first_of(" \r\n"));
  CHECK(r.out.find(secret) == std::string::npos);
  CHECK(r.err.find(secret) == std::string::npos);
}

}  // namespace circuledger::cluster
