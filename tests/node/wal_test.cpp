// The consensus WAL (node/wal.h): round trips, a crash at every write position, bit flips in the
// tail, limits, and the restart it serves: a validator never signs two different votes for one
// height, round and step (tag [wal]).
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <map>
#include <random>

#include "consensus/state_machine.h"
#include "node/wal.h"

namespace circuledger::node {
namespace {

namespace fs = std::filesystem;

struct TempFile {
  TempFile() {
    std::random_device rd;
    dir = fs::temp_directory_path() / ("circuledger-wal-" + std::to_string(rd()) + std::to_string(rd()));
    fs::create_directories(dir);
    path = (dir / "consensus.wal").string();
  }
  ~TempFile() {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
  void Write(std::string_view bytes) const {
    std::ofstream f(path, std::ios::binary | std::ios::trunc);
    f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  }
  std::string Read() const {
    std::ifstream f(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(f), {});
  }
  fs::path dir;
  std::string path;
};

std::vector<WalRecord> SampleRecords() {
  return {WalRecord{1, "first"}, WalRecord{1, ""}, WalRecord{2, std::string(300, 'x')},
          WalRecord{1, "last record"}};
}

std::string Image(const std::vector<WalRecord>& records) {
  std::string out;
  for (const WalRecord& r : records) out += EncodeWalRecord(r.type, r.payload);
  return out;
}

TEST_CASE("wal: CRC-32C is the Castagnoli checksum", "[wal]") {
  CHECK(Crc32c("123456789") == 0xE3069283u);  // the standard check value
  CHECK(Crc32c("") == 0u);
}

TEST_CASE("wal: records survive a reopen, and appends continue after it", "[wal]") {
  TempFile f;
  WalReplay replay;
  {
    auto wal = Wal::Open(f.path, &replay);
    REQUIRE(wal.ok());
    CHECK(replay.records.empty());
    REQUIRE((*wal)->Append(SampleRecords()).ok());
    CHECK((*wal)->size_bytes() == Image(SampleRecords()).size());
  }
  CHECK(f.Read() == Image(SampleRecords()));
  {
    auto wal = Wal::Open(f.path, &replay);
    REQUIRE(wal.ok());
    CHECK(replay.records == SampleRecords());
    CHECK(replay.dropped_tail_bytes == 0);
    REQUIRE((*wal)->Append(7, "more").ok());
  }
  auto wal = Wal::Open(f.path, &replay);
  REQUIRE(wal.ok());
  std::vector<WalRecord> want = SampleRecords();
  want.push_back(WalRecord{7, "more"});
  CHECK(replay.records == want);

  // Reset keeps exactly what it is given.
  REQUIRE((*wal)->Reset({WalRecord{1, "kept"}}).ok());
  REQUIRE((*wal)->Append(1, "after reset").ok());
  wal = Wal::Open(f.path, &replay);
  REQUIRE(wal.ok());
  CHECK(replay.records == std::vector<WalRecord>{WalRecord{1, "kept"}, WalRecord{1, "after reset"}});
  CHECK(!fs::exists(f.path + ".tmp"));
}

TEST_CASE("wal: a crash at every write position recovers the complete records", "[wal]") {
  const std::vector<WalRecord> records = SampleRecords();
  const std::string image = Image(records);
  std::vector<size_t> ends;  // offsets where each record ends
  size_t end = 0;
  for (const WalRecord& r : records) ends.push_back(end += kWalHeaderBytes + r.payload.size());
  TempFile f;
  for (size_t cut = 0; cut <= image.size(); ++cut) {
    INFO("file cut at " << cut);
    f.Write(image.substr(0, cut));
    size_t complete = 0, boundary = 0;
    while (complete < ends.size() && ends[complete] <= cut) boundary = ends[complete++];
    WalReplay replay;
    {
      auto wal = Wal::Open(f.path, &replay);
      REQUIRE(wal.ok());
      CHECK(replay.records == std::vector<WalRecord>(records.begin(), records.begin() + complete));
      CHECK(replay.dropped_tail_bytes == cut - boundary);
      CHECK(f.Read().size() == boundary);  // the torn record is gone from the file
      REQUIRE((*wal)->Append(9, "next").ok());
    }
    auto again = Wal::Open(f.path, &replay);
    REQUIRE(again.ok());
    REQUIRE(replay.records.size() == complete + 1);
    CHECK(replay.records.back() == WalRecord{9, "next"});
    CHECK(replay.dropped_tail_bytes == 0);
  }
}

TEST_CASE("wal: a flipped bit in the tail is refused with a clear message", "[wal]") {
  // Every single-bit flip in the last two records: in a checksum, a type, a payload, or a length
  // (shorter: the checksum fails; longer: it looks cut off, but a one-bit repair makes the
  // checksum hold, so it is not taken for a torn write and silently dropped).
  const std::vector<WalRecord> records = SampleRecords();
  const std::string image = Image(records);
  const size_t last_two = 2 * kWalHeaderBytes + records[2].payload.size() + records[3].payload.size();
  TempFile f;
  for (size_t byte = image.size() - last_two; byte < image.size(); ++byte) {
    for (int bit = 0; bit < 8; ++bit) {
      INFO("byte " << byte << " bit " << bit);
      std::string bad = image;
      bad[byte] = static_cast<char>(bad[byte] ^ (1 << bit));
      f.Write(bad);
      WalReplay replay;
      auto wal = Wal::Open(f.path, &replay);
      REQUIRE(!wal.ok());
      CHECK(wal.status().IsCorruption());
      CHECK(wal.status().detail().find("Refusing to start") != std::string::npos);
      CHECK(f.Read() == bad);  // nothing is truncated or rewritten
    }
  }
}

TEST_CASE("wal: limits and foreign records", "[wal]") {
  TempFile f;
  WalReplay replay;
  auto wal = Wal::Open(f.path, &replay);
  REQUIRE(wal.ok());
  CHECK((*wal)->Append(1, std::string(kMaxWalPayloadBytes + 1, 'x')).IsInvalidArgument());
  CHECK((*wal)->size_bytes() == 0);

  // A length over the limit is corruption, even at the end of the file.
  std::string huge = EncodeWalRecord(1, "x");
  huge[4] = huge[5] = huge[6] = huge[7] = '\xff';
  f.Write(huge);
  auto bad = Wal::Open(f.path, &replay);
  REQUIRE(!bad.ok());
  CHECK(bad.status().IsCorruption());

  // Intact records that are not consensus messages cannot be replayed.
  CHECK(!ToConsensusMessages(WalReplay{{WalRecord{2, "x"}}, 0}).ok());
  CHECK(!ToConsensusMessages(WalReplay{{WalRecord{kWalConsensusMessage, "not a message"}}, 0}).ok());
}

// A toy application for the restart test: values are strings, all valid.
class App final : public consensus::Application {
 public:
  std::string ProposeValue(uint64_t h) override { return "block-" + std::to_string(h); }
  consensus::Hash256 ValueId(std::string_view v) override { return ledger::TaggedHash("t", v); }
  bool ValidateValue(uint64_t, std::string_view) override { return true; }
};

TEST_CASE("wal: a validator restarted from its WAL never signs two different votes", "[wal]") {
  std::vector<std::unique_ptr<consensus::KeySigner>> keys;
  std::vector<consensus::PubKey> pubs;
  for (uint8_t i = 1; i <= 4; ++i) {
    ledger::FixedBytes<32> secret;
    secret.bytes[31] = i;
    keys.push_back(std::make_unique<consensus::KeySigner>(*ledger::SecretKey::FromBytes(secret.View()), true));
    pubs.push_back(keys.back()->Key());
  }
  const consensus::ValidatorSet set = *consensus::ValidatorSet::Make(pubs);
  const consensus::KeySigner* me = keys[0].get();
  App app;
  consensus::RoundRobinProposer proposers;
  const consensus::ConsensusState::Config config{"wal-chain", consensus::TimeoutConfig{}};
  uint64_t height = 1;
  while (proposers.Proposer(set, height, 0) == me->Key()) ++height;  // not the proposer

  TempFile f;
  std::vector<consensus::Message> sent;  // what the node put on the wire
  auto run = [&](consensus::Output out, Wal& wal) {
    for (consensus::Action& a : out.actions) {
      if (auto* p = std::get_if<consensus::PersistMessage>(&a)) {
        REQUIRE(wal.Append({ConsensusRecord(p->message)}).ok());
      } else if (auto* b = std::get_if<consensus::BroadcastMessage>(&a)) {
        sent.push_back(b->message);
      }
    }
  };
  {
    WalReplay replay;
    auto wal = Wal::Open(f.path, &replay);
    REQUIRE(wal.ok());
    consensus::ConsensusState sm(config, app, proposers, consensus::DefaultVerifier(), me);
    run(sm.Start(height, set), **wal);
    run(sm.OnTimeout({height, 0, consensus::Step::kPropose}), **wal);  // prevote nil
  }
  // Restart: replay, then the proposal arrives late. The node re-sends its nil prevote only.
  WalReplay replay;
  auto wal = Wal::Open(f.path, &replay);
  REQUIRE(wal.ok());
  auto restored = ToConsensusMessages(replay);
  REQUIRE(restored.ok());
  CHECK(restored->size() == 1);
  consensus::ConsensusState sm(config, app, proposers, consensus::DefaultVerifier(), me);
  run(sm.Start(height, set, *restored), **wal);
  for (const auto& k : keys) {
    if (k->Key() == proposers.Proposer(set, height, 0)) {
      const std::string value = "block";
      run(sm.OnProposal(consensus::MakeProposal(*k, "wal-chain", height, 0, std::nullopt, value,
                                                app.ValueId(value))),
          **wal);
    }
  }
  std::map<std::pair<uint32_t, int>, consensus::Vote> votes;
  for (const consensus::Message& m : sent) {
    const auto* v = std::get_if<consensus::Vote>(&m);
    if (!v || v->validator != me->Key()) continue;
    auto [it, fresh] = votes.emplace(std::make_pair(v->round, static_cast<int>(v->type)), *v);
    CHECK(it->second == *v);  // a second vote for one round and step is the same vote
  }
  REQUIRE(votes.count({0, static_cast<int>(consensus::VoteType::kPrevote)}));
  CHECK(!votes.at({0, static_cast<int>(consensus::VoteType::kPrevote)}).value_id);
}

}  // namespace
}  // namespace circuledger::node
