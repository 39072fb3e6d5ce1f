#include "node/init.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <filesystem>

#include "ledger/crypto.h"
#include "ledger/genesis.h"
#include "node/config.h"

namespace circuledger::node {

namespace fs = std::filesystem;
using namespace circuledger::ledger;

namespace {

struct DevOrg {
  const char* id;
  const char* name;
  uint32_t roles;
};

constexpr uint32_t R(Role r) { return static_cast<uint32_t>(r); }

// The demo supply chain: battery metals and cells, a car maker, repair, take-back, recycling, a
// PET bottle chain, a certifier, a regulator and two admin orgs.
const DevOrg kDevOrgs[] = {
    {"admin-1", "Ledger Consortium Admin 1", R(Role::kAdmin)},
    {"admin-2", "Ledger Consortium Admin 2", R(Role::kAdmin)},
    {"mine", "Kivu Cobalt Mining", R(Role::kSupplier)},
    {"refinery", "Nordic Metals Refinery", R(Role::kSupplier) | R(Role::kManufacturer)},
    {"cellmaker", "Cellwerk Cathodes and Cells", R(Role::kManufacturer)},
    {"oem", "Voltmotive Vehicles", R(Role::kManufacturer)},
    {"repairer", "Second Life Battery Repair", R(Role::kRepairer)},
    {"fleet", "GreenFleet Mobility (battery owner, no special role)", 0},
    {"collector", "Urban Take-Back Collection", R(Role::kCollector)},
    {"recycler", "Circular Metals Recycling", R(Role::kRecycler)},
    {"petchem", "Petchem Resins", R(Role::kSupplier)},
    {"bottler", "Clearwater Bottling", R(Role::kManufacturer)},
    {"certifier", "Independent Recycled Content Auditors", R(Role::kCertifier)},
    {"regulator", "Market Surveillance Authority", R(Role::kRegulator)},
};

}  // namespace

Status WriteTextFile(const std::string& path, const std::string& content, bool secret) {
  // O_CREAT with 0600 (and fchmod for a file that already existed) so a secret is never readable
  // by others, not even between creating the file and writing it.
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, secret ? 0600 : 0644);
  if (fd < 0) return Status::IoError("cannot write " + path);
  bool ok = !secret || ::fchmod(fd, 0600) == 0;
  for (size_t done = 0; ok && done < content.size();) {
    const ssize_t n = ::write(fd, content.data() + done, content.size() - done);
    if (n < 0 && errno == EINTR) continue;
    ok = n > 0;
    if (ok) done += static_cast<size_t>(n);
  }
  ok = ::close(fd) == 0 && ok;
  return ok ? Status::Ok() : Status::IoError("cannot write " + path);
}

DevGenesis MakeDevGenesis(const std::string& chain_id) {
  DevGenesis dev;
  Genesis& g = dev.genesis;
  g.chain_id = chain_id;
  g.genesis_time_ms = static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count());
  g.params.gov_threshold = 2;
  for (const DevOrg& d : kDevOrgs) {
    const SecretKey key = SecretKey::Generate();
    g.orgs.push_back(Org{d.id, d.name, d.roles, {key.Public()}, OrgStatus::kActive});
    dev.org_keys.emplace_back(d.id, key);
  }
  return dev;
}

Status WriteDevKeys(const DevGenesis& dev, const std::string& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return Status::IoError("cannot create " + dir + ": " + ec.message());
  for (const auto& [org, key] : dev.org_keys) {
    const std::string file = (fs::path(dir) / (org + ".key")).string();
    if (Status s = WriteTextFile(file, HexEncode(key.Bytes()) + "\n", true); !s.ok()) return s;
  }
  return Status::Ok();
}

Status InitDevHome(const DevInitOptions& o) {
  const fs::path home(o.home);
  std::error_code ec;
  if (fs::exists(home / "genesis.json") && !o.force) {
    return Status::InvalidArgument(o.home + " already holds a node (genesis.json); use --force to overwrite");
  }
  fs::create_directories(home, ec);
  if (ec) return Status::IoError("cannot create " + o.home + ": " + ec.message());
  if (o.force) fs::remove_all(home / "data", ec);

  DevGenesis dev = MakeDevGenesis(o.chain_id);
  const SecretKey node_key = SecretKey::Generate();
  dev.genesis.validators.push_back(Validator{node_key.Public(), "validator-0", "127.0.0.1:26656"});
  if (Status s = ValidateGenesis(dev.genesis); !s.ok()) return s;
  if (Status s = WriteDevKeys(dev, (home / "dev-keys").string()); !s.ok()) return s;

  Config config;
  config.http_listen = o.http_listen;
  if (Status s = WriteTextFile((home / "genesis.json").string(), GenesisToJson(dev.genesis), false); !s.ok()) return s;
  if (Status s = WriteTextFile((home / "node_key").string(), HexEncode(node_key.Bytes()) + "\n", true); !s.ok()) {
    return s;
  }
  return WriteTextFile((home / "config.json").string(), ConfigToJson(config), false);
}

}  // namespace circuledger::node
