#include "mra/x509/parsed_cert.h"

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "src/x509/internal/cert_builder.h"
#include "src/x509/internal/evidence_codec.h"
#include "src/x509/test_fakes.h"

#include "mra/base/status.h"
#include "mra/testing/status_matchers.h"

namespace mra::x509 {
namespace {

using internal::BuildCertificate;
using internal::CertSpec;
using internal::DerToPem;
using internal::ExtensionSpec;
using ::mra::testing::FailsWith;
using ::mra::testing::IsOk;
using ::mra::x509::testing::FakeQuote;
using ::mra::x509::testing::TestNow;
using ::testing::HasSubstr;

crypto::PrivateKey NewKey(crypto::KeyType type = crypto::KeyType::kEcdsaP256) {
  absl::StatusOr<crypto::PrivateKey> key = crypto::PrivateKey::Generate(type);
  MRA_CHECK(key.ok());
  return *std::move(key);
}

// DiceExtension is a correct interoperable evidence extension for `key`.
ExtensionSpec DiceExtension(const crypto::PublicKey& key,
                            const std::string& label = "frontend") {
  std::vector<uint8_t> claims =
      internal::EncodeClaims(crypto::Sha256(key.SpkiDer()));
  std::vector<uint8_t> quote = FakeQuote(label, ReportDataForClaims(claims));
  return {std::string(kTcgDiceTaggedEvidenceOid), false,
          internal::EncodeTaggedEvidence(quote, claims)};
}

ExtensionSpec LegacyExtension(
    const crypto::PublicKey& key,
    std::string_view oid = kGramineLegacyQuoteWireOid) {
  return {std::string(oid), false,
          FakeQuote("frontend", ReportDataForSpki(key.SpkiDer()))};
}

CertSpec Spec(std::vector<ExtensionSpec> extensions) {
  CertSpec spec;
  spec.common_name = "test";
  spec.not_before = TestNow() - absl::Hours(1);
  spec.not_after = TestNow() + absl::Hours(1);
  spec.extensions = std::move(extensions);
  return spec;
}

std::vector<uint8_t> Build(const crypto::PrivateKey& key,
                           const CertSpec& spec) {
  absl::StatusOr<std::vector<uint8_t>> der =
      BuildCertificate(key.public_key(), key, spec);
  MRA_CHECK(der.ok());
  return *std::move(der);
}

absl::StatusOr<ParsedAttestedCert> Parse(const std::vector<uint8_t>& der) {
  return ParseAttestedCertificate(std::span<const uint8_t>(der), TestNow());
}

TEST(ParsedCertTest, GoodCertificateParses) {
  crypto::PrivateKey key = NewKey();
  std::vector<uint8_t> der =
      Build(key, Spec({DiceExtension(key.public_key())}));
  MRA_ASSERT_OK_AND_ASSIGN(ParsedAttestedCert cert, Parse(der));
  EXPECT_EQ(cert.cert_sha256, crypto::Sha256(der));
  EXPECT_EQ(cert.spki_sha256, key.public_key().Fingerprint());
  EXPECT_EQ(cert.subject_common_name, "test");
  // PEM with surrounding whitespace is the same certificate.
  EXPECT_THAT(
      ParseAttestedCertificate("\n  " + DerToPem(der) + "\n\n", TestNow()),
      IsOk());
}

TEST(ParsedCertTest, BothGramineLegacyOidSpellingsParse) {
  crypto::PrivateKey key = NewKey(crypto::KeyType::kEcdsaP384);
  for (std::string_view oid :
       {kGramineLegacyQuoteWireOid, kGramineLegacyQuoteOid}) {
    std::vector<uint8_t> der =
        Build(key, Spec({LegacyExtension(key.public_key(), oid)}));
    MRA_ASSERT_OK_AND_ASSIGN(ParsedAttestedCert cert, Parse(der));
    EXPECT_EQ(cert.format, EvidenceFormat::kGramineLegacy) << oid;
    EXPECT_EQ(cert.expected_report_data,
              ReportDataForSpki(key.public_key().SpkiDer()));
  }
}

TEST(ParsedCertTest, EveryKeyTypeParses) {
  // EC keys are built from the raw point; RSA and Ed25519 go through
  // OpenSSL's generic decoder (crypto::CertificatePublicKey).
  struct KeyCase {
    crypto::KeyType type;
    int rsa_bits;
  };
  for (KeyCase c : {KeyCase{crypto::KeyType::kEcdsaP256, 0},
                    KeyCase{crypto::KeyType::kEcdsaP384, 0},
                    KeyCase{crypto::KeyType::kEd25519, 0},
                    KeyCase{crypto::KeyType::kRsa, 2048}}) {
    absl::StatusOr<crypto::PrivateKey> key =
        c.rsa_bits != 0 ? crypto::PrivateKey::Generate(c.type, c.rsa_bits)
                        : crypto::PrivateKey::Generate(c.type);
    ASSERT_THAT(key, IsOk());
    MRA_ASSERT_OK_AND_ASSIGN(
        ParsedAttestedCert cert,
        Parse(Build(*key, Spec({DiceExtension(key->public_key())}))));
    EXPECT_EQ(cert.key_type, c.type);
    EXPECT_EQ(cert.spki_sha256, key->public_key().Fingerprint());
  }
}

TEST(ParsedCertTest, PointOffTheCurveIsMalformed) {
  crypto::PrivateKey key = NewKey();
  std::vector<uint8_t> der =
      Build(key, Spec({DiceExtension(key.public_key())}));
  // The uncompressed P-256 point follows BIT STRING, length 66, 0 unused bits.
  const std::vector<uint8_t> prefix = {0x03, 0x42, 0x00, 0x04};
  auto at = std::search(der.begin(), der.end(), prefix.begin(), prefix.end());
  ASSERT_NE(at, der.end());
  at[4 + 63] ^= 0x01;  // Last byte of y.
  absl::StatusOr<ParsedAttestedCert> got = Parse(der);
  EXPECT_THAT(got, FailsWith(VerifyFailure::kCertificateMalformed));
  EXPECT_THAT(std::string(got.status().message()),
              HasSubstr("subject public key"));
}

TEST(ParsedCertTest, DerFramingErrorsAreNamed) {
  crypto::PrivateKey key = NewKey();
  std::vector<uint8_t> der =
      Build(key, Spec({DiceExtension(key.public_key())}));
  std::vector<uint8_t> trailing = der;
  trailing.push_back(0x00);
  absl::StatusOr<ParsedAttestedCert> got = Parse(trailing);
  EXPECT_THAT(got, FailsWith(VerifyFailure::kCertificateMalformed));
  EXPECT_THAT(std::string(got.status().message()),
              HasSubstr("1 bytes after its DER"));
  got = Parse(std::vector<uint8_t>(der.begin(), der.end() - 1));
  EXPECT_THAT(got, FailsWith(VerifyFailure::kCertificateMalformed));
  EXPECT_THAT(std::string(got.status().message()),
              HasSubstr("does not decode as DER"));
}

TEST(ParsedCertTest, NoEvidenceExtensionIsMissing) {
  crypto::PrivateKey key = NewKey();
  EXPECT_THAT(Parse(Build(key, Spec({}))),
              FailsWith(VerifyFailure::kEvidenceMissing));
}

TEST(ParsedCertTest, TwoEvidenceExtensionsAreDuplicate) {
  crypto::PrivateKey key = NewKey();
  const crypto::PublicKey& pub = key.public_key();
  const std::vector<std::vector<ExtensionSpec>> cases = {
      {DiceExtension(pub), DiceExtension(pub)},
      {DiceExtension(pub), LegacyExtension(pub)},
      {LegacyExtension(pub), LegacyExtension(pub, kGramineLegacyQuoteOid)},
      {LegacyExtension(pub), LegacyExtension(pub)},
  };
  for (const auto& extensions : cases) {
    EXPECT_THAT(Parse(Build(key, Spec(extensions))),
                FailsWith(VerifyFailure::kEvidenceDuplicate));
  }
}

TEST(ParsedCertTest, UnknownCriticalExtensionIsRefused) {
  crypto::PrivateKey key = NewKey();
  ExtensionSpec unknown{"1.3.6.1.4.1.55555.1", true, {0x05, 0x00}};
  absl::StatusOr<ParsedAttestedCert> got =
      Parse(Build(key, Spec({DiceExtension(key.public_key()), unknown})));
  EXPECT_THAT(got, FailsWith(VerifyFailure::kUnknownCriticalExtension));
  EXPECT_THAT(std::string(got.status().message()),
              HasSubstr("1.3.6.1.4.1.55555.1"));
  // The same extension, not critical, is ignored.
  unknown.critical = false;
  EXPECT_THAT(
      Parse(Build(key, Spec({DiceExtension(key.public_key()), unknown}))),
      IsOk());
}

TEST(ParsedCertTest, RepeatedOrdinaryExtensionIsMalformed) {
  crypto::PrivateKey key = NewKey();
  ExtensionSpec other{"1.3.6.1.4.1.55555.2", false, {0x05, 0x00}};
  EXPECT_THAT(
      Parse(Build(key, Spec({DiceExtension(key.public_key()), other, other}))),
      FailsWith(VerifyFailure::kCertificateMalformed));
}

TEST(ParsedCertTest, EvidenceCopiedFromAnotherCertificateIsUnbound) {
  crypto::PrivateKey victim = NewKey();
  crypto::PrivateKey attacker = NewKey();
  // The victim's evidence extension, verbatim, in the attacker's cert.
  EXPECT_THAT(
      Parse(Build(attacker, Spec({DiceExtension(victim.public_key())}))),
      FailsWith(VerifyFailure::kKeyBindingMismatch));
}

TEST(ParsedCertTest, ExpiredAndNotYetValidAreRefused) {
  crypto::PrivateKey key = NewKey();
  CertSpec spec = Spec({DiceExtension(key.public_key())});
  std::vector<uint8_t> der = Build(key, spec);
  EXPECT_THAT(ParseAttestedCertificate(std::span<const uint8_t>(der),
                                       spec.not_after + absl::Seconds(1)),
              FailsWith(VerifyFailure::kCertExpired));
  EXPECT_THAT(ParseAttestedCertificate(std::span<const uint8_t>(der),
                                       spec.not_before - absl::Seconds(1)),
              FailsWith(VerifyFailure::kCertExpired));
  // Both ends are inclusive.
  EXPECT_THAT(
      ParseAttestedCertificate(std::span<const uint8_t>(der), spec.not_after),
      IsOk());
  EXPECT_THAT(
      ParseAttestedCertificate(std::span<const uint8_t>(der), spec.not_before),
      IsOk());
}

TEST(ParsedCertTest, BadSelfSignatureIsRefused) {
  crypto::PrivateKey subject = NewKey();
  crypto::PrivateKey other = NewKey();
  absl::StatusOr<std::vector<uint8_t>> der = BuildCertificate(
      subject.public_key(), other, Spec({DiceExtension(subject.public_key())}));
  ASSERT_THAT(der, IsOk());
  EXPECT_THAT(Parse(*der), FailsWith(VerifyFailure::kCertChainInvalid));
  // A flipped bit in the signature of an otherwise good certificate.
  std::vector<uint8_t> good =
      Build(subject, Spec({DiceExtension(subject.public_key())}));
  good[good.size() - 3] ^= 0x01;
  absl::StatusOr<ParsedAttestedCert> got = Parse(good);
  EXPECT_FALSE(got.ok());
  std::optional<VerifyFailure> failure = GetVerifyFailure(got.status());
  ASSERT_TRUE(failure.has_value()) << got.status();
  EXPECT_TRUE(*failure == VerifyFailure::kCertChainInvalid ||
              *failure == VerifyFailure::kCertificateMalformed)
      << got.status();
}

TEST(ParsedCertTest, MalformedInputsAreMalformed) {
  crypto::PrivateKey key = NewKey();
  std::vector<uint8_t> der =
      Build(key, Spec({DiceExtension(key.public_key())}));
  std::string pem = DerToPem(der);
  std::vector<std::pair<std::string, std::string>> cases = {
      {"empty", ""},
      {"garbage", "hello, world"},
      {"truncated PEM", pem.substr(0, pem.size() / 2)},
      {"PEM without END", pem.substr(0, pem.find("-----END")) + "\n"},
      {"PEM with trailing text", pem + "trailing"},
      {"two PEM blocks", pem + pem},
      {"wrong PEM label", key.public_key().ToPem()},
      {"bad base64",
       "-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n"},
      {"truncated DER", std::string(der.begin(), der.begin() + 100)},
      {"DER with trailing byte", std::string(der.begin(), der.end()) + "x"},
      {"DER-looking garbage", std::string("\x30\x03\x02\x01\x01", 5)},
      {"oversized DER", std::string(kMaxCertificateDerLen + 1, '\x30')},
  };
  for (const auto& [name, input] : cases) {
    EXPECT_THAT(ParseAttestedCertificate(input, TestNow()),
                FailsWith(VerifyFailure::kCertificateMalformed))
        << name;
  }
}

TEST(ParsedCertTest, MalformedEvidenceNamesTheField) {
  crypto::PrivateKey key = NewKey();
  ExtensionSpec bad{std::string(kTcgDiceTaggedEvidenceOid),
                    false,
                    {0xd9, 0xea, 0x60, 0x82, 0x40, 0x40}};
  absl::StatusOr<ParsedAttestedCert> got = Parse(Build(key, Spec({bad})));
  EXPECT_THAT(got, FailsWith(VerifyFailure::kCertificateMalformed));
  EXPECT_THAT(std::string(got.status().message()), HasSubstr("quote"));
  ExtensionSpec empty_legacy{
      std::string(kGramineLegacyQuoteWireOid), false, {}};
  EXPECT_THAT(Parse(Build(key, Spec({empty_legacy}))),
              FailsWith(VerifyFailure::kCertificateMalformed));
}

TEST(ParsedCertTest, EveryTruncationIsRefusedWithoutCrashing) {
  crypto::PrivateKey key = NewKey();
  std::vector<uint8_t> der =
      Build(key, Spec({DiceExtension(key.public_key())}));
  for (size_t len = 0; len < der.size(); ++len) {
    std::vector<uint8_t> prefix(der.begin(),
                                der.begin() + static_cast<std::ptrdiff_t>(len));
    EXPECT_FALSE(Parse(prefix).ok()) << len;
  }
}

TEST(ParsedCertTest, EveryByteFlipIsRefusedOrHarmless) {
  crypto::PrivateKey key = NewKey();
  std::vector<uint8_t> der =
      Build(key, Spec({DiceExtension(key.public_key())}));
  for (size_t i = 0; i < der.size(); ++i) {
    std::vector<uint8_t> mutant = der;
    mutant[i] ^= 0x41;
    absl::StatusOr<ParsedAttestedCert> got = Parse(mutant);
    if (got.ok()) {
      // Only bytes outside the signed content and the key could survive,
      // e.g. a DER length form change OpenSSL tolerates; never a different
      // key binding.
      EXPECT_EQ(got->spki_sha256, key.public_key().Fingerprint()) << i;
      continue;
    }
    EXPECT_TRUE(GetVerifyFailure(got.status()).has_value())
        << i << ": " << got.status();
  }
}

}  // namespace
}  // namespace mra::x509

