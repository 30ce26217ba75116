#include "mra/x509/peer_verifier.h"

#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "src/x509/internal/cert_builder.h"
#include "src/x509/internal/evidence_codec.h"
#include "src/x509/test_fakes.h"

#include "mra/base/clock.h"
#include "mra/base/hex.h"
#include "mra/base/status.h"
#include "mra/testing/status_matchers.h"
#include "mra/x509/attested_cert.h"
#include "mra/x509/parsed_cert.h"

namespace mra::x509 {
namespace {

using ::mra::testing::FailsWith;
using ::mra::testing::IsOk;
using ::mra::testing::StatusIs;
using ::mra::x509::testing::FakeAppraiser;
using ::mra::x509::testing::FakeAttester;
using ::mra::x509::testing::MakeManifest;
using ::mra::x509::testing::ManualClock;
using ::mra::x509::testing::Measurement;
using ::mra::x509::testing::TestNow;

std::string Hex32(uint8_t fill) { return HexEncode(Measurement(fill)); }

// frontend: a1 (+ a2 for a rolling upgrade), signer 51.
// api: b1, signer 51. storage: c1, signer 52, product 7, min svn 2.
std::string ManifestText(uint64_t version, bool with_frontend = true) {
  std::string text = "version = " + std::to_string(version) + "\n";
  if (with_frontend) {
    text += "[frontend]\nmr_enclave = \"" + Hex32(0xa1) + "\"\nmr_signer = \"" +
            Hex32(0x51) + "\"\nadditional_mr_enclaves = [\"" + Hex32(0xa2) +
            "\"]\n";
  }
  text += "[api]\nmr_enclave = \"" + Hex32(0xb1) + "\"\nmr_signer = \"" +
          Hex32(0x51) + "\"\n";
  text += "[storage]\nmr_enclave = \"" + Hex32(0xc1) + "\"\nmr_signer = \"" +
          Hex32(0x52) + "\"\nisv_prod_id = 7\nmin_isv_svn = 2\n";
  return text;
}

AppraisedEvidence Evidence(uint8_t mr_enclave, uint8_t mr_signer,
                           uint16_t prod = 0, uint16_t svn = 0) {
  AppraisedEvidence e;
  e.mr_enclave = Measurement(mr_enclave);
  e.mr_signer = Measurement(mr_signer);
  e.isv_prod_id = prod;
  e.isv_svn = svn;
  e.tcb_status = "UpToDate";
  return e;
}

// The service under test is "api": called by frontend, calls storage.
constexpr std::string_view kInbound[] = {"frontend"};
constexpr std::string_view kOutbound[] = {"storage"};
constexpr AccessPolicy kPolicy("api", kInbound, kOutbound);
static_assert(kPolicy.IsValid());

class PeerVerifierTest : public ::testing::Test {
 protected:
  PeerVerifierTest()
      : clock_(TestNow()),
        appraiser_(std::make_shared<FakeAppraiser>()),
        manifests_(
            std::make_shared<ManifestHolder>(MakeManifest(ManifestText(3)))),
        cache_(std::make_shared<VerificationCache>()) {
    appraiser_->Add("frontend", Evidence(0xa1, 0x51));
    appraiser_->Add("frontend-v2", Evidence(0xa2, 0x51));
    appraiser_->Add("api", Evidence(0xb1, 0x51));
    appraiser_->Add("storage", Evidence(0xc1, 0x52, 7, 3));
    appraiser_->Add("storage-old", Evidence(0xc1, 0x52, 7, 1));
    appraiser_->Add("storage-min", Evidence(0xc1, 0x52, 7, 2));
    appraiser_->Add("storage-other-product", Evidence(0xc1, 0x52, 8, 3));
    appraiser_->Add("unknown", Evidence(0xee, 0x51));
    appraiser_->Add("impostor", Evidence(0xa1, 0x99));
    AppraisedEvidence debug = Evidence(0xa1, 0x51);
    debug.debug = true;
    appraiser_->Add("frontend-debug", debug);
    AppraisedEvidence sim = Evidence(0xa1, 0x51);
    sim.simulation = true;
    sim.tcb_status = "OutOfDate";
    appraiser_->Add("frontend-sim", sim);
    AppraisedEvidence short_lived = Evidence(0xa1, 0x51);
    short_lived.valid_until = TestNow() + absl::Minutes(1);
    appraiser_->Add("frontend-short", short_lived);
  }

