// wallet/amounts: exact mass parsing (no floating point), composition specs, output-lot specs.
#include "wallet/amounts.h"

#include <catch2/catch.hpp>

#include "ledger/limits.h"

using namespace circuledger;
using wallet::FormatMass;
using wallet::ParseComposition;
using wallet::ParseMass;
using wallet::ParseOutputLot;

namespace {

uint64_t Mg(std::string_view s) {
  auto r = ParseMass(s);
  INFO(s << ": " << r.status().message());
  REQUIRE(r.ok());
  return *r;
}

// The error message for an input that must fail.
std::string MassError(std::string_view s) {
  auto r = ParseMass(s);
  INFO(s);
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().IsInvalidArgument());
  return r.status().message();
}

std::string CompError(std::string_view s) {
  auto r = ParseComposition(s);
  INFO(s);
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().IsInvalidArgument());
  return r.status().message();
}

}  // namespace

TEST_CASE("ParseMass converts every unit to milligrams exactly", "[wallet]") {
  CHECK(Mg("12.5kg") == 12'500'000);
  CHECK(Mg("2 kg") == 2'000'000);
  CHECK(Mg("300g") == 300'000);
  CHECK(Mg("1.5t") == 1'500'000'000);
  CHECK(Mg("12000mg") == 12'000);
  CHECK(Mg("0.001g") == 1);
  CHECK(Mg("0.000001kg") == 1);
  CHECK(Mg("0.000000001t") == 1);
  CHECK(Mg("  7 mg  ") == 7);
  CHECK(Mg("0kg") == 0);
  CHECK(Mg("007g") == 7'000);
  // 0.1 + 0.2 style values that binary floating point cannot hold exactly.
  CHECK(Mg("0.3kg") == 300'000);
  CHECK(Mg("123456.789t") == 123'456'789'000'000);
  CHECK(Mg("1.234567kg") == 1'234'567);
  // Trailing zeros past the milligram are exact, so they are accepted.
  CHECK(Mg("1.5000g") == 1'500);
  CHECK(Mg("2.000000000kg") == 2'000'000);
  // The ledger's bound is reachable exactly.
  CHECK(Mg("1000000t") == ledger::limits::kMaxMassMg);
}

TEST_CASE("ParseMass rejects sub-milligram precision, signs, overflow and missing units",
          "[wallet]") {
  CHECK_THAT(MassError("0.0001g"), Catch::Contains("finer than one milligram"));
  CHECK_THAT(MassError("0.0000001kg"), Catch::Contains("finer than one milligram"));
  CHECK_THAT(MassError("1.5mg"), Catch::Contains("finer than one milligram"));
  CHECK_THAT(MassError("-1kg"), Catch::Contains("negative"));
  CHECK_THAT(MassError("-0kg"), Catch::Contains("negative"));
  CHECK_THAT(MassError("+1kg"), Catch::Contains("sign"));
  CHECK_THAT(MassError("12"), Catch::Contains("missing unit"));
  CHECK_THAT(MassError("12.5"), Catch::Contains("missing unit"));
  CHECK_THAT(MassError("12.5lb"), Catch::Contains("unknown unit"));
  CHECK_THAT(MassError("12.5 KG"), Catch::Contains("unknown unit"));
  CHECK_THAT(MassError("1e3kg"), Catch::Contains("unknown unit"));
  CHECK_THAT(MassError("1,5kg"), Catch::Contains("unknown unit"));
  CHECK_THAT(MassError("1.kg"), Catch::Contains("digits after the decimal point"));
  CHECK_THAT(MassError(".5kg"), Catch::Contains("expected a number"));
  CHECK_THAT(MassError("kg"), Catch::Contains("expected a number"));
  CHECK_THAT(MassError(""), Catch::Contains("empty"));
  CHECK_THAT(MassError("   "), Catch::Contains("empty"));
  // Over the ledger's limit, including values that would overflow 64 bits.
  CHECK_THAT(MassError("1000000.000001t"), Catch::Contains("limit"));
  CHECK_THAT(MassError("1000001t"), Catch::Contains("limit"));
  CHECK_THAT(MassError("18446744073709551616mg"), Catch::Contains("limit"));
  CHECK_THAT(MassError("99999999999999999999999999999999999999kg"), Catch::Contains("limit"));
}

TEST_CASE("FormatMass prints exact human units and parses back", "[wallet]") {
  CHECK(FormatMass(12'500'000) == "12.5 kg");
  CHECK(FormatMass(0) == "0 mg");
  CHECK(FormatMass(1) == "1 mg");
  CHECK(FormatMass(999) == "999 mg");
  CHECK(FormatMass(1'000) == "1 g");
  CHECK(FormatMass(300'000) == "300 g");
  CHECK(FormatMass(1'234'567) == "1.234567 kg");
  CHECK(FormatMass(1'500'000'000) == "1.5 t");
  CHECK(FormatMass(1'000'000'001) == "1.000000001 t");
  CHECK(FormatMass(ledger::limits::kMaxMassMg) == "1000000 t");
  for (uint64_t v : {uint64_t{0}, uint64_t{1}, uint64_t{999}, uint64_t{1'001}, uint64_t{12'500'000},
                     uint64_t{987'654'321'012}, ledger::limits::kMaxMassMg}) {
    CHECK(Mg(FormatMass(v)) == v);
  }
}

TEST_CASE("composition specs: recycled= token and TOTAL/RECYCLED, sorted by material", "[wallet]") {
  auto a = ParseComposition("Co=12.5kg,recycled=2kg,Li=3kg");
  REQUIRE(a.ok());
  REQUIRE(a->entries.size() == 2);
  CHECK(a->entries[0] == ledger::MaterialAmount{"Co", 12'500'000, 2'000'000});
  CHECK(a->entries[1] == ledger::MaterialAmount{"Li", 3'000'000, 0});

  auto b = ParseComposition("Co=12.5kg/2kg,Li=3kg");
  REQUIRE(b.ok());
  CHECK(*b == *a);

  // Input order does not matter; output is sorted by byte order as the ledger requires.
  auto c = ParseComposition(" Li = 3 kg , PET=1t, Co=12.5kg , recycled = 2kg ");
  REQUIRE(c.ok());
  REQUIRE(c->entries.size() == 3);
  CHECK(c->entries[0].material == "Co");
  CHECK(c->entries[0].recycled_mg == 2'000'000);
  CHECK(c->entries[1].material == "Li");
  CHECK(c->entries[2].material == "PET");
  CHECK(c->entries[2].total_mg == 1'000'000'000);

  // recycled may equal the total; zero recycled is fine.
  auto d = ParseComposition("Pb=85kg/85kg,Cu=1g/0g");
  REQUIRE(d.ok());
  CHECK(d->entries[1] == ledger::MaterialAmount{"Pb", 85'000'000, 85'000'000});
  CHECK(d->entries[0] == ledger::MaterialAmount{"Cu", 1'000, 0});
}

TEST_CASE("composition specs: every error", "[wallet]") {
  CHECK_THAT(CompError(""), Catch::Contains("empty"));
  CHECK_THAT(CompError("Co=1kg,"), Catch::Contains("empty entry"));
  CHECK_THAT(CompError(",Co=1kg"), Catch::Contains("empty entry"));
  CHECK_THAT(CompError("Co"), Catch::Contains("MATERIAL=MASS"));
  CHECK_THAT(CompError("Co=1kg,Co=2kg"), Catch::Contains("given twice"));
  CHECK_THAT(CompError("recycled=1kg,Co=2kg"), Catch::Contains("must follow a material"));
  CHECK_THAT(CompError("Co=1kg,recycled=2kg"), Catch::Contains("exceeds its total"));
  CHECK_THAT(CompError("Co=1kg/2kg"), Catch::Contains("exceeds its total"));
  CHECK_THAT(CompError("Co=1kg/1g,recycled=1g"), Catch::Contains("given twice"));
  CHECK_THAT(CompError("Co=1kg,recycled=1g,recycled=1g"), Catch::Contains("given twice"));
  CHECK_THAT(CompError("Co=0kg"), Catch::Contains("zero"));
  CHECK_THAT(CompError("C o=1kg"), Catch::Contains("bad material code"));
  CHECK_THAT(CompError("Co!=1kg"), Catch::Contains("bad material code"));
  CHECK_THAT(CompError("=1kg"), Catch::Contains("bad material code"));
  CHECK_THAT(CompError("ABCDEFGHIJKLMNOPQ=1kg"),
             Catch::Contains("bad material code"));  // 17 characters
  CHECK_THAT(CompError("Co=0.0001g"), Catch::Contains("finer than one milligram"));
  CHECK_THAT(CompError("Co=1kg,recycled=-1g"), Catch::Contains("negative"));
  CHECK_THAT(CompError("Co=12"), Catch::Contains("missing unit"));
  CHECK_THAT(CompError("Co=1kg/"), Catch::Contains("empty"));
  std::string many;
  for (size_t i = 0; i <= ledger::limits::kMaxMaterials; ++i)
    many += (i ? "," : "") + ("m" + std::to_string(i)) + "=1g";
  CHECK_THAT(CompError(many), Catch::Contains("more than 64 materials"));
}

TEST_CASE("output specs split at the last '@': GS1 URNs and Digital Links keep ':' and '/'",
          "[wallet]") {
  auto a = ParseOutputLot("urn:epc:id:sgtin:4012345.011111.1001@Co=10kg,Ni=2kg");
  REQUIRE(a.ok());
  CHECK(a->id == "urn:epc:id:sgtin:4012345.011111.1001");
  REQUIRE(a->composition.entries.size() == 2);
  CHECK(a->composition.entries[0].total_mg == 10'000'000);

  auto b = ParseOutputLot("https://id.gs1.org/01/09506000134352/10/LOT-7@Co=1.5t/300kg");
  REQUIRE(b.ok());
  CHECK(b->id == "https://id.gs1.org/01/09506000134352/10/LOT-7");
  CHECK(b->composition.entries[0] == ledger::MaterialAmount{"Co", 1'500'000'000, 300'000'000});

  auto c = ParseOutputLot("lot@site-3@Li=1kg");
  REQUIRE(c.ok());
  CHECK(c->id == "lot@site-3");

  for (std::string_view bad :
       {"urn:epc:id:sgtin:1", "@Co=1kg", "  @Co=1kg", "id@", "id@Co=1lb", "id@Co=1kg,Co=1kg"}) {
    INFO(bad);
    auto r = ParseOutputLot(bad);
    CHECK_FALSE(r.ok());
    CHECK(r.status().IsInvalidArgument());
  }
}
