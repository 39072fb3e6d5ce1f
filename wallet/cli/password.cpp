#include "wallet/cli/password.h"

#include <termios.h>
#include <unistd.h>

#include <csignal>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>

#include "wallet/keystore.h"

namespace circuledger::wallet::cli {

namespace {

// The terminal settings to restore if the user interrupts a prompt. A signal handler can reach
// only static state; this is the CLI's one such variable, set only while a prompt is open.
struct termios g_saved_termios;
volatile sig_atomic_t g_echo_off = 0;

extern "C" void RestoreTerminalAndExit(int sig) {
  if (g_echo_off) ::tcsetattr(STDIN_FILENO, TCSANOW, &g_saved_termios);
  std::signal(sig, SIG_DFL);
  std::raise(sig);
}

// Reads one line from the terminal on stdin with echo off.
Result<std::string> PromptNoEcho(std::string_view prompt) {
  std::cerr << prompt << std::flush;
  struct termios t;
  if (::tcgetattr(STDIN_FILENO, &t) != 0)
    return Status::InvalidArgument("cannot read the terminal settings");
  g_saved_termios = t;
  t.c_lflag &= ~static_cast<tcflag_t>(ECHO);
  t.c_lflag |= ECHONL;
  auto old_int = std::signal(SIGINT, RestoreTerminalAndExit);
  auto old_term = std::signal(SIGTERM, RestoreTerminalAndExit);
  g_echo_off = 1;
  ::tcsetattr(STDIN_FILENO, TCSANOW, &t);  // not TCSAFLUSH: keep type-ahead
  std::string line;
  const bool got = static_cast<bool>(std::getline(std::cin, line));
  ::tcsetattr(STDIN_FILENO, TCSANOW, &g_saved_termios);
  g_echo_off = 0;
  std::signal(SIGINT, old_int);
  std::signal(SIGTERM, old_term);
  if (!got) return Status::InvalidArgument("no input at the prompt");
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return line;
}

}  // namespace

Result<std::string> ReadPassword(const std::optional<std::string>& password_file,
                                 std::string_view prompt, bool confirm) {
  if (password_file) {
    std::ifstream in(*password_file);
    if (!in) return Status::InvalidArgument("cannot read password file " + *password_file);
    std::string line;
    std::getline(in, line);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    return line;
  }
  if (const char* env = std::getenv("CIRCULEDGER_PASSWORD")) return std::string(env);
  if (!::isatty(STDIN_FILENO)) {
    return Status::InvalidArgument(
        "a password is needed but stdin is not a terminal: use --password-file FILE or set "
        "CIRCULEDGER_PASSWORD");
  }
  Result<std::string> first = PromptNoEcho(prompt);
  if (!first.ok() || !confirm) return first;
  Result<std::string> second = PromptNoEcho("repeat the password: ");
  if (!second.ok()) {
    WipeString(*first);
    return second;
  }
  const bool same = *first == *second;
  WipeString(*second);
  if (!same) {
    WipeString(*first);
    return Status::InvalidArgument("the passwords do not match");
  }
  return first;
}

Result<std::string> ReadSecretHex(const std::optional<std::string>& file) {
  if (file) {
    std::ifstream in(*file);
    if (!in) return Status::InvalidArgument("cannot read " + *file);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
  }
  if (::isatty(STDIN_FILENO)) return PromptNoEcho("secret key (64 hex digits): ");
  std::ostringstream s;
  s << std::cin.rdbuf();
  return s.str();
}

}  // namespace circuledger::wallet::cli
