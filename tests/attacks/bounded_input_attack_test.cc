// Oversized and deeply nested inputs at every place untrusted bytes enter:
// manifests and their signatures, collateral JSON, quotes (huge length
// fields), attested certificates (huge extensions, deeply nested CBOR), the
// rollback state file and enclave sidecars. Each must be refused with the
// right verdict, quickly and in bounded memory:
//  - time: ctest runs this binary with a tight TIMEOUT (CMakeLists.txt), so a
//    parser that goes quadratic or recursive-exponential fails the run;
//  - memory: outside sanitizer builds the process's address space is capped
//    (kAddressSpaceCap) before the first test, so a parser that trusts a
//    length field and allocates gigabytes aborts the test instead of
//    swapping; deep recursion would overflow the stack and crash it.

#include <sys/resource.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "src/x509/internal/cert_builder.h"
#include "src/x509/internal/evidence_codec.h"
#include "tests/attacks/attack_world.h"

#include "mra/attest/sigstruct.h"
#include "mra/attest/sim_dir.h"
#include "mra/base/file.h"
#include "mra/collateral/collateral.h"
#include "mra/crypto/digest.h"
#include "mra/manifest/manifest.h"
#include "mra/manifest/rollback_state.h"
#include "mra/manifest/trust_anchors.h"
#include "mra/manifest/verifier.h"
#include "mra/sgx/quote.h"
#include "mra/testing/paths.h"
#include "mra/testing/status_matchers.h"
#include "mra/x509/evidence_format.h"
#include "mra/x509/parsed_cert.h"
#include "mra/x509/peer_verifier.h"

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define MRA_ATTACK_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer) || \
    __has_feature(memory_sanitizer)
#define MRA_ATTACK_SANITIZED 1
#endif
#endif

namespace mra::attacks {
namespace {

using ::mra::testing::FailsWith;
using ::mra::testing::IsOk;
using ::mra::testing::StatusIs;

// Sanitizers reserve terabytes of shadow address space; only cap without.
constexpr rlim_t kAddressSpaceCap = rlim_t{1} << 30;  // 1 GiB.

class AddressSpaceCap final : public ::testing::Environment {
 public:
  void SetUp() override {
#ifndef MRA_ATTACK_SANITIZED
    rlimit limit{kAddressSpaceCap, kAddressSpaceCap};
    ASSERT_EQ(setrlimit(RLIMIT_AS, &limit), 0);
#endif
  }
};
::testing::Environment* const kCap =
    ::testing::AddGlobalTestEnvironment(new AddressSpaceCap);

constexpr size_t kDeep = 100000;

std::string Nested(char open, char close, size_t depth,
                   std::string_view inner = "") {
  std::string s(depth, open);
  s += inner;
  s.append(depth, close);
  return s;
}

class Attack : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<const AttackWorld*> world = AttackWorld::Get();
    ASSERT_THAT(world, IsOk());
    world_ = *world;
    absl::StatusOr<manifest::TrustAnchors> anchors =
        manifest::CompiledTrustAnchors();
    ASSERT_THAT(anchors, IsOk());
    anchors_.emplace(*std::move(anchors));
    dir_ = ::mra::testing::MakeTempDir();
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  absl::StatusOr<manifest::VerifiedManifest> VerifySigned(
      const std::string& toml) {
    absl::StatusOr<std::vector<manifest::DetachedSignature>> sigs =
        SignManifest(toml, {1, 2, 3});
    if (!sigs.ok()) {
      return sigs.status();
    }
    manifest::VerifyOptions options;
    options.expected_deployment = std::string(kDeployment);
    return manifest::VerifyManifest(toml, *sigs, *anchors_, options);
  }

  std::string Manifest(std::string extra) const {
    ManifestSpec spec;
    spec.expires = absl::Now() + absl::Hours(24);
    spec.extra = std::move(extra);
    return world_->RenderManifest(spec);
  }

  // FrontendQuote returns a genuine simulated quote of the frontend.
  std::vector<uint8_t> FrontendQuote() const {
    absl::StatusOr<std::unique_ptr<attest::SimAttester>> attester =
        world_->Attester(world_->frontend);
    EXPECT_THAT(attester, IsOk());
    if (!attester.ok()) {
      return {};
    }
    x509::ReportData report_data{};
    absl::StatusOr<std::vector<uint8_t>> quote =
        (*attester)->Quote(report_data);
    EXPECT_THAT(quote, IsOk());
    return quote.ok() ? *quote : std::vector<uint8_t>{};
  }