  AttestedCredentials Creds(
      const std::string& label,
      EvidenceFormat format = EvidenceFormat::kTcgDiceTaggedEvidence,
      absl::Duration validity = absl::Hours(1)) {
    FakeAttester attester(label);
    AttestedCertOptions options;
    options.clock = &clock_;
    options.format = format;
    options.validity = validity;
    absl::StatusOr<AttestedCredentials> creds =
        CreateAttestedCertificate(attester, options);
    MRA_CHECK(creds.ok());
    return *std::move(creds);
  }
  std::string Cert(const std::string& label) { return Creds(label).cert_pem; }

  // A certificate whose notBefore is `age` before TestNow() and whose
  // notAfter is `remaining` after it; the clock is left at TestNow().
  std::string AgedCert(
      const std::string& label, absl::Duration age, absl::Duration remaining,
      EvidenceFormat format = EvidenceFormat::kTcgDiceTaggedEvidence) {
    clock_.Set(TestNow() - age);
    FakeAttester attester(label);
    AttestedCertOptions options;
    options.clock = &clock_;
    options.format = format;
    options.not_before_skew = absl::ZeroDuration();
    options.validity = age + remaining;
    absl::StatusOr<AttestedCredentials> creds =
        CreateAttestedCertificate(attester, options);
    MRA_CHECK(creds.ok());
    clock_.Set(TestNow());
    return creds->cert_pem;
  }

  PeerVerifierOptions Options(bool cached = false) {
    PeerVerifierOptions options;
    options.clock = &clock_;
    if (cached) {
      options.cache = cache_;
    }
    return options;
  }
  std::unique_ptr<AttestedPeerVerifier> Server(bool cached = false) {
    auto v = AttestedPeerVerifier::ForServer(kPolicy, manifests_, appraiser_,
                                             Options(cached));
    MRA_CHECK(v.ok());
    return *std::move(v);
  }
  std::unique_ptr<AttestedPeerVerifier> Client(std::string_view expected,
                                               bool cached = false) {
    auto v = AttestedPeerVerifier::ForClient(expected, kPolicy, manifests_,
                                             appraiser_, Options(cached));
    MRA_CHECK(v.ok());
    return *std::move(v);
  }

