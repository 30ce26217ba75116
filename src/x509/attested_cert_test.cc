#include "mra/x509/attested_cert.h"

#include <algorithm>

#include "gtest/gtest.h"
#include "src/x509/internal/evidence_codec.h"
#include "src/x509/test_fakes.h"

#include "mra/crypto/keys.h"
#include "mra/testing/status_matchers.h"
#include "mra/x509/parsed_cert.h"

namespace mra::x509 {
namespace {

using ::mra::testing::IsOk;
using ::mra::testing::StatusIs;
using ::mra::x509::testing::FakeAttester;
using ::mra::x509::testing::FakeQuote;
using ::mra::x509::testing::TestNow;

class AttestedCertTest : public ::testing::Test {
 protected:
  AttestedCertTest() : clock_(TestNow()) { options_.clock = &clock_; }

  FixedClock clock_;
  AttestedCertOptions options_;
  FakeAttester attester_{"frontend"};
};

TEST_F(AttestedCertTest, CreatesInteroperableEvidenceBoundToTheKey) {
  for (crypto::KeyType type :
       {crypto::KeyType::kEcdsaP256, crypto::KeyType::kEcdsaP384}) {
    options_.key_type = type;
    options_.common_name = "frontend";
    MRA_ASSERT_OK_AND_ASSIGN(AttestedCredentials creds,
                             CreateAttestedCertificate(attester_, options_));
    EXPECT_EQ(creds.key.type(), type);
    EXPECT_EQ(creds.cert_sha256, crypto::Sha256(creds.cert_der));
    EXPECT_EQ(creds.not_before, TestNow() - absl::Minutes(5));
    EXPECT_EQ(creds.not_after, TestNow() + absl::Hours(1));

    MRA_ASSERT_OK_AND_ASSIGN(
        ParsedAttestedCert parsed,
        ParseAttestedCertificate(creds.cert_pem, TestNow()));
    EXPECT_EQ(parsed.format, EvidenceFormat::kTcgDiceTaggedEvidence);
    EXPECT_EQ(parsed.key_type, type);
    EXPECT_EQ(parsed.subject_common_name, "frontend");
    EXPECT_EQ(parsed.cert_sha256, creds.cert_sha256);
    EXPECT_EQ(parsed.spki_der, creds.key.public_key().SpkiDer());
    EXPECT_EQ(parsed.not_after, creds.not_after);
    // The claims are exactly {"pubkey-hash": [1, SHA-256(SPKI)]} and the
    // quote was taken over SHA-256(claims) || zeros.
    EXPECT_EQ(parsed.claims, internal::EncodeClaims(crypto::Sha256(
                                 creds.key.public_key().SpkiDer())));
    ReportData want = ReportDataForClaims(parsed.claims);
    EXPECT_TRUE(std::all_of(want.begin() + 32, want.end(),
                            [](uint8_t b) { return b == 0; }));
    EXPECT_EQ(parsed.expected_report_data, want);
    EXPECT_EQ(parsed.quote, FakeQuote("frontend", want));

    // DER parses to the same result.
    MRA_ASSERT_OK_AND_ASSIGN(
        ParsedAttestedCert from_der,
        ParseAttestedCertificate(std::span<const uint8_t>(creds.cert_der),
                                 TestNow()));
    EXPECT_EQ(from_der.quote, parsed.quote);
  }
}

TEST_F(AttestedCertTest, CreatesGramineLegacyEvidence) {
  options_.format = EvidenceFormat::kGramineLegacy;
  MRA_ASSERT_OK_AND_ASSIGN(AttestedCredentials creds,
                           CreateAttestedCertificate(attester_, options_));
  MRA_ASSERT_OK_AND_ASSIGN(ParsedAttestedCert parsed,
                           ParseAttestedCertificate(creds.cert_pem, TestNow()));
  EXPECT_EQ(parsed.format, EvidenceFormat::kGramineLegacy);
  EXPECT_TRUE(parsed.claims.empty());
  ReportData want = ReportDataForSpki(creds.key.public_key().SpkiDer());
  EXPECT_EQ(parsed.expected_report_data, want);
  EXPECT_EQ(parsed.quote, FakeQuote("frontend", want));
}

TEST_F(AttestedCertTest, EachCallMakesAFreshKey) {
  MRA_ASSERT_OK_AND_ASSIGN(AttestedCredentials a,
                           CreateAttestedCertificate(attester_, options_));
  MRA_ASSERT_OK_AND_ASSIGN(AttestedCredentials b,
                           CreateAttestedCertificate(attester_, options_));
  EXPECT_NE(a.key.public_key().SpkiDer(), b.key.public_key().SpkiDer());
  EXPECT_NE(a.cert_der, b.cert_der);
}

TEST_F(AttestedCertTest, ValidityAndSkewAreConfigurable) {
  options_.validity = absl::Minutes(10);
  options_.not_before_skew = absl::ZeroDuration();
  MRA_ASSERT_OK_AND_ASSIGN(AttestedCredentials creds,
                           CreateAttestedCertificate(attester_, options_));
  EXPECT_EQ(creds.not_before, TestNow());
  EXPECT_EQ(creds.not_after, TestNow() + absl::Minutes(10));
  EXPECT_THAT(
      ParseAttestedCertificate(creds.cert_pem, TestNow() + absl::Minutes(11)),
      ::mra::testing::FailsWith(VerifyFailure::kCertExpired));
}

TEST_F(AttestedCertTest, PrivateKeyPemMatchesTheCertificateKey) {
  MRA_ASSERT_OK_AND_ASSIGN(AttestedCredentials creds,
                           CreateAttestedCertificate(attester_, options_));
  MRA_ASSERT_OK_AND_ASSIGN(CleansedString pem, creds.PrivateKeyPem());
  const std::string& text = pem.UnsafeString(SecretAccess::Get());
  EXPECT_TRUE(text.starts_with("-----BEGIN PRIVATE KEY-----"));
  MRA_ASSERT_OK_AND_ASSIGN(crypto::PrivateKey key,
                           crypto::PrivateKey::ParsePem(text));
  EXPECT_EQ(key.public_key().SpkiDer(), creds.key.public_key().SpkiDer());
  CleansedString moved = std::move(pem);
  EXPECT_EQ(moved.UnsafeString(SecretAccess::Get()).size(), text.size());
}

TEST_F(AttestedCertTest, RefusesBadOptions) {
  AttestedCertOptions bad = options_;
  bad.key_type = crypto::KeyType::kRsa;
  EXPECT_THAT(CreateAttestedCertificate(attester_, bad),
              StatusIs(absl::StatusCode::kInvalidArgument));
  bad = options_;
  bad.validity = absl::ZeroDuration();
  EXPECT_THAT(CreateAttestedCertificate(attester_, bad),
              StatusIs(absl::StatusCode::kInvalidArgument));
  bad = options_;
  bad.not_before_skew = -absl::Seconds(1);
  EXPECT_THAT(CreateAttestedCertificate(attester_, bad),
              StatusIs(absl::StatusCode::kInvalidArgument));
  bad = options_;
  bad.common_name = "";
  EXPECT_THAT(CreateAttestedCertificate(attester_, bad),
              StatusIs(absl::StatusCode::kInvalidArgument));
  bad.common_name = std::string(65, 'x');
  EXPECT_THAT(CreateAttestedCertificate(attester_, bad),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_F(AttestedCertTest, PropagatesAttesterFailures) {
  attester_.set_failure(absl::UnavailableError("no /dev/attestation"));
  EXPECT_THAT(CreateAttestedCertificate(attester_, options_),
              StatusIs(absl::StatusCode::kUnavailable));
  attester_.set_failure(absl::OkStatus());
  attester_.set_override(std::vector<uint8_t>());
  EXPECT_THAT(CreateAttestedCertificate(attester_, options_),
              StatusIs(absl::StatusCode::kInternal));
  attester_.set_override(std::vector<uint8_t>(kMaxQuoteLen + 1, 1));
  EXPECT_THAT(CreateAttestedCertificate(attester_, options_),
              StatusIs(absl::StatusCode::kInternal));
}

TEST_F(AttestedCertTest, CriticalEvidenceExtensionIsAccepted) {
  options_.critical_evidence = true;
  MRA_ASSERT_OK_AND_ASSIGN(AttestedCredentials creds,
                           CreateAttestedCertificate(attester_, options_));
  EXPECT_THAT(ParseAttestedCertificate(creds.cert_pem, TestNow()), IsOk());
}

}  // namespace
}  // namespace mra::x509
