// tests/network/forked.h: runs a test body in a forked child, for the tests that exhaust the
// process's file descriptors (their lowered limit and the descriptors they hold die with the
// child, not with the test runner).
#pragma once

#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

namespace circuledger::network::test {

// False in sanitizer builds: UBSan checks a vptr by reading memory through a pipe
// (sanitizer_common's IsAccessibleMemoryRange), so with no descriptor left it reports a false
// "invalid vptr" and stops the process. The normal build runs the descriptor-exhaustion tests.
#if defined(__SANITIZE_ADDRESS__)
inline constexpr bool kCanExhaustDescriptors = false;
#else
inline constexpr bool kCanExhaustDescriptors = true;
#endif

// Runs `body` in a forked child and returns its exit code: body's result, 20 when it threw, -1
// when the child did not exit normally or could not be started or waited for.
template <class Body>
int RunForked(Body body) {
  const pid_t pid = ::fork();
  if (pid < 0) return -1;
  if (pid == 0) {
    int code = 20;
    try {
      code = body();
    } catch (...) {
    }
    ::_exit(code);
  }
  int status = 0;
  if (::waitpid(pid, &status, 0) != pid || !WIFEXITED(status)) return -1;
  return WEXITSTATUS(status);
}

}  // namespace circuledger::network::test