  ManualClock clock_;
  std::shared_ptr<FakeAppraiser> appraiser_;
  std::shared_ptr<ManifestHolder> manifests_;
  std::shared_ptr<VerificationCache> cache_;
};

TEST_F(PeerVerifierTest, ServerAcceptsAnAllowedClient) {
  AttestedCredentials creds = Creds("frontend");
  MRA_ASSERT_OK_AND_ASSIGN(PeerIdentity id, Server()->Verify(creds.cert_pem));
  EXPECT_EQ(id.service, "frontend");
  EXPECT_EQ(id.mr_enclave, Measurement(0xa1));
  EXPECT_EQ(id.mr_signer, Measurement(0x51));
  EXPECT_EQ(id.tcb_status, "UpToDate");
  EXPECT_FALSE(id.simulation);
  EXPECT_EQ(id.manifest_version, 3u);
  EXPECT_EQ(id.cert_sha256, creds.cert_sha256);
}

TEST_F(PeerVerifierTest, ClientAcceptsTheServerItMeantToReach) {
  MRA_ASSERT_OK_AND_ASSIGN(PeerIdentity id,
                           Client("storage")->Verify(Cert("storage")));
  EXPECT_EQ(id.service, "storage");
  EXPECT_EQ(id.isv_prod_id, 7);
  EXPECT_EQ(id.isv_svn, 3);
  EXPECT_EQ(Client("storage")->direction(),
            AttestedPeerVerifier::Direction::kClient);
  EXPECT_EQ(Client("storage")->expected_service(), "storage");
}

TEST_F(PeerVerifierTest, GramineLegacyCertificatesAreVerifiedToo) {
  AttestedCredentials creds = Creds("frontend", EvidenceFormat::kGramineLegacy);
  MRA_ASSERT_OK_AND_ASSIGN(PeerIdentity id, Server()->Verify(creds.cert_pem));
  EXPECT_EQ(id.service, "frontend");
}

TEST_F(PeerVerifierTest, DerIsAcceptedAsWellAsPem) {
  AttestedCredentials creds = Creds("frontend");
  std::string der(creds.cert_der.begin(), creds.cert_der.end());
  EXPECT_THAT(Server()->Verify(der), IsOk());
}

TEST_F(PeerVerifierTest, SimulationAndTcbStatusArePassedThrough) {
  MRA_ASSERT_OK_AND_ASSIGN(PeerIdentity id,
                           Server()->Verify(Cert("frontend-sim")));
  EXPECT_TRUE(id.simulation);
  EXPECT_EQ(id.tcb_status, "OutOfDate");
}

TEST_F(PeerVerifierTest, EmptyCertificateIsNoPeerCertificate) {
  EXPECT_THAT(Server()->Verify(""),
              FailsWith(VerifyFailure::kNoPeerCertificate));
  EXPECT_THAT(Client("storage")->Verify(" \n"),
              FailsWith(VerifyFailure::kNoPeerCertificate));
}

TEST_F(PeerVerifierTest, MalformedCertificateIsMalformed) {
  EXPECT_THAT(Server()->Verify("-----BEGIN CERTIFICATE-----\nAAAA\n"),
              FailsWith(VerifyFailure::kCertificateMalformed));
}

TEST_F(PeerVerifierTest, IdentityRefusals) {
  struct Case {
    std::string label;
    VerifyFailure failure;
  } cases[] = {
      {"unknown", VerifyFailure::kMeasurementNotInManifest},
      {"impostor", VerifyFailure::kSignerMismatch},
      {"storage-old", VerifyFailure::kIsvSvnTooLow},
      {"storage-other-product", VerifyFailure::kProductIdMismatch},
      {"frontend-debug", VerifyFailure::kDebugEnclave},
  };
  for (const Case& c : cases) {
    // Client side for storage labels, server side for the others, so the
    // identity check (not access control) is what refuses.
    bool storage = c.label.starts_with("storage");
    auto verifier = storage ? Client("storage") : Server();
    EXPECT_THAT(verifier->Verify(Cert(c.label)), FailsWith(c.failure))
        << c.label;
  }
}

TEST_F(PeerVerifierTest, MinimumSvnIsInclusive) {
  EXPECT_THAT(Client("storage")->Verify(Cert("storage-min")), IsOk());
}

TEST_F(PeerVerifierTest, AdditionalMrEnclaveIsAccepted) {
  MRA_ASSERT_OK_AND_ASSIGN(PeerIdentity id,
                           Server()->Verify(Cert("frontend-v2")));
  EXPECT_EQ(id.service, "frontend");
  EXPECT_EQ(id.mr_enclave, Measurement(0xa2));
}

TEST_F(PeerVerifierTest, DebugEnclaveAcceptedOnlyWhenAllowed) {
  PeerVerifierOptions options = Options();
  options.allow_debug_enclaves = true;
  MRA_ASSERT_OK_AND_ASSIGN(
      auto verifier, AttestedPeerVerifier::ForServer(kPolicy, manifests_,
                                                     appraiser_, options));
  EXPECT_THAT(verifier->Verify(Cert("frontend-debug")), IsOk());
}

TEST_F(PeerVerifierTest, AppraisalFailurePassesThrough) {
  FakeAttester attester("not-in-the-table");
  AttestedCertOptions options;
  options.clock = &clock_;
  MRA_ASSERT_OK_AND_ASSIGN(AttestedCredentials creds,
                           CreateAttestedCertificate(attester, options));
  EXPECT_THAT(Server()->Verify(creds.cert_pem),
              FailsWith(VerifyFailure::kQuoteSignatureInvalid));
}

TEST_F(PeerVerifierTest, ServerRefusesClientsOutsideTheInboundList) {
  // storage is a genuine, listed service, but may not call api.
  EXPECT_THAT(Server()->Verify(Cert("storage")),
              FailsWith(VerifyFailure::kPeerNotAllowed));
  EXPECT_THAT(Server()->Verify(Cert("api")),
              FailsWith(VerifyFailure::kPeerNotAllowed));
}

TEST_F(PeerVerifierTest, ClientRefusesAServerThatIsNotTheExpectedService) {
  EXPECT_THAT(Client("storage")->Verify(Cert("frontend")),
              FailsWith(VerifyFailure::kUnexpectedPeer));
}

TEST_F(PeerVerifierTest, ClientForAServiceOutsideTheOutboundListIsRefused) {
  EXPECT_THAT(AttestedPeerVerifier::ForClient("frontend", kPolicy, manifests_,
                                              appraiser_, Options()),
              FailsWith(VerifyFailure::kPeerNotAllowed));
}

TEST_F(PeerVerifierTest, ConstructionChecksItsArguments) {
  static constexpr std::string_view kDup[] = {"a", "a"};
  static constexpr AccessPolicy kBad("api", kDup, kOutbound);
  EXPECT_THAT(
      AttestedPeerVerifier::ForServer(kBad, manifests_, appraiser_, Options()),
      StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(
      AttestedPeerVerifier::ForServer(kPolicy, nullptr, appraiser_, Options()),
      StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(
      AttestedPeerVerifier::ForServer(kPolicy, manifests_, nullptr, Options()),
      StatusIs(absl::StatusCode::kInvalidArgument));
}

// An attacker with its own key, a genuine quote from another certificate, and
// fresh claims that correctly hash its own key: the claims check passes, so
// only the report-data comparison can catch it, even if the appraiser does
// not compare report data itself.
TEST_F(PeerVerifierTest, QuoteFromAnotherCertificateIsUnboundEvenIfPermissive) {
  AttestedCredentials victim = Creds("frontend");
  MRA_ASSERT_OK_AND_ASSIGN(
      ParsedAttestedCert victim_cert,
      ParseAttestedCertificate(victim.cert_pem, TestNow()));
  MRA_ASSERT_OK_AND_ASSIGN(
      crypto::PrivateKey attacker,
      crypto::PrivateKey::Generate(crypto::KeyType::kEcdsaP256));
  std::vector<uint8_t> claims =
      internal::EncodeClaims(crypto::Sha256(attacker.public_key().SpkiDer()));
  internal::CertSpec spec;
  spec.common_name = "frontend";
  spec.not_before = TestNow() - absl::Minutes(1);
  spec.not_after = TestNow() + absl::Hours(1);
  spec.extensions.push_back(
      {std::string(kTcgDiceTaggedEvidenceOid), false,
       internal::EncodeTaggedEvidence(victim_cert.quote, claims)});
  MRA_ASSERT_OK_AND_ASSIGN(
      std::vector<uint8_t> der,
      internal::BuildCertificate(attacker.public_key(), attacker, spec));
  std::string pem = internal::DerToPem(der);

  // The certificate alone looks fine...
  EXPECT_THAT(ParseAttestedCertificate(pem, TestNow()), IsOk());
  // ...but the quote does not bind it.
  EXPECT_THAT(Server()->Verify(pem),
              FailsWith(VerifyFailure::kKeyBindingMismatch));
  appraiser_->set_check_report_data(true);
  EXPECT_THAT(Server()->Verify(pem),
              FailsWith(VerifyFailure::kKeyBindingMismatch));
}

TEST_F(PeerVerifierTest, LegacyQuoteFromAnotherCertificateIsUnbound) {
  AttestedCredentials victim =
      Creds("frontend", EvidenceFormat::kGramineLegacy);
  MRA_ASSERT_OK_AND_ASSIGN(
      ParsedAttestedCert victim_cert,
      ParseAttestedCertificate(victim.cert_pem, TestNow()));
  MRA_ASSERT_OK_AND_ASSIGN(
      crypto::PrivateKey attacker,
      crypto::PrivateKey::Generate(crypto::KeyType::kEcdsaP256));
  internal::CertSpec spec;
  spec.common_name = "frontend";
  spec.not_before = TestNow() - absl::Minutes(1);
  spec.not_after = TestNow() + absl::Hours(1);
  spec.extensions.push_back(
      {std::string(kGramineLegacyQuoteWireOid), false, victim_cert.quote});
  MRA_ASSERT_OK_AND_ASSIGN(
      std::vector<uint8_t> der,
      internal::BuildCertificate(attacker.public_key(), attacker, spec));
  EXPECT_THAT(Server()->Verify(internal::DerToPem(der)),
              FailsWith(VerifyFailure::kKeyBindingMismatch));
}

TEST_F(PeerVerifierTest, ExpiredAndNotYetValidCertificates) {
  std::string pem = Creds("frontend", EvidenceFormat::kTcgDiceTaggedEvidence,
                          absl::Minutes(10))
                        .cert_pem;
  clock_.Advance(absl::Minutes(11));
  EXPECT_THAT(Server()->Verify(pem), FailsWith(VerifyFailure::kCertExpired));
  clock_.Set(TestNow() - absl::Minutes(6));  // Before the 5-minute skew.
  EXPECT_THAT(Server()->Verify(pem), FailsWith(VerifyFailure::kCertExpired));
}

TEST_F(PeerVerifierTest, CacheHitSkipsAppraisal) {
  auto server = Server(/*cached=*/true);
  std::string pem = Cert("frontend");
  ASSERT_THAT(server->Verify(pem), IsOk());
  ASSERT_THAT(server->Verify(pem), IsOk());
  EXPECT_EQ(appraiser_->calls(), 1);
  VerificationCache::Stats stats = cache_->stats();
  EXPECT_EQ(stats.hits, 1u);
  EXPECT_EQ(stats.misses, 1u);
  EXPECT_EQ(stats.size, 1u);
  // A different certificate of the same service is a separate entry.
  ASSERT_THAT(server->Verify(Cert("frontend")), IsOk());
  EXPECT_EQ(appraiser_->calls(), 2);
  EXPECT_EQ(cache_->stats().size, 2u);
}

TEST_F(PeerVerifierTest, FailuresAreNotCached) {
  auto server = Server(/*cached=*/true);
  std::string pem = Cert("impostor");
  EXPECT_THAT(server->Verify(pem), FailsWith(VerifyFailure::kSignerMismatch));
  EXPECT_THAT(server->Verify(pem), FailsWith(VerifyFailure::kSignerMismatch));
  EXPECT_EQ(appraiser_->calls(), 2);
  EXPECT_EQ(cache_->stats().size, 0u);
}

TEST_F(PeerVerifierTest, CacheIsInvalidatedByManifestReplacement) {
  auto server = Server(/*cached=*/true);
  std::string pem = Cert("frontend");
  MRA_ASSERT_OK_AND_ASSIGN(PeerIdentity before, server->Verify(pem));
  EXPECT_EQ(before.manifest_version, 3u);

  ASSERT_THAT(manifests_->Replace(MakeManifest(ManifestText(4))), IsOk());
  MRA_ASSERT_OK_AND_ASSIGN(PeerIdentity after, server->Verify(pem));
  EXPECT_EQ(after.manifest_version, 4u);
  EXPECT_EQ(appraiser_->calls(), 2);
  EXPECT_EQ(cache_->stats().hits, 0u);

  // A manifest that no longer lists frontend refuses it despite the cache.
  ASSERT_THAT(manifests_->Replace(MakeManifest(ManifestText(5, false))),
              IsOk());
  EXPECT_THAT(server->Verify(pem),
              FailsWith(VerifyFailure::kMeasurementNotInManifest));
  EXPECT_EQ(manifests_->generation(), 2u);
}

TEST_F(PeerVerifierTest, CacheEntryIsNotUsedAfterCertificateExpiry) {
  auto server = Server(/*cached=*/true);
  std::string pem = Creds("frontend", EvidenceFormat::kTcgDiceTaggedEvidence,
                          absl::Minutes(10))
                        .cert_pem;
  ASSERT_THAT(server->Verify(pem), IsOk());
  clock_.Advance(absl::Minutes(9));
  ASSERT_THAT(server->Verify(pem), IsOk());
  EXPECT_EQ(cache_->stats().hits, 1u);
  clock_.Advance(absl::Minutes(2));
  EXPECT_THAT(server->Verify(pem), FailsWith(VerifyFailure::kCertExpired));
  EXPECT_EQ(cache_->stats().hits, 1u);
  EXPECT_EQ(cache_->stats().expirations, 1u);
}

TEST_F(PeerVerifierTest, CacheEntryIsNotUsedAfterAppraisalExpiry) {
  auto server = Server(/*cached=*/true);
  std::string pem = Cert("frontend-short");  // valid_until = now + 1 min.
  ASSERT_THAT(server->Verify(pem), IsOk());
  ASSERT_THAT(server->Verify(pem), IsOk());
  EXPECT_EQ(appraiser_->calls(), 1);
  clock_.Advance(absl::Minutes(2));
  ASSERT_THAT(server->Verify(pem), IsOk());
  EXPECT_EQ(appraiser_->calls(), 2);
}

TEST_F(PeerVerifierTest, AccessControlIsRecheckedOnCacheHits) {
  // The client verifier caches storage's identity; the server verifier,
  // sharing the cache, must still refuse storage as a caller.
  auto client = Client("storage", /*cached=*/true);
  auto server = Server(/*cached=*/true);
  std::string pem = Cert("storage");
  ASSERT_THAT(client->Verify(pem), IsOk());
  EXPECT_THAT(server->Verify(pem), FailsWith(VerifyFailure::kPeerNotAllowed));
  EXPECT_EQ(cache_->stats().hits, 1u);
  EXPECT_EQ(appraiser_->calls(), 1);
}

TEST_F(PeerVerifierTest, ConcurrentVerifyAndManifestReload) {
  auto server = Server(/*cached=*/true);
  std::vector<std::string> pems;
  pems.reserve(4);
  for (int i = 0; i < 4; ++i) {
    pems.push_back(Cert(i % 2 == 0 ? "frontend" : "frontend-v2"));
  }
  auto m3 = MakeManifest(ManifestText(3));
  auto m4 = MakeManifest(ManifestText(4));
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  threads.reserve(5);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 40; ++i) {
        absl::StatusOr<PeerIdentity> id =
            server->Verify(pems[static_cast<size_t>((t + i) % 4)]);
        if (!id.ok() || id->service != "frontend") {
          ++failures;
        }
      }
    });
  }
  threads.emplace_back([&] {
    for (int i = 0; i < 40; ++i) {
      if (!manifests_->Replace(i % 2 == 0 ? m4 : m3).ok()) {
        ++failures;
      }
    }
  });
  for (std::thread& t : threads) {
    t.join();
  }
  EXPECT_EQ(failures.load(), 0);
}