  // StoragePeerVerifier is the storage service's verifier of its clients.
  std::unique_ptr<x509::AttestedPeerVerifier> StoragePeerVerifier() const {
    absl::StatusOr<std::shared_ptr<const x509::EvidenceAppraiser>> appraiser =
        world_->DevAppraiser();
    EXPECT_THAT(appraiser, IsOk());
    absl::StatusOr<std::unique_ptr<x509::AttestedPeerVerifier>> v =
        x509::AttestedPeerVerifier::ForServer(
            kStoragePolicy, world_->NewManifestHolder(), *appraiser);
    EXPECT_THAT(v, IsOk());
    return v.ok() ? *std::move(v) : nullptr;
  }

  static std::string CertWith(
      std::vector<x509::internal::ExtensionSpec> extensions) {
    absl::StatusOr<crypto::PrivateKey> key =
        crypto::PrivateKey::Generate(crypto::KeyType::kEcdsaP256);
    EXPECT_THAT(key, IsOk());
    x509::internal::CertSpec spec;
    spec.common_name = "frontend";
    spec.not_before = absl::Now() - absl::Minutes(5);
    spec.not_after = absl::Now() + absl::Hours(1);
    spec.extensions = std::move(extensions);
    absl::StatusOr<std::vector<uint8_t>> der =
        x509::internal::BuildCertificate(key->public_key(), *key, spec);
    EXPECT_THAT(der, IsOk());
    return der.ok() ? x509::internal::DerToPem(*der) : "";
  }

