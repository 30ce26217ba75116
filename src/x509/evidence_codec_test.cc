#include "src/x509/internal/evidence_codec.h"

#include <openssl/objects.h>

#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "src/x509/internal/cbor.h"
#include "src/x509/internal/oids.h"

#include "mra/base/hex.h"
#include "mra/testing/status_matchers.h"
#include "mra/x509/evidence_format.h"

namespace mra::x509::internal {
namespace {

using ::mra::testing::FailsWith;
using ::mra::testing::IsOk;
using ::testing::HasSubstr;

std::vector<uint8_t> Hex(std::string_view hex) {
  absl::StatusOr<std::vector<uint8_t>> out = HexDecode(hex);
  EXPECT_TRUE(out.ok());
  return out.value_or(std::vector<uint8_t>());
}

crypto::Sha256Digest Fill(uint8_t b) {
  crypto::Sha256Digest d{};
  d.fill(b);
  return d;
}

// The claims bytes, spelled out: {"pubkey-hash": h'82 01 58 20 <32 x 11>'}.
TEST(EvidenceCodecTest, ClaimsEncodingIsTheInteroperableLayout) {
  std::vector<uint8_t> claims = EncodeClaims(Fill(0x11));
  std::string want =
      "a1"  // map(1)
      "6b"
      "7075626b65792d68617368"  // "pubkey-hash"
      "5824"                    // bstr(36)
      "82"
      "01"
      "5820" +               // [1, bstr(32)
      std::string(64, '1');  //   11 x 32 ]
  EXPECT_EQ(HexEncode(claims), want);
}

TEST(EvidenceCodecTest, TaggedEvidenceEncodingIsTag60000Array) {
  std::vector<uint8_t> quote = {1, 2, 3};
  std::vector<uint8_t> claims = {0xa0};
  EXPECT_EQ(HexEncode(EncodeTaggedEvidence(quote, claims)),
            "d9ea60"    // tag(60000)
            "82"        // array(2)
            "43010203"  // bstr quote
            "41a0");    // bstr claims
}

TEST(EvidenceCodecTest, RoundTrip) {
  std::vector<uint8_t> claims = EncodeClaims(Fill(0x22));
  std::vector<uint8_t> quote(5000, 0x5a);
  std::vector<uint8_t> evidence = EncodeTaggedEvidence(quote, claims);
  MRA_ASSERT_OK_AND_ASSIGN(TaggedEvidence decoded,
                           DecodeTaggedEvidence(evidence));
  EXPECT_EQ(std::vector<uint8_t>(decoded.quote.begin(), decoded.quote.end()),
            quote);
  EXPECT_EQ(std::vector<uint8_t>(decoded.claims.begin(), decoded.claims.end()),
            claims);
  MRA_ASSERT_OK_AND_ASSIGN(PubkeyHash hash, DecodePubkeyHashClaim(claims));
  EXPECT_EQ(hash.hash_alg, kHashAlgSha256);
  EXPECT_EQ(hash.hash, std::vector<uint8_t>(32, 0x22));
}

TEST(EvidenceCodecTest, AcceptsSha384AndExtraClaims) {
  CborWriter entry;
  entry.ArrayStart(2);
  entry.Uint(kHashAlgSha384);
  entry.Bytes(std::vector<uint8_t>(48, 7));
  CborWriter claims;
  claims.MapStart(2);
  claims.Text("nonce");
  claims.Bytes(std::vector<uint8_t>{1, 2, 3});
  claims.Text("pubkey-hash");
  claims.Bytes(entry.bytes());
  MRA_ASSERT_OK_AND_ASSIGN(PubkeyHash hash,
                           DecodePubkeyHashClaim(claims.bytes()));
  EXPECT_EQ(hash.hash_alg, kHashAlgSha384);
  EXPECT_EQ(hash.hash.size(), 48u);
}

struct BadCase {
  std::string name;
  std::string hex;
  std::string message;
};

void PrintTo(const BadCase& c, std::ostream* os) { *os << c.name; }

class BadTaggedEvidenceTest : public ::testing::TestWithParam<BadCase> {};

TEST_P(BadTaggedEvidenceTest, IsMalformed) {
  std::vector<uint8_t> bytes = Hex(GetParam().hex);
  absl::StatusOr<TaggedEvidence> got = DecodeTaggedEvidence(bytes);
  EXPECT_THAT(got, FailsWith(VerifyFailure::kCertificateMalformed));
  EXPECT_THAT(std::string(got.status().message()),
              HasSubstr(GetParam().message));
}

INSTANTIATE_TEST_SUITE_P(
    Cases, BadTaggedEvidenceTest,
    ::testing::Values(BadCase{"Empty", "", "expected a CBOR tag"},
                      BadCase{"NotATag",
                              "8243010203"
                              "41a0",
                              "expected a CBOR tag"},
                      BadCase{"OtherTag",
                              "d9ea61"
                              "8243010203"
                              "41a0",
                              "60001"},
                      BadCase{"ThreeElements",
                              "d9ea60"
                              "8343010203"
                              "41a0"
                              "41a0",
                              "2-element array"},
                      BadCase{"IndefiniteArray",
                              "d9ea60"
                              "9f43010203"
                              "41a0"
                              "ff",
                              "2-element array"},
                      BadCase{"QuoteNotBytes",
                              "d9ea60"
                              "82"
                              "63616263"
                              "41a0",
                              "quote"},
                      BadCase{"IndefiniteQuote",
                              "d9ea60"
                              "82"
                              "5f4101ff"
                              "41a0",
                              "quote"},
                      BadCase{"EmptyQuote",
                              "d9ea60"
                              "82"
                              "40"
                              "41a0",
                              "quote"},
                      BadCase{"ClaimsNotBytes",
                              "d9ea60"
                              "82"
                              "43010203"
                              "a0",
                              "claims"},
                      BadCase{"EmptyClaims",
                              "d9ea60"
                              "82"
                              "43010203"
                              "40",
                              "claims"},
                      BadCase{"Trailing",
                              "d9ea60"
                              "82"
                              "43010203"
                              "41a0"
                              "00",
                              "trailing"},
                      BadCase{"TruncatedQuote",
                              "d9ea60"
                              "82"
                              "45010203",
                              "quote"},
                      BadCase{"HugeLength",
                              "d9ea60"
                              "82"
                              "5bffffffffffffffff00",
                              "quote"}),
    [](const ::testing::TestParamInfo<BadCase>& tp) { return tp.param.name; });

class BadClaimsTest : public ::testing::TestWithParam<BadCase> {};

TEST_P(BadClaimsTest, IsMalformed) {
  std::vector<uint8_t> bytes = Hex(GetParam().hex);
  absl::StatusOr<PubkeyHash> got = DecodePubkeyHashClaim(bytes);
  EXPECT_THAT(got, FailsWith(VerifyFailure::kCertificateMalformed));
  EXPECT_THAT(std::string(got.status().message()),
              HasSubstr(GetParam().message));
}

// "pubkey-hash" = 6b7075626b65792d68617368; a good value = 5824 8201 5820
// 11*32.
std::string Key() { return "6b7075626b65792d68617368"; }
std::string GoodValue() { return "582482015820" + std::string(64, '1'); }

INSTANTIATE_TEST_SUITE_P(
    Cases, BadClaimsTest,
    ::testing::Values(
        BadCase{"NotAMap", "80", "map"}, BadCase{"EmptyMap", "a0", "0 claims"},
        BadCase{"IndefiniteMap", "bf" + Key() + GoodValue() + "ff", "map"},
        BadCase{"TooManyClaims", "b1", "17 claims"},
        BadCase{"NoPubkeyHash",
                "a1"
                "656e6f6e6365"
                "4101",
                "no \"pubkey-hash\""},
        BadCase{"IntegerKey",
                "a1"
                "01" +
                    GoodValue(),
                "key 0"},
        BadCase{"DuplicateKey",
                "a2" + Key() + GoodValue() + Key() + GoodValue(), "repeats"},
        BadCase{"TextValue", "a1" + Key() + "6161", "not a definite byte"},
        BadCase{"UnsupportedAlg",
                "a1" + Key() +
                    "5824"
                    "8202"
                    "5820" +
                    std::string(64, '1'),
                "unsupported hash-alg-id 2"},
        BadCase{"ShortHash",
                "a1" + Key() +
                    "5814"
                    "8201"
                    "5810" +
                    std::string(32, '1'),
                "16 bytes, expected 32"},
        BadCase{"EntryNotArray", "a1" + Key() + "4101", "2-element array"},
        BadCase{"EntryTrailing",
                "a1" + Key() +
                    "5825"
                    "8201"
                    "5820" +
                    std::string(64, '1') + "00",
                "trailing"},
        BadCase{"MapTrailing", "a1" + Key() + GoodValue() + "00", "trailing"},
        BadCase{"Truncated", "a1" + Key() + "5823", "not a definite byte"}),
    [](const ::testing::TestParamInfo<BadCase>& tp) { return tp.param.name; });

TEST(OidsTest, ByteConstantsMatchTheDottedOids) {
  struct Case {
    std::string_view dotted;
    std::span<const uint8_t> der;
  } cases[] = {
      {kTcgDiceTaggedEvidenceOid, kTcgDiceTaggedEvidenceOidDer},
      {kGramineLegacyQuoteOid, kGramineLegacyQuoteOidDer},
      {kGramineLegacyQuoteWireOid, kGramineLegacyQuoteWireOidDer},
  };
  for (const Case& c : cases) {
    ASN1_OBJECT* obj = OBJ_txt2obj(std::string(c.dotted).c_str(), 1);
    ASSERT_NE(obj, nullptr) << c.dotted;
    std::span<const uint8_t> got(OBJ_get0_data(obj), OBJ_length(obj));
    EXPECT_TRUE(std::equal(got.begin(), got.end(), c.der.begin(), c.der.end()))
        << c.dotted;
    ASN1_OBJECT_free(obj);
  }
  EXPECT_EQ(EvidenceFormatOfOid(kTcgDiceTaggedEvidenceOidDer),
            EvidenceFormat::kTcgDiceTaggedEvidence);
  EXPECT_EQ(EvidenceFormatOfOid(kGramineLegacyQuoteWireOidDer),
            EvidenceFormat::kGramineLegacy);
  EXPECT_EQ(EvidenceFormatOfOid(kGramineLegacyQuoteOidDer),
            EvidenceFormat::kGramineLegacy);
  EXPECT_EQ(EvidenceFormatOfOid(std::vector<uint8_t>{0x2a}), std::nullopt);
}

TEST(CborReaderTest, RejectsFloatsAndSimpleValuesAsOther) {
  for (std::string hex : {"f93c00", "f5", "f6", "f7", "fb3ff0000000000000"}) {
    std::vector<uint8_t> bytes = Hex(hex);
    CborReader r(bytes);
    CborHead head;
    ASSERT_TRUE(r.Next(&head)) << hex;
    EXPECT_EQ(head.kind, CborHead::Kind::kOther) << hex;
    EXPECT_TRUE(r.empty());
  }
  std::vector<uint8_t> reserved = Hex("1c");  // Reserved additional info.
  CborReader r(reserved);
  CborHead head;
  EXPECT_FALSE(r.Next(&head));
}

}  // namespace
}  // namespace mra::x509::internal
