// Block files (ledger/block_files.h) and the Store's use of them: locations, appends across
// segments, what an interrupted commit leaves and how reopening cuts it off, damaged bytes.
#include <leveldb/db.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "ledger/block_files.h"
#include "ledger/limits.h"
#include "tests/support/test_chain.h"

using namespace circuledger::ledger;
using circuledger::testkit::Comp;
using circuledger::testkit::TestChain;
using circuledger::testkit::TestChainOptions;
namespace fs = std::filesystem;

namespace {

// A fresh directory, removed at the end.
struct TempPath {
  std::string path;
  explicit TempPath(const std::string& name) {
    path = (fs::temp_directory_path() / (name + "-" + std::to_string(::getpid()))).string();
    fs::remove_all(path);
  }
  ~TempPath() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

std::unique_ptr<BlockFiles> OpenFiles(const std::string& dir, uint64_t segment_bytes) {
  Result<std::unique_ptr<BlockFiles>> files = BlockFiles::Open(dir, segment_bytes);
  REQUIRE(files.ok());
  REQUIRE((*files)->Recover(std::nullopt).ok());
  return std::move(files).value();
}

BlockLocation AppendCommitted(BlockFiles& files, const std::string& bytes) {
  Result<BlockLocation> loc = files.Append(bytes, false);
  REQUIRE(loc.ok());
  files.Committed(*loc);
  return *loc;
}

void Corrupt(const std::string& path, uint64_t offset) {
  std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
  f.seekg(static_cast<std::streamoff>(offset));
  const char c = static_cast<char>(f.get() ^ 0x01);
  f.seekp(static_cast<std::streamoff>(offset));
  f.put(c);
}

void AppendGarbage(const std::string& path, size_t n) {
  std::ofstream f(path, std::ios::app | std::ios::binary);
  f << std::string(n, 'g');
}

}  // namespace

TEST_CASE("block files: a location is 20 bytes and nothing else decodes", "[blockfiles]") {
  const BlockLocation loc{7, (uint64_t{1} << 40) + 3, 123456, 0xdeadbeef};
  const std::string raw = EncodeBlockLocation(loc);
  CHECK(raw.size() == 20);
  CHECK(DecodeBlockLocation(raw) == std::optional<BlockLocation>(loc));
  CHECK_FALSE(DecodeBlockLocation(raw.substr(0, 19)));
  CHECK_FALSE(DecodeBlockLocation(raw + "x"));
  CHECK_FALSE(DecodeBlockLocation(""));
}

TEST_CASE("block files: appends read back, and a full segment starts the next one", "[blockfiles]") {
  TempPath dir("circuledger-blockfiles");
  auto files = OpenFiles(dir.path, 100);
  const BlockLocation a = AppendCommitted(*files, std::string(60, 'a'));
  const BlockLocation b = AppendCommitted(*files, std::string(30, 'b'));
  const BlockLocation c = AppendCommitted(*files, std::string(30, 'c'));    // 120 > 100: next segment
  const BlockLocation d = AppendCommitted(*files, std::string(250, 'd'));   // bigger than a segment
  const BlockLocation e = AppendCommitted(*files, std::string(1, 'e'));
  CHECK(a == BlockLocation{0, 0, 60, a.crc});
  CHECK(b == BlockLocation{0, 60, 30, b.crc});
  CHECK(c == BlockLocation{1, 0, 30, c.crc});
  CHECK(d == BlockLocation{2, 0, 250, d.crc});
  CHECK(e == BlockLocation{3, 0, 1, e.crc});
  CHECK(*files->Read(a) == std::string(60, 'a'));
  CHECK(*files->Read(b) == std::string(30, 'b'));
  CHECK(*files->Read(c) == std::string(30, 'c'));
  CHECK(*files->Read(d) == std::string(250, 'd'));
  CHECK(*files->Read(e) == "e");
  CHECK(a.crc == Crc32c(std::string(60, 'a')));
}

TEST_CASE("block files: bytes of a commit that did not complete are overwritten by the next append",
          "[blockfiles]") {
  TempPath dir("circuledger-blockfiles");
  auto files = OpenFiles(dir.path, 100);
  const BlockLocation a = AppendCommitted(*files, "first");
  Result<BlockLocation> lost = files->Append("never committed", false);  // no Committed()
  REQUIRE(lost.ok());
  const BlockLocation b = AppendCommitted(*files, "second");
  CHECK(b.segment == lost->segment);
  CHECK(b.offset == lost->offset);
  CHECK(b.offset == a.end());
  CHECK(*files->Read(b) == "second");
  // Also when the lost append had started a new segment.
  Result<BlockLocation> lost2 = files->Append(std::string(99, 'x'), false);
  REQUIRE(lost2.ok());
  CHECK(lost2->segment == 1);
  const BlockLocation c = AppendCommitted(*files, "third");
  CHECK(c == BlockLocation{0, b.end(), 5, c.crc});
}

TEST_CASE("block files: recovery cuts off what follows the last block and removes later segments",
          "[blockfiles]") {
  TempPath dir("circuledger-blockfiles");
  BlockLocation a, b;
  {
    auto files = OpenFiles(dir.path, 100);
    a = AppendCommitted(*files, std::string(40, 'a'));
    b = AppendCommitted(*files, std::string(40, 'b'));
    REQUIRE(files->Append(std::string(40, 'c'), false).ok());  // crash before its batch committed
    AppendGarbage(files->SegmentPath(1), 10);
    AppendGarbage(files->SegmentPath(5), 10);
  }
  Result<std::unique_ptr<BlockFiles>> files = BlockFiles::Open(dir.path, 100);
  REQUIRE(files.ok());
  REQUIRE((*files)->Recover(b).ok());
  CHECK(fs::file_size((*files)->SegmentPath(0)) == b.end());
  CHECK_FALSE(fs::exists((*files)->SegmentPath(1)));
  CHECK_FALSE(fs::exists((*files)->SegmentPath(5)));
  CHECK(*(*files)->Read(a) == std::string(40, 'a'));
  CHECK(*(*files)->Read(b) == std::string(40, 'b'));
  const BlockLocation c = AppendCommitted(**files, "c");
  CHECK(c.offset == b.end());

  // With no block committed, recovery removes every segment.
  REQUIRE((*files)->Recover(std::nullopt).ok());
  CHECK(fs::is_empty(dir.path));
}

TEST_CASE("block files: missing, short or damaged bytes are corruption", "[blockfiles]") {
  TempPath dir("circuledger-blockfiles");
  auto files = OpenFiles(dir.path, 1000);
  const BlockLocation a = AppendCommitted(*files, std::string(100, 'a'));
  const BlockLocation b = AppendCommitted(*files, std::string(100, 'b'));

  BlockLocation beyond = b;
  beyond.offset += 50;
  CHECK(files->Read(beyond).status().IsCorruption());  // the file ends first
  BlockLocation elsewhere = b;
  elsewhere.segment = 9;
  CHECK(files->Read(elsewhere).status().IsCorruption());  // no such file
  BlockLocation huge = a;
  huge.length = static_cast<uint32_t>(circuledger::ledger::limits::kMaxBlockBytes + 1);
  CHECK(files->Read(huge).status().IsCorruption());  // refused before allocating
  Corrupt(files->SegmentPath(0), a.offset + 17);
  CHECK(files->Read(a).status().IsCorruption());  // fails the CRC
  CHECK(files->Read(b).ok());

  // A segment shorter than the last committed block says is not recovered from.
  std::filesystem::resize_file(files->SegmentPath(0), b.end() - 1);
  CHECK(files->Recover(b).IsCorruption());
  fs::remove(files->SegmentPath(0));
  CHECK(files->Recover(b).IsCorruption());
}

TEST_CASE("block files: a store reopens after a commit cut off between its block bytes and its batch",
          "[blockfiles]") {
  TempPath dir("circuledger-store-blockfiles");
  ChainTip tip;
  std::string block2;
  {
    TestChainOptions o;
    o.dir = dir.path;
    o.block_segment_bytes = 1000;  // a few blocks per file
    TestChain c(o);
    for (int i = 0; i < 6; ++i) REQUIRE(c.Apply("mine", CreateLot{"lot" + std::to_string(i), Comp("Co:1:0")}).ok());
    tip = c.store().Tip();
    block2 = *c.store().ReadBlockBytes(2);
  }
  const std::string blocks = dir.path + "/blocks";
  size_t segments = 0;
  uintmax_t bytes = 0;
  for (const auto& f : fs::directory_iterator(blocks)) {
    ++segments;
    bytes += f.file_size();
  }
  CHECK(segments > 1);
  // What a kill between the block files' fdatasync and the batch leaves: bytes past the tip block,
  // possibly in a new segment.
  char name[16];
  std::snprintf(name, sizeof(name), "/%08zu.blk", segments - 1);
  AppendGarbage(blocks + name, 300);
  std::snprintf(name, sizeof(name), "/%08zu.blk", segments);
  AppendGarbage(blocks + name, 300);
  {
    TestChainOptions o;
    o.dir = dir.path;
    o.block_segment_bytes = 1000;
    TestChain c(o);
    CHECK(c.store().Tip() == tip);
    uintmax_t after = 0;
    size_t after_segments = 0;
    for (const auto& f : fs::directory_iterator(blocks)) {
      ++after_segments;
      after += f.file_size();
    }
    CHECK(after_segments == segments);
    CHECK(after == bytes);
    CHECK(*c.store().ReadBlockBytes(2) == block2);
    REQUIRE(c.Apply("mine", CreateLot{"next", Comp("Co:1:0")}).ok());
    CHECK(c.store().ReadBlock(tip.height + 1).ok());
    CHECK(c.GetLot("next"));
  }
}

TEST_CASE("block files: a store with a damaged tip block or an old format does not open", "[blockfiles]") {
  TempPath dir("circuledger-store-blockfiles");
  {
    TestChainOptions o;
    o.dir = dir.path;
    TestChain c(o);
    REQUIRE(c.Apply("mine", CreateLot{"a", Comp("Co:1:0")}).ok());
  }
  const std::string segment = dir.path + "/blocks/00000000.blk";
  Corrupt(segment, 10);
  Result<std::unique_ptr<Store>> damaged = Store::Open(dir.path);
  REQUIRE_FALSE(damaged.ok());
  CHECK(damaged.status().IsCorruption());
  Corrupt(segment, 10);  // flipped back
  {
    Result<std::unique_ptr<Store>> ok = Store::Open(dir.path);
    REQUIRE(ok.ok());
  }
  // A database of format 1 (block bytes under `b`, no format marker) is refused with a message.
  {
    leveldb::DB* db = nullptr;
    REQUIRE(leveldb::DB::Open(leveldb::Options(), dir.path, &db).ok());
    REQUIRE(db->Delete(leveldb::WriteOptions(), "mformat").ok());
    delete db;
  }
  Result<std::unique_ptr<Store>> old = Store::Open(dir.path);
  REQUIRE_FALSE(old.ok());
  CHECK(old.status().IsCorruption());
  CHECK_THAT(old.status().ToString(), Catch::Contains("format 1"));
}