// ManifestText(version) with `expires` added.
std::string ExpiringManifestText(uint64_t version, absl::Time expires) {
  return "expires = " + FormatRfc3339Utc(expires) + "\n" +
         ManifestText(version);
}

TEST_F(PeerVerifierTest, ManifestThatExpiresWhileRunningIsRefused) {
  ASSERT_THAT(manifests_->Replace(MakeManifest(
                  ExpiringManifestText(3, TestNow() + absl::Hours(1)))),
              IsOk());
  const std::string pem =
      Creds("frontend", EvidenceFormat::kTcgDiceTaggedEvidence, absl::Hours(4))
          .cert_pem;
  auto uncached = Server();
  auto cached = Server(/*cached=*/true);
  ASSERT_THAT(uncached->Verify(pem), IsOk());
  ASSERT_THAT(cached->Verify(pem), IsOk());  // Warms the cache.
  ASSERT_THAT(cached->Verify(pem), IsOk());
  EXPECT_EQ(cache_->stats().hits, 1u);

  clock_.Advance(absl::Hours(2));
  EXPECT_THAT(uncached->Verify(pem),
              FailsWith(VerifyFailure::kManifestExpired));
  EXPECT_THAT(cached->Verify(pem), FailsWith(VerifyFailure::kManifestExpired));
  EXPECT_THAT(Client("storage", /*cached=*/true)->Verify(Cert("storage")),
              FailsWith(VerifyFailure::kManifestExpired));
  EXPECT_EQ(cache_->stats().hits, 1u);
  // Exactly at `expires` the manifest is already expired (as VerifyManifest
  // judges it).
  clock_.Set(TestNow() + absl::Hours(1));
  EXPECT_THAT(cached->Verify(pem), FailsWith(VerifyFailure::kManifestExpired));
}

