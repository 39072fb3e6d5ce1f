// bench/cpu_time.h: CPU time used by this process (all its threads), user plus system.
//
// Beside wall time it shows how much of a run's cost is ours when other processes share the cores.
#pragma once

#include <sys/resource.h>
#include <time.h>

#include <chrono>
#include <thread>

namespace circuledger::bench {

inline double ProcessCpuSeconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  auto s = [](const timeval& t) {
    return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) * 1e-6;
  };
  return s(u.ru_utime) + s(u.ru_stime);
}

// System (kernel) CPU time of this process: page faults, file writes, futexes.
inline double ProcessSystemCpuSeconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_stime.tv_sec) + static_cast<double>(u.ru_stime.tv_usec) * 1e-6;
}

// Minor page faults of this process so far: first touches of memory it was given.
inline long ProcessMinorFaults() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_minflt;
}

// CPU time used by the calling thread.
inline double ThreadCpuSeconds() {
  timespec t{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) * 1e-9;
}

// Sleeps until the other threads of this process have stopped using the CPU (background work of
// LevelDB: memtable flushes, compactions), so what runs next has the cores to itself: a window of
// `window` in which the process used less than a tenth of one core. Gives up after `limit`.
// Returns the seconds waited.
inline double WaitUntilQuiet(std::chrono::microseconds window,
                             std::chrono::seconds limit = std::chrono::seconds(10)) {
  const auto start = std::chrono::steady_clock::now();
  const double window_s = std::chrono::duration<double>(window).count();
  for (;;) {
    const double cpu = ProcessCpuSeconds();
    std::this_thread::sleep_for(window);
    const auto now = std::chrono::steady_clock::now();
    if (ProcessCpuSeconds() - cpu < 0.1 * window_s || now - start > limit) {
      return std::chrono::duration<double>(now - start).count();
    }
  }
}

// A steady_clock time point in CLOCK_MONOTONIC seconds, the clock of `perf record -k
// CLOCK_MONOTONIC`: benchmarks print their timed window with it for `perf report --time`.
inline double MonotonicSeconds(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(t.time_since_epoch()).count();
}

}  // namespace circuledger::bench
