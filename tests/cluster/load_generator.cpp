#include "tests/cluster/load_generator.h"

#include <map>
#include <stdexcept>

#include "ledger/encoding.h"
#include "tests/cluster/ledger_client.h"

namespace circuledger::cluster {

using namespace circuledger::ledger;

namespace {

struct Inflight {
  std::string id;
  std::string org;
  std::string created_lot;  // set for a create_lot: the org owns it once committed
  uint64_t start = 0;       // NodeProcess::starts() when it was accepted
  bool saw_404 = false;     // answered 404 while that node was still running
};

}  // namespace

void LoadGenerator::Start() {
  stop_.store(false);
  thread_ = std::thread([this] { Run(); });
}

void LoadGenerator::Stop() {
  stop_.store(true);
  if (thread_.joinable()) thread_.join();
}

std::vector<CommittedTx> LoadGenerator::Committed() const {
  std::lock_guard<std::mutex> lock(mu_);
  return committed_;
}

LoadStats LoadGenerator::Stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  return stats_;
}

std::vector<std::string> LoadGenerator::Errors() const {
  std::lock_guard<std::mutex> lock(mu_);
  return errors_;
}

void LoadGenerator::Run() {
  LedgerClient client(node_);
  std::map<std::string, uint64_t> next_lot;               // per org: the next lot number
  std::map<std::string, std::vector<std::string>> owned;  // per org: committed lots it owns
  std::vector<Inflight> inflight;
  auto error = [&](std::string what) {
    std::lock_guard<std::mutex> lock(mu_);
    errors_.push_back(std::move(what));
  };
  auto net_error = [&] {
    {
      std::lock_guard<std::mutex> lock(mu_);
      ++stats_.net_errors;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  };

  uint64_t round = 0;
  while (!stop_.load()) {
    ++round;
    // Submit: one transaction per org, unless too many are still in flight (node down).
    for (size_t i = 0; i < orgs_.size() && inflight.size() < 64 && !stop_.load(); ++i) {
      const std::string& org = orgs_[i];
      Op op;
      std::string created;
      std::vector<std::string>& mine = owned[org];
      if (!mine.empty() && (round + i) % 3 == 0) {
        // Transfer to the next org; the lot is never offered again (even if this is lost).
        op = Transfer{mine.back(), orgs_[(i + 1) % orgs_.size()]};
        mine.pop_back();
      } else {
        created = "load-" + org + "-" + std::to_string(next_lot[org]++);
        op = CreateLot{created, Comp({{"Co", 1000 + round}, {"Ni", 7}})};
      }
      try {
        // The incarnation is read before submitting: read after the answer, a kill and restart
        // while this thread waited for the CPU would credit the new process with a transaction
        // the killed one accepted, and its loss would look like a vanishing.
        const uint64_t start = node_.starts();
        const Tx tx = client.Sign(org, op);
        const RawResponse r = client.Submit(tx);
        if (r.ok() && r.status == 200) {
          inflight.push_back(Inflight{TxId(tx.body).ToHex(), org, created, start, false});
          std::lock_guard<std::mutex> lock(mu_);
          ++stats_.submitted;
        } else if (r.ok() && r.status == 400 && r.Json()["error"]["code"] == "bad-nonce") {
          // pending_nonce can lag while a block commits (commit_race_test.cpp): not ours to
          // judge here; the next round asks again.
          std::lock_guard<std::mutex> lock(mu_);
          ++stats_.stale_nonce;
        } else if (r.ok()) {
          std::lock_guard<std::mutex> lock(mu_);
          ++stats_.rejected;
          errors_.push_back("submission of " + std::string(OpName(op)) + " by " + org + " (nonce " +
                            std::to_string(tx.body.nonce) + ") answered " + r.Describe());
        } else {
          net_error();  // maybe admitted, maybe not: not tracked either way
        }
      } catch (const std::exception&) {
        net_error();  // the nonce query found the node down
      }
    }
    // Poll what is in flight.
    for (size_t i = 0; i < inflight.size() && !stop_.load();) {
      Inflight& f = inflight[i];
      const RawResponse r = client.Get("/v1/tx/" + f.id);
      bool done = true;
      if (r.ok() && r.status == 200) {
        const nlohmann::json j = r.Json();
        const std::string status = j.value("status", "");
        if (status == "committed") {
          if (!f.created_lot.empty()) owned[f.org].push_back(f.created_lot);
          std::lock_guard<std::mutex> lock(mu_);
          if (f.saw_404) ++stats_.false_404;
          committed_.push_back(CommittedTx{f.id, j.at("height").get<uint64_t>()});
          ++stats_.committed;
        } else if (status == "rejected" && f.start > 1 && j["reject"]["code"] == "bad-nonce") {
          // Accepted after a restart with the nonce of a transaction the killed process had
          // proposed: the restarted node re-proposes that block from its WAL, and the later
          // transaction is told its nonce was used. Lost to the kill, not a fault.
          std::lock_guard<std::mutex> lock(mu_);
          ++stats_.lost;
        } else if (status == "rejected") {
          std::lock_guard<std::mutex> lock(mu_);
          ++stats_.rejected;
          errors_.push_back("tx " + f.id + " of " + f.org + " rejected in a block: " + j.dump());
        } else {
          done = false;  // pending
        }
      } else if (r.ok() && r.status == 404 && f.start == node_.starts() && !f.saw_404) {
        // The node that accepted it still runs: look again before calling it lost.
        f.saw_404 = true;
        done = false;
      } else if (r.ok() && r.status == 404) {
        std::lock_guard<std::mutex> lock(mu_);
        ++stats_.lost;  // its node died before committing it; the mempool is not durable
        if (f.start == node_.starts())
          errors_.push_back("accepted tx " + f.id + " vanished without a restart");
      } else if (r.ok()) {
        error("GET /v1/tx/" + f.id + " answered " + r.Describe());
      } else {
        done = false;
        net_error();
        break;
      }
      if (done) {
        inflight.erase(inflight.begin() + static_cast<std::ptrdiff_t>(i));
      } else {
        ++i;
      }
    }
    std::this_thread::sleep_for(round_pause_);
  }
}

}  // namespace circuledger::cluster
