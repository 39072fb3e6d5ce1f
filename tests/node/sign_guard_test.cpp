// node/sign_guard: the durable record of the last signed (height, round, step); never sign at or
// below it; refuse to start when it says "signed" but the WAL is gone, unless allowed.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <random>

#include "consensus/messages.h"
#include "node/sign_guard.h"
#include "node/wal.h"

using namespace circuledger;
using consensus::Step;
using node::SignGuard;
using node::SignSlot;

namespace {

struct TempDir {
  TempDir() {
    std::random_device rd;
    path = (std::filesystem::temp_directory_path() / ("circuledger-guard-" + std::to_string(rd()))).string();
    std::filesystem::create_directories(path);
  }
  ~TempDir() { std::filesystem::remove_all(path); }
  std::string path;
};

std::unique_ptr<SignGuard> OpenOk(const std::string& path) {
  auto g = SignGuard::Open(path);
  REQUIRE(g.ok());
  return std::move(g).value();
}

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}
void WriteAll(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
}

}  // namespace

TEST_CASE("sign guard: refuses every slot at or below the last one, across reopenings", "[node]") {
  TempDir t;
  const std::string path = t.path + "/consensus.wal.last-signed";
  {
    auto g = OpenOk(path);
    CHECK_FALSE(g->last());
    CHECK_FALSE(std::filesystem::exists(path));  // nothing signed: no file
    CHECK(g->Reserve({5, 0, Step::kPropose}));
    CHECK(g->Reserve({5, 0, Step::kPrevote}));
    CHECK_FALSE(g->Reserve({5, 0, Step::kPrevote}));  // the same slot twice
    CHECK_FALSE(g->Reserve({5, 0, Step::kPropose}));  // below
    CHECK(g->Reserve({5, 2, Step::kPrevote}));
    CHECK_FALSE(g->Reserve({5, 1, Step::kPrecommit}));  // an earlier round
    CHECK_FALSE(g->Reserve({4, 9, Step::kPrecommit}));  // an earlier height
    CHECK(g->Reserve({5, 2, Step::kPrecommit}));
    CHECK(*g->last() == SignSlot{5, 2, Step::kPrecommit});
  }
  auto g = OpenOk(path);  // a restart reads the newest record
  REQUIRE(g->last());
  CHECK(*g->last() == SignSlot{5, 2, Step::kPrecommit});
  CHECK_FALSE(g->Reserve({5, 2, Step::kPrecommit}));
  CHECK_FALSE(g->Reserve({5, 0, Step::kPropose}));
  CHECK(g->Reserve({6, 0, Step::kPropose}));
  // Raise (from the WAL) only ever moves the record up.
  CHECK(g->Raise({5, 0, Step::kPrevote}).ok());
  CHECK(*g->last() == SignSlot{6, 0, Step::kPropose});
  CHECK(g->Raise({6, 4, Step::kPrevote}).ok());
  CHECK(*OpenOk(path)->last() == SignSlot{6, 4, Step::kPrevote});
}

TEST_CASE("sign guard: a torn update leaves the previous record; both copies damaged is corruption", "[node]") {
  TempDir t;
  const std::string path = t.path + "/g";
  {
    auto g = OpenOk(path);
    REQUIRE(g->Reserve({7, 0, Step::kPrevote}));   // copy A (sequence 1)
    REQUIRE(g->Reserve({7, 0, Step::kPrecommit}));  // copy B (sequence 2)
  }
  const std::string good = ReadAll(path);
  REQUIRE(good.size() == 2 * node::kSignGuardSlotBytes);
  SECTION("the newer copy damaged: the older one is the record") {
    std::string bytes = good;
    bytes[node::kSignGuardSlotBytes + 17] ^= 1;  // a bit of copy B's height
    WriteAll(path, bytes);
    CHECK(*OpenOk(path)->last() == SignSlot{7, 0, Step::kPrevote});
  }
  SECTION("both copies damaged, or a file of the wrong size: refused, with what to do") {
    std::string bytes = good;
    bytes[3] ^= 1;
    bytes[node::kSignGuardSlotBytes + 3] ^= 1;
    WriteAll(path, bytes);
    auto g = SignGuard::Open(path);
    REQUIRE(g.status().IsCorruption());
    CHECK_THAT(g.status().ToString(), Catch::Contains("both copies are damaged") && Catch::Contains("move this file away"));
    WriteAll(path, good.substr(0, 40));
    CHECK(SignGuard::Open(path).status().IsCorruption());
  }
}

TEST_CASE("sign guard: a validator that signed refuses to start without its WAL unless allowed", "[node]") {
  TempDir t;
  const std::string wal_path = t.path + "/consensus.wal";
  SECTION("never signed: a missing WAL is simply created") {
    CHECK(node::OpenSignGuard(wal_path, false).ok());
  }
  SECTION("signed, WAL present: starts") {
    {
      node::WalReplay replay;
      REQUIRE(node::Wal::Open(wal_path, &replay).ok());
      auto g = node::OpenSignGuard(wal_path, false);
      REQUIRE(g.ok());
      REQUIRE((*g)->Reserve({3, 1, Step::kPrecommit}));
    }
    CHECK(node::OpenSignGuard(wal_path, false).ok());
    SECTION("signed, WAL deleted: refused, naming both files and the flag") {
      std::filesystem::remove(wal_path);
      auto g = node::OpenSignGuard(wal_path, false);
      REQUIRE(g.status().IsCorruption());
      CHECK_THAT(g.status().ToString(), Catch::Contains("consensus WAL " + wal_path + " is missing") &&
                                            Catch::Contains("height 3 round 1 precommit") &&
                                            Catch::Contains("--allow-missing-wal"));
      // With the operator's flag it opens, and still refuses what it signed.
      auto allowed = node::OpenSignGuard(wal_path, true);
      REQUIRE(allowed.ok());
      CHECK_FALSE((*allowed)->Reserve({3, 0, Step::kPropose}));
      CHECK_FALSE((*allowed)->Reserve({3, 1, Step::kPrecommit}));
      CHECK((*allowed)->Reserve({3, 2, Step::kPropose}));
    }
  }
}

TEST_CASE("sign guard: the last own slot of a WAL", "[node]") {
  consensus::KeySigner me(*ledger::SecretKey::FromBytes(std::string(31, '\0') + "\x07"));
  consensus::KeySigner other(*ledger::SecretKey::FromBytes(std::string(31, '\0') + "\x09"));
  const ledger::Hash256 id{};
  std::vector<consensus::Message> wal{
      consensus::MakeVote(me, "c", consensus::VoteType::kPrevote, 4, 1, id),
      consensus::MakeVote(other, "c", consensus::VoteType::kPrecommit, 4, 3, id),  // not ours
      consensus::MakeProposal(me, "c", 4, 2, std::nullopt, "v", id),
      consensus::MakeVote(me, "c", consensus::VoteType::kPrecommit, 4, 1, id),
  };
  auto last = node::LastOwnSlot(wal, me.Key());
  REQUIRE(last);
  CHECK(*last == SignSlot{4, 2, Step::kPropose});
  CHECK_FALSE(node::LastOwnSlot({}, me.Key()));
}
