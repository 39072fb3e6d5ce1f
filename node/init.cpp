#include "node/init.h"

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sys/stat.h>

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

Status WriteFile(const fs::path& path, const std::string& content, bool secret) {
  std::ofstream out(path, std::ios::trunc);
  if (!out) return Status::IoError("cannot write " + path.string());
  out << content;
  out.close();
  if (!out) return Status::IoError("cannot write " + path.string());
  if (secret) ::chmod(path.c_str(), 0600);
  return Status::Ok();
}

}  // namespace

Status InitDevHome(const DevInitOptions& o) {
  const fs::path home(o.home);
  std::error_code ec;
  if (fs::exists(home / "genesis.json") && !o.force) {
    return Status::InvalidArgument(o.home + " already holds a node (genesis.json); use --force to overwrite");
  }
  fs::create_directories(home / "dev-keys", ec);
  if (ec) return Status::IoError("cannot create " + (home / "dev-keys").string() + ": " + ec.message());
  if (o.force) fs::remove_all(home / "data", ec);

  Genesis g;
  g.chain_id = o.chain_id;
  g.genesis_time_ms = static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count());
  g.params.gov_threshold = 2;
  for (const DevOrg& d : kDevOrgs) {
    const SecretKey key = SecretKey::Generate();
    if (Status s = WriteFile(home / "dev-keys" / (std::string(d.id) + ".key"), HexEncode(key.Bytes()) + "\n", true); !s.ok()) {
      return s;
    }
    g.orgs.push_back(Org{d.id, d.name, d.roles, {key.Public()}, OrgStatus::kActive});
  }
  const SecretKey node_key = SecretKey::Generate();
  g.validators.push_back(Validator{node_key.Public(), "validator-0", "127.0.0.1:26656"});
  if (Status s = ValidateGenesis(g); !s.ok()) return s;

  Config config;
  config.http_listen = o.http_listen;
  if (Status s = WriteFile(home / "genesis.json", GenesisToJson(g), false); !s.ok()) return s;
  if (Status s = WriteFile(home / "node_key", HexEncode(node_key.Bytes()) + "\n", true); !s.ok()) return s;
  return WriteFile(home / "config.json", ConfigToJson(config), false);
}

}  // namespace circuledger::node
