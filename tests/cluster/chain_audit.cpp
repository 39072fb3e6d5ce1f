#include "tests/cluster/chain_audit.h"

#include <cstdlib>
#include <filesystem>
#include <set>

#include "ledger/executor.h"
#include "ledger/genesis.h"
#include "ledger/store.h"

namespace circuledger::cluster {

namespace fs = std::filesystem;
using nlohmann::json;

std::vector<std::string> ChainAudit::Run(LedgerClient& client,
                                         const std::vector<CommittedTx>& committed) {
  std::vector<std::string> problems;
  auto problem = [&](std::string p) {
    if (problems.size() < 50) problems.push_back(std::move(p));
  };
  const StatusTip tip = client.Tip();

  // Reported committed => still committed, at the same height.
  for (const CommittedTx& c : committed) {
    const RawResponse r = client.Get("/v1/tx/" + c.id);
    const json j = r.Json();
    if (!r.ok() || r.status != 200 || j.value("status", "") != "committed") {
      problem("tx " + c.id + " was reported committed at height " + std::to_string(c.height) +
              ", now: " + r.Describe());
    } else if (j["height"].get<uint64_t>() != c.height) {
      problem("tx " + c.id + " moved from height " + std::to_string(c.height) + " to " +
              j["height"].dump());
    }
  }

  // Every block: linked, unchanged since the last audit, no tx twice, nonces without gaps.
  std::set<std::string> ids;
  std::map<std::string, uint64_t> next_nonce;  // by signer
  std::string prev_hash = client.GetJson("/v1/blocks/0")["genesis_hash"];
  for (uint64_t h = 1; h <= tip.height; ++h) {
    const json b = client.GetJson("/v1/blocks/" + std::to_string(h));
    const json& header = b["header"];
    const std::string hash = header["hash"];
    if (header["height"] != h)
      problem("block " + std::to_string(h) + " says height " + header["height"].dump());
    if (header["prev_hash"] != prev_hash)
      problem("block " + std::to_string(h) + " does not link to its parent");
    auto [known, fresh] = block_hashes_.emplace(h, hash);
    if (!fresh && known->second != hash) {
      problem("block " + std::to_string(h) + " changed: " + known->second + " -> " + hash);
    }
    state_roots_[h] = header["state_root"].get<std::string>();
    prev_hash = hash;
    for (const json& tx : b["txs"]) {
      const std::string id = tx["id"];
      if (!ids.insert(id).second)
        problem("tx " + id + " appears twice (again at height " + std::to_string(h) + ")");
      const std::string signer = tx["signer"];
      const uint64_t nonce = tx["nonce"];
      uint64_t& expected = next_nonce[signer];
      if (nonce != expected) {
        problem("signer " + signer.substr(0, 12) + " nonce " + std::to_string(nonce) +
                " at height " + std::to_string(h) + ", expected " + std::to_string(expected));
      }
      expected = nonce + 1;
    }
  }
  return problems;
}

ReplayResult ReplayStore(const std::string& home) {
  using namespace circuledger::ledger;
  ReplayResult out;
  Result<Genesis> genesis = GenesisFromFile((fs::path(home) / "genesis.json").string());
  if (!genesis.ok()) {
    out.problems.push_back("genesis: " + genesis.status().ToString());
    return out;
  }
  Result<std::unique_ptr<Store>> stored = Store::Open((fs::path(home) / "data").string());
  if (!stored.ok()) {
    out.problems.push_back("opening the node's store: " + stored.status().ToString());
    return out;
  }
  const ledger::ChainTip tip = (*stored)->Tip();
  out.height = tip.height;
  out.stored_state_root = tip.state_root.ToHex();

  std::string tmpl = (fs::temp_directory_path() / "circuledger-replay-XXXXXX").string();
  if (::mkdtemp(tmpl.data()) == nullptr) {
    out.problems.push_back("mkdtemp failed");
    return out;
  }
  {
    StoreOptions so;
    so.sync = false;
    Result<std::unique_ptr<Store>> fresh = Store::Open(tmpl, so);
    if (!fresh.ok()) {
      out.problems.push_back("opening a fresh store: " + fresh.status().ToString());
    } else if (Status s = (*fresh)->InitGenesis(*genesis); !s.ok()) {
      out.problems.push_back("genesis into the fresh store: " + s.ToString());
    } else {
      ExecutorOptions eo;
      eo.threads = 2;
      Executor executor(**fresh, eo);
      for (uint64_t h = 1; h <= tip.height; ++h) {
        Result<Block> block = (*stored)->ReadBlock(h);
        if (!block.ok()) {
          out.problems.push_back("reading block " + std::to_string(h) + ": " +
                                 block.status().ToString());
          break;
        }
        Result<BlockCommit> commit = executor.ExecuteBlock(*block, std::nullopt);
        if (!commit.ok()) {
          out.problems.push_back("replaying block " + std::to_string(h) + ": " +
                                 commit.status().ToString());
          break;
        }
        out.block_hashes[h] = commit->block_hash.ToHex();
        if (Status c = executor.Commit(*commit); !c.ok()) {
          out.problems.push_back("committing replayed block " + std::to_string(h) + ": " +
                                 c.ToString());
          break;
        }
      }
      out.replayed_state_root = (*fresh)->Tip().state_root.ToHex();
      if ((*fresh)->Tip().height != tip.height)
        out.problems.push_back("replay stopped short of the stored tip");
      if ((*fresh)->Tip().block_hash != tip.block_hash)
        out.problems.push_back("replayed tip block hash differs");
    }
  }
  std::error_code ec;
  fs::remove_all(tmpl, ec);
  return out;
}

}  // namespace circuledger::cluster