  const AttackWorld* world_ = nullptr;
  std::optional<manifest::TrustAnchors> anchors_;
  std::string dir_;
};

// --- Manifests -------------------------------------------------------------

// A manifest over the size limit is refused before any signature work; a
// flood of junk signatures over a normal manifest costs at most
// kMaxSignatures verifications per auditor.
TEST_F(Attack, OversizedManifestAndSignatureFloodAreRefused) {
  std::string toml = Manifest("");
  std::vector<manifest::DetachedSignature> flood(
      10000, manifest::DetachedSignature{"junk", std::vector<uint8_t>(512, 7)});
  EXPECT_THAT(manifest::VerifyManifest(toml, flood, *anchors_, {}),
              FailsWith(VerifyFailure::kThresholdNotMet));
  toml.resize(manifest::kMaxManifestLen + 1, '#');
  EXPECT_THAT(manifest::VerifyManifest(toml, flood, *anchors_, {}),
              FailsWith(VerifyFailure::kManifestMalformed));
}

// Even the auditors cannot get an oversized manifest accepted.
TEST_F(Attack, OversizedSignedManifestIsRefused) {
  std::string toml = Manifest("\n# padding\n");
  toml.append(manifest::kMaxManifestLen, '#');
  EXPECT_THAT(VerifySigned(toml), FailsWith(VerifyFailure::kManifestMalformed));
}

// Deeply nested TOML arrays and inline tables (signed, so they reach the
// parser).
TEST_F(Attack, DeeplyNestedManifestIsRefused) {
  EXPECT_THAT(VerifySigned(Manifest(
                  "\n[storage2]\nx = " + Nested('[', ']', kDeep) + "\n")),
              FailsWith(VerifyFailure::kManifestMalformed));
  std::string inline_tables;
  for (size_t i = 0; i < kDeep; ++i) {
    inline_tables += "{a=";
  }
  inline_tables += "1";
  inline_tables.append(kDeep, '}');
  EXPECT_THAT(
      VerifySigned(Manifest("\n[storage2]\nx = " + inline_tables + "\n")),
      FailsWith(VerifyFailure::kManifestMalformed));
  EXPECT_THAT(manifest::ParseManifest(Nested('[', ']', kDeep)),
              FailsWith(VerifyFailure::kManifestMalformed));
}

// Many services and long additional-MRENCLAVE lists stay within the bounds.
TEST_F(Attack, ManifestWithTooManyEntriesIsRefused) {
  std::string many;
  for (size_t i = 0; i <= manifest::kMaxServices; ++i) {
    std::string hex(64, 'a');
    const std::string n = std::to_string(i);
    hex.replace(64 - n.size(), n.size(), n);
    many += "\n[s" + std::to_string(i) + "]\nmr_enclave = \"" + hex +
            "\"\nmr_signer = \"" + hex + "\"\n";
  }
  EXPECT_THAT(VerifySigned(Manifest(many)),
              FailsWith(VerifyFailure::kManifestMalformed));
}

// --- Collateral
// ----------------------------------------------------------------

// Collateral JSON nested a hundred thousand levels deep, at the top and
// inside the signed TCB info string.
TEST_F(Attack, DeeplyNestedCollateralJsonIsRefused) {
  EXPECT_THAT(collateral::ParseCollateralJson(Nested('[', ']', kDeep)),
              FailsWith(VerifyFailure::kCollateralMalformed));
  EXPECT_THAT(collateral::ParseTcbInfo(Nested('[', ']', kDeep)),
              FailsWith(VerifyFailure::kCollateralMalformed));
  std::string objects;
  for (size_t i = 0; i < kDeep; ++i) {
    objects += "{\"a\":";
  }
  objects += "1";
  objects.append(kDeep, '}');
  EXPECT_THAT(collateral::ParseQeIdentity(objects),
              FailsWith(VerifyFailure::kCollateralMalformed));
  // A real bundle whose tcb_info member is replaced by deep nesting.
  absl::StatusOr<std::string> bundle = ReadFileBounded(
      attest::SimFilePath(world_->sim_dir, attest::kSimCollateralFile),
      collateral::kMaxCollateralLen);
  ASSERT_THAT(bundle, IsOk());
  const size_t at = bundle->find("\"tcb_info\":");
  ASSERT_NE(at, std::string::npos);
  std::string evil = bundle->substr(0, at) +
                     "\"tcb_info\":" + Nested('[', ']', kDeep) +
                     ",\"unused\":" + bundle->substr(at + 11);
  EXPECT_THAT(collateral::ParseCollateralJson(evil),
              FailsWith(VerifyFailure::kCollateralMalformed));
}

// Collateral over the size limit, and TCB info with more levels than any
// real platform has.
TEST_F(Attack, OversizedCollateralIsRefused) {
  std::string big(collateral::kMaxCollateralLen + 1, ' ');
  EXPECT_THAT(collateral::ParseCollateralJson(big),
              FailsWith(VerifyFailure::kCollateralMalformed));
  std::string levels = "{\"id\":\"SGX\",\"version\":3,\"tcbLevels\":[";
  for (size_t i = 0; i <= collateral::kMaxTcbLevels * 4; ++i) {
    levels += i == 0 ? "{}" : ",{}";
  }
  levels += "]}";
  EXPECT_THAT(collateral::ParseTcbInfo(levels),
              FailsWith(VerifyFailure::kCollateralMalformed));
}

// --- Quotes
// ----------------------------------------------------------------------

// A genuine quote with each attacker-controlled length field set huge.
TEST_F(Attack, QuoteWithHugeLengthFieldsIsRefused) {
  const std::vector<uint8_t> quote = FrontendQuote();
  ASSERT_GT(quote.size(), 1100u);
  ASSERT_THAT(sgx::ParseQuote(quote), IsOk());
  auto put32 = [](std::vector<uint8_t>& q, size_t off, uint32_t v) {
    for (size_t i = 0; i < 4; ++i) {
      q[off + i] = static_cast<uint8_t>(v >> (8 * i));
    }
  };
  constexpr size_t kSigDataLen = 432;                  // u32
  constexpr size_t kQeAuthLen = 436 + 576;             // u16
  constexpr size_t kCertDataLen = 436 + 578 + 32 + 2;  // u32, auth data 32
  for (uint32_t v : {0xffffffffu, 0x7fffffffu, 0x10000000u}) {
    std::vector<uint8_t> q = quote;
    put32(q, kSigDataLen, v);
    EXPECT_THAT(sgx::ParseQuote(q), FailsWith(VerifyFailure::kQuoteMalformed))
        << "sig_data_len " << v;
    q = quote;
    put32(q, kCertDataLen, v);
    EXPECT_THAT(sgx::ParseQuote(q), FailsWith(VerifyFailure::kQuoteMalformed))
        << "cert data size " << v;
  }
  std::vector<uint8_t> q = quote;
  q[kQeAuthLen] = 0xff;
  q[kQeAuthLen + 1] = 0xff;
  EXPECT_THAT(sgx::ParseQuote(q), FailsWith(VerifyFailure::kQuoteMalformed));
  // Through the appraiser a service runs.
  absl::StatusOr<std::shared_ptr<const x509::EvidenceAppraiser>> appraiser =
      world_->DevAppraiser();
  ASSERT_THAT(appraiser, IsOk());
  x509::ReportData report_data{};
  put32(q, kSigDataLen, 0xffffffffu);
  EXPECT_THAT((*appraiser)->Appraise(q, report_data, absl::Now()),
              FailsWith(VerifyFailure::kQuoteMalformed));
  // Megabytes of padding after a genuine quote: zero padding is tolerated by
  // policy (real quotes carry some) in one linear pass, anything else after
  // the quote is refused; every caller bounds the whole input anyway
  // (kMaxQuoteLen in certificates, kMaxQuoteFileLen for files).
  q = quote;
  q.resize(quote.size() + (size_t{16} << 20), 0);
  absl::StatusOr<sgx::ParsedQuote> padded = sgx::ParseQuote(q);
  ASSERT_THAT(padded, IsOk());
  EXPECT_EQ(padded->trailing_len, size_t{16} << 20);
  sgx::ParseOptions strict;
  strict.trailing = sgx::TrailingBytes::kReject;
  EXPECT_THAT(sgx::ParseQuote(q, strict),
              FailsWith(VerifyFailure::kQuoteMalformed));
  q.back() = 1;
  EXPECT_THAT(sgx::ParseQuote(q), FailsWith(VerifyFailure::kQuoteMalformed));
}

// --- Certificates
// --------------------------------------------------------------

// An attested certificate with a one-megabyte extension, a quote larger than
// any real one, and evidence nested a hundred thousand CBOR levels deep.
TEST_F(Attack, CertificateWithHugeExtensionIsRefused) {
  std::unique_ptr<x509::AttestedPeerVerifier> verifier = StoragePeerVerifier();
  ASSERT_NE(verifier, nullptr);
  const std::vector<uint8_t> quote = FrontendQuote();
  std::vector<uint8_t> claims = x509::internal::EncodeClaims({});
  // A 1 MiB non-critical extension next to valid-looking evidence.
  std::string huge = CertWith(
      {{"1.3.6.1.4.1.99999.1", false, std::vector<uint8_t>(1 << 20, 0x41)},
       {std::string(x509::kTcgDiceTaggedEvidenceOid), false,
        x509::internal::EncodeTaggedEvidence(quote, claims)}});
  ASSERT_GT(huge.size(), size_t{1} << 20);
  EXPECT_THAT(verifier->Verify(huge),
              FailsWith(VerifyFailure::kCertificateMalformed));
  // The evidence itself larger than kMaxQuoteLen (within the cert bound).
  std::vector<uint8_t> big_quote = quote;
  big_quote.resize(x509::kMaxQuoteLen + 1, 0);
  std::string big_evidence =
      CertWith({{std::string(x509::kTcgDiceTaggedEvidenceOid), false,
                 x509::internal::EncodeTaggedEvidence(big_quote, claims)}});
  EXPECT_THAT(verifier->Verify(big_evidence),
              FailsWith(VerifyFailure::kCertificateMalformed));
}

TEST_F(Attack, DeeplyNestedCborEvidenceIsRefused) {
  std::unique_ptr<x509::AttestedPeerVerifier> verifier = StoragePeerVerifier();
  ASSERT_NE(verifier, nullptr);
  // Tag 60000 (d9 ea 60) around 0x81 ("array of one") nested 30000 deep:
  // within the certificate size bound.
  std::vector<uint8_t> cbor = {0xd9, 0xea, 0x60};
  cbor.insert(cbor.end(), 30000, 0x81);
  cbor.push_back(0x00);
  std::string cert =
      CertWith({{std::string(x509::kTcgDiceTaggedEvidenceOid), false, cbor}});
  EXPECT_THAT(verifier->Verify(cert),
              FailsWith(VerifyFailure::kCertificateMalformed));
  // Indefinite-length nesting, and a claims map claiming 2^32 entries.
  std::vector<uint8_t> indefinite = {0xd9, 0xea, 0x60};
  indefinite.insert(indefinite.end(), 30000, 0x9f);
  cert = CertWith(
      {{std::string(x509::kTcgDiceTaggedEvidenceOid), false, indefinite}});
  EXPECT_THAT(verifier->Verify(cert),
              FailsWith(VerifyFailure::kCertificateMalformed));
  const std::vector<uint8_t> quote = FrontendQuote();
  std::vector<uint8_t> huge_map = {0xba, 0xff, 0xff, 0xff, 0xff};
  cert = CertWith({{std::string(x509::kTcgDiceTaggedEvidenceOid), false,
                    x509::internal::EncodeTaggedEvidence(quote, huge_map)}});
  EXPECT_THAT(verifier->Verify(cert),
              FailsWith(VerifyFailure::kCertificateMalformed));
}

// --- Local files the host controls
// ---------------------------------------------

TEST_F(Attack, OversizedOrNestedRollbackStateFailsClosed) {
  const std::string path = dir_ + "/state.json";
  manifest::RollbackStateFile state(path);
  ASSERT_THAT(WriteFileAtomic(path, std::string(64 << 20, ' ')), IsOk());
  EXPECT_THAT(state.Load(), FailsWith(VerifyFailure::kStateCorrupt));
  ASSERT_THAT(WriteFileAtomic(path, Nested('[', ']', 30000)), IsOk());
  EXPECT_THAT(state.Load(), FailsWith(VerifyFailure::kStateCorrupt));
}

TEST_F(Attack, OversizedOrNestedSigstructIsRefused) {
  EXPECT_THAT(
      attest::ParseSigstruct(std::string(attest::kMaxSigstructLen + 1, ' ')),
      StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(attest::ParseSigstruct(Nested('[', ']', 30000)),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace mra::attacks