TEST_F(PeerVerifierTest, OldEvidenceIsRefusedUnderTheDefaultMaxAge) {
  // A year-old quote in a certificate that claims two years of validity.
  const std::string old_pem =
      AgedCert("frontend", absl::Hours(24 * 365), absl::Hours(24 * 365));
  EXPECT_THAT(Server()->Verify(old_pem),
              FailsWith(VerifyFailure::kCertExpired));
  EXPECT_THAT(Server(/*cached=*/true)->Verify(old_pem),
              FailsWith(VerifyFailure::kCertExpired));
  // Gramine's legacy format is judged the same way.
  EXPECT_THAT(Server()->Verify(AgedCert("frontend", absl::Hours(24 * 365),
                                        absl::Hours(24),
                                        EvidenceFormat::kGramineLegacy)),
              FailsWith(VerifyFailure::kCertExpired));
  // Within the default: a day-old certificate, and one at the end of the
  // longest lifetime the platform config allows (720h) plus the producer's
  // 5-minute notBefore skew.
  EXPECT_THAT(
      Server()->Verify(AgedCert("frontend", absl::Hours(24), absl::Hours(24))),
      IsOk());
  EXPECT_THAT(
      Server()->Verify(AgedCert("frontend", absl::Hours(720) + absl::Minutes(5),
                                absl::Minutes(1))),
      IsOk());
}