namespace mra::x509 {
namespace {

// Regenerates the seed corpus of fuzz/cert_fuzzer.cc:
//   MRA_CERT_CORPUS_DIR=fuzz/corpus/cert x509_test
//     --gtest_also_run_disabled_tests --gtest_filter='*WriteFuzzCorpus*'
// Certificates are valid 2025..2035 so they parse at the fuzzer's "now".
TEST(ParsedCertTest, DISABLED_WriteFuzzCorpus) {
  const char* dir = std::getenv("MRA_CERT_CORPUS_DIR");
  ASSERT_NE(dir, nullptr) << "set MRA_CERT_CORPUS_DIR";
  auto spec = [](std::vector<ExtensionSpec> extensions) {
    CertSpec s = Spec(std::move(extensions));
    s.not_before = absl::FromUnixSeconds(1735689600);  // 2025-01-01.
    s.not_after = absl::FromUnixSeconds(2051222400);   // 2035-01-01.
    return s;
  };
  auto write = [&](const std::string& name, std::string_view bytes) {
    std::ofstream out(std::string(dir) + "/" + name, std::ios::binary);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    ASSERT_TRUE(out.good()) << name;
  };
  auto str = [](const std::vector<uint8_t>& v) {
    return std::string(v.begin(), v.end());
  };
  crypto::PrivateKey p256 = NewKey(crypto::KeyType::kEcdsaP256);
  crypto::PrivateKey p384 = NewKey(crypto::KeyType::kEcdsaP384);
  const crypto::PublicKey& pub = p256.public_key();

  std::vector<uint8_t> good = Build(p256, spec({DiceExtension(pub)}));
  write("good_dice_p256.der", str(good));
  write("good_dice_p384.pem",
        DerToPem(Build(p384, spec({DiceExtension(p384.public_key())}))));
  write("good_legacy_p256.der", str(Build(p256, spec({LegacyExtension(pub)}))));
  write("two_evidence_extensions.der",
        str(Build(p256, spec({DiceExtension(pub), LegacyExtension(pub)}))));
  write("unknown_critical.der",
        str(Build(p256, spec({DiceExtension(pub),
                              {"1.3.6.1.4.1.55555.1", true, {0x05, 0x00}}}))));
  write("no_evidence.der", str(Build(p256, spec({}))));
  write("copied_evidence.der", str(Build(p384, spec({DiceExtension(pub)}))));
  write("truncated.der", str(good).substr(0, good.size() / 2));
  std::string pem = DerToPem(good);
  write("truncated.pem", pem.substr(0, pem.size() / 2));
}

}  // namespace
}  // namespace mra::x509
