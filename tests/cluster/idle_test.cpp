// A node with nothing to do sleeps (tag [cluster][idle]): a dev validator (no transport) and a
// 4-validator testnet without empty blocks use almost no CPU while no transaction arrives. Guards
// against a consensus loop whose wake-up deadline stays in the past (it spun a core once).
#include <catch2/catch.hpp>
#include <fstream>
#include <sstream>
#include <thread>
#include <unistd.h>

#include "tests/cluster/cluster.h"

using namespace circuledger::cluster;
using namespace std::chrono_literals;

namespace {

// User + system CPU seconds of a process so far (/proc/PID/stat fields 14 and 15).
double CpuSeconds(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::istringstream rest(stat.substr(stat.rfind(')') + 2));  // after "pid (comm) "
  std::string field;
  unsigned long utime = 0, stime = 0;
  for (int i = 3; i <= 15 && rest >> field; ++i) {
    if (i == 14) utime = std::stoul(field);
    if (i == 15) stime = std::stoul(field);
  }
  return static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

// CPU seconds `pid` used over `window` of idleness.
double CpuOver(pid_t pid, std::chrono::milliseconds window) {
  const double before = CpuSeconds(pid);
  std::this_thread::sleep_for(window);
  return CpuSeconds(pid) - before;
}

}  // namespace

TEST_CASE("cluster: an idle dev validator sleeps", "[cluster][idle]") {
  NodeProcess node;
  std::this_thread::sleep_for(500ms);
  const double cpu = CpuOver(node.pid(), 2000ms);
  INFO("CPU seconds in 2 s idle: " << cpu);
  CHECK(cpu < 0.3);
}

TEST_CASE("cluster: an idle testnet without empty blocks sleeps", "[cluster][idle][consensus]") {
  ClusterOptions options;
  options.validators = 4;
  options.full_nodes = 0;
  options.config["create_empty_blocks"] = false;
  Cluster c(options);
  std::this_thread::sleep_for(1000ms);
  for (size_t i : c.All()) {
    const double cpu = CpuOver(c.node(i).pid(), 2000ms);
    INFO("node " << i << ": CPU seconds in 2 s idle: " << cpu);
    CHECK(cpu < 0.3);
  }
}