TEST_F(PeerVerifierTest, MaxEvidenceAgeIsConfigurableAndBoundsTheCache) {
  PeerVerifierOptions options = Options(/*cached=*/true);
  options.max_evidence_age = absl::Hours(2);
  MRA_ASSERT_OK_AND_ASSIGN(
      auto server, AttestedPeerVerifier::ForServer(kPolicy, manifests_,
                                                   appraiser_, options));
  const std::string pem = AgedCert("frontend", absl::Hours(1), absl::Hours(24));
  ASSERT_THAT(server->Verify(pem), IsOk());
  ASSERT_THAT(server->Verify(pem), IsOk());
  EXPECT_EQ(cache_->stats().hits, 1u);
  clock_.Advance(absl::Minutes(61));  // The evidence is now 2h01m old.
  absl::StatusOr<PeerIdentity> late = server->Verify(pem);
  EXPECT_THAT(late, FailsWith(VerifyFailure::kCertExpired));
  // The message names both times.
  EXPECT_NE(late.status().message().find(
                FormatRfc3339Utc(TestNow() - absl::Hours(1))),
            absl::string_view::npos);
  EXPECT_NE(late.status().message().find(FormatRfc3339Utc(clock_.Now())),
            absl::string_view::npos);
  // The cached entry expired with the evidence, not with notAfter.
  EXPECT_EQ(cache_->stats().hits, 1u);
  EXPECT_EQ(cache_->stats().expirations, 1u);

  options.max_evidence_age = absl::ZeroDuration();
  EXPECT_THAT(
      AttestedPeerVerifier::ForServer(kPolicy, manifests_, appraiser_, options),
      StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_F(PeerVerifierTest, PermissiveAndStrictVerifiersSharingACache) {
  PeerVerifierOptions permissive_options = Options(/*cached=*/true);
  permissive_options.allow_debug_enclaves = true;
  MRA_ASSERT_OK_AND_ASSIGN(auto permissive, AttestedPeerVerifier::ForServer(
                                                kPolicy, manifests_, appraiser_,
                                                permissive_options));
  auto strict = Server(/*cached=*/true);
  const std::string pem = Cert("frontend-debug");
  ASSERT_THAT(permissive->Verify(pem), IsOk());
  EXPECT_THAT(strict->Verify(pem), FailsWith(VerifyFailure::kDebugEnclave));
  ASSERT_THAT(permissive->Verify(pem), IsOk());  // Its own entry still hits.
  EXPECT_EQ(cache_->stats().hits, 1u);
}

TEST_F(PeerVerifierTest, VerifiersWithDifferentAppraisersDoNotShareVerdicts) {
  // A second appraiser that does not know "frontend" (think: a stricter
  // appraisal policy) must not be bypassed by the first one's cache entry.
  auto strict_appraiser = std::make_shared<FakeAppraiser>();
  MRA_ASSERT_OK_AND_ASSIGN(
      auto strict, AttestedPeerVerifier::ForServer(
                       kPolicy, manifests_, strict_appraiser, Options(true)));
  const std::string pem = Cert("frontend");
  ASSERT_THAT(Server(/*cached=*/true)->Verify(pem), IsOk());
  EXPECT_THAT(strict->Verify(pem),
              FailsWith(VerifyFailure::kQuoteSignatureInvalid));
  EXPECT_EQ(strict_appraiser->calls(), 1);
}

TEST_F(PeerVerifierTest, VerifiersWithDifferentEvidenceAgesDoNotShareVerdicts) {
  PeerVerifierOptions lenient_options = Options(/*cached=*/true);
  lenient_options.max_evidence_age = absl::Hours(24 * 365 * 2);
  MRA_ASSERT_OK_AND_ASSIGN(
      auto lenient, AttestedPeerVerifier::ForServer(
                        kPolicy, manifests_, appraiser_, lenient_options));
  const std::string pem =
      AgedCert("frontend", absl::Hours(24 * 365), absl::Hours(24 * 365));
  ASSERT_THAT(lenient->Verify(pem), IsOk());
  EXPECT_THAT(Server(/*cached=*/true)->Verify(pem),
              FailsWith(VerifyFailure::kCertExpired));
}

// Recheck (run by mra/grpc on every call over an open connection) follows
// the manifest in force and the evidence's age, without a new handshake.
TEST_F(PeerVerifierTest, RecheckFollowsTheManifestInForce) {
  auto server = Server();
  const std::string pem = Cert("frontend");
  MRA_ASSERT_OK_AND_ASSIGN(PeerIdentity id, server->Verify(pem));
  EXPECT_EQ(id.evidence_time, TestNow() - absl::Minutes(5));
  EXPECT_THAT(server->Recheck(id), IsOk());
  const int appraisals = appraiser_->calls();

  ASSERT_THAT(manifests_->Replace(MakeManifest(ManifestText(4))), IsOk());
  EXPECT_THAT(server->Recheck(id), IsOk());  // Still listed.
  // No longer listed.
  ASSERT_THAT(manifests_->Replace(MakeManifest(ManifestText(5, false))),
              IsOk());
  EXPECT_THAT(server->Recheck(id),
              FailsWith(VerifyFailure::kMeasurementNotInManifest));
  // Listed, but under another service name.
  ASSERT_THAT(manifests_->Replace(MakeManifest(
                  "version = 6\n[web]\nmr_enclave = \"" + Hex32(0xa1) +
                  "\"\nmr_signer = \"" + Hex32(0x51) + "\"\n")),
              IsOk());
  absl::Status moved = server->Recheck(id);
  EXPECT_THAT(moved, FailsWith(VerifyFailure::kMeasurementNotInManifest));
  EXPECT_NE(moved.message().find("now listed for service 'web'"),
            absl::string_view::npos)
      << moved;
  // Listed with another signer.
  ASSERT_THAT(manifests_->Replace(MakeManifest(
                  "version = 7\n[frontend]\nmr_enclave = \"" + Hex32(0xa1) +
                  "\"\nmr_signer = \"" + Hex32(0x52) + "\"\n")),
              IsOk());
  EXPECT_THAT(server->Recheck(id), FailsWith(VerifyFailure::kSignerMismatch));
  // Listed again, then the manifest expires.
  ASSERT_THAT(manifests_->Replace(MakeManifest(
                  ExpiringManifestText(8, TestNow() + absl::Hours(1)))),
              IsOk());
  EXPECT_THAT(server->Recheck(id), IsOk());
  clock_.Advance(absl::Hours(2));
  EXPECT_THAT(server->Recheck(id), FailsWith(VerifyFailure::kManifestExpired));
  EXPECT_EQ(appraiser_->calls(), appraisals) << "Recheck appraised again";
}

TEST_F(PeerVerifierTest, RecheckAppliesTheClientSideRulesAndEvidenceAge) {
  PeerVerifierOptions options = Options();
  options.max_evidence_age = absl::Hours(2);
  MRA_ASSERT_OK_AND_ASSIGN(
      auto client, AttestedPeerVerifier::ForClient(
                       "storage", kPolicy, manifests_, appraiser_, options));
  MRA_ASSERT_OK_AND_ASSIGN(PeerIdentity id, client->Verify(Cert("storage")));
  EXPECT_THAT(client->Recheck(id), IsOk());
  // storage raises its minimum ISV SVN above the peer's (3).
  std::string text = ManifestText(4);
  text.replace(text.find("min_isv_svn = 2"), 15, "min_isv_svn = 4");
  ASSERT_THAT(manifests_->Replace(MakeManifest(text)), IsOk());
  EXPECT_THAT(client->Recheck(id), FailsWith(VerifyFailure::kIsvSvnTooLow));
  ASSERT_THAT(manifests_->Replace(MakeManifest(ManifestText(5))), IsOk());
  EXPECT_THAT(client->Recheck(id), IsOk());
  // The connection may stay open; its evidence still ages out.
  clock_.Advance(absl::Hours(2));
  EXPECT_THAT(client->Recheck(id), FailsWith(VerifyFailure::kCertExpired));
}

TEST(ManifestHolderTest, ReplaceRefusesNull) {
  ManifestHolder holder(MakeManifest(ManifestText(1)));
  EXPECT_THAT(holder.Replace(nullptr),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(holder.generation(), 0u);
  EXPECT_NE(holder.Get(), nullptr);
}

}  // namespace
}  // namespace mra::x509
