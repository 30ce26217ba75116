// SimAttester quotes: format, signatures and bindings, checked piece by piece
// with OpenSSL, then end to end with the DCAP verifier (mra/sgx/verify.h).
#include <openssl/pem.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <thread>

#include "gtest/gtest.h"
#include "src/attest/attest_test_env.h"

#include "mra/attest/key_files.h"
#include "mra/attest/sim.h"
#include "mra/base/file.h"
#include "mra/base/status.h"
#include "mra/collateral/collateral.h"
#include "mra/crypto/certificate.h"
#include "mra/crypto/signature.h"
#include "mra/sgx/quote.h"
#include "mra/sgx/verify.h"
#include "mra/testing/paths.h"
#include "mra/testing/status_matchers.h"

namespace mra::attest {
namespace {

using ::mra::attest::testing::MakeSignedBinary;
using ::mra::attest::testing::SharedSimDir;
using ::mra::attest::testing::SignerKey;
using ::mra::attest::testing::WriteFile;
using ::mra::testing::FailsWith;
using ::mra::testing::IsOk;
using ::mra::testing::MakeTempDir;
using ::mra::testing::StatusIs;

std::array<uint8_t, 64> ReportData(uint8_t seed) {
  std::array<uint8_t, 64> rd{};
  for (size_t i = 0; i < rd.size(); ++i) {
    rd[i] = static_cast<uint8_t>(seed + i);
  }
  return rd;
}

std::string Read(const std::string& path) {
  absl::StatusOr<std::string> s = ReadFileBounded(path, 1 << 22);
  EXPECT_TRUE(s.ok()) << s.status();
  return s.ok() ? *s : std::string();
}

collateral::Collateral LoadCollateral(const std::string& sim_dir) {
  absl::StatusOr<collateral::Collateral> c = collateral::ParseCollateralJson(
      Read(SimFilePath(sim_dir, kSimCollateralFile)));
  EXPECT_TRUE(c.ok()) << c.status();
  return *std::move(c);
}

class SimAttesterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    work_ = MakeTempDir();
    EnclaveSignOptions opts;
    opts.isv_prod_id = 42;
    opts.isv_svn = 5;
    opts.debug = false;
    binary_ = MakeSignedBinary(work_, "service", "service code v1", opts);
    SimAttesterOptions a;
    a.sim_dir = SharedSimDir();
    a.executable = binary_;
    absl::StatusOr<std::unique_ptr<SimAttester>> att = SimAttester::Create(a);
    ASSERT_THAT(att, IsOk());
    attester_ = *std::move(att);
  }

  sgx::ParsedQuote QuoteAndParse(const std::array<uint8_t, 64>& rd) {
    absl::StatusOr<std::vector<uint8_t>> q = attester_->Quote(rd);
    EXPECT_THAT(q, IsOk());
    sgx::ParseOptions strict;
    strict.trailing = sgx::TrailingBytes::kReject;
    absl::StatusOr<sgx::ParsedQuote> p = sgx::ParseQuote(*q, strict);
    EXPECT_THAT(p, IsOk());
    return *std::move(p);
  }

  std::string work_;
  std::string binary_;
  std::unique_ptr<SimAttester> attester_;
};

TEST_F(SimAttesterTest, QuoteParsesWithTheSidecarIdentityAndReportData) {
  std::array<uint8_t, 64> rd = ReportData(1);
  sgx::ParsedQuote q = QuoteAndParse(rd);
  EXPECT_EQ(attester_->Kind(), "sim");
  EXPECT_EQ(q.header.version, 3);
  EXPECT_EQ(q.header.att_key_type, sgx::kAttKeyTypeEcdsaP256);
  EXPECT_EQ(q.header.tee_type, sgx::kTeeTypeSgx);
  const std::array<uint8_t, 16> intel = {0x93, 0x9a, 0x72, 0x33, 0xf7, 0x9c,
                                         0x4c, 0xa9, 0x94, 0x0a, 0x0d, 0xb3,
                                         0x95, 0x7f, 0x06, 0x07};
  EXPECT_EQ(q.header.qe_vendor_id, intel);
  MRA_ASSERT_OK_AND_ASSIGN(SimPlatform platform,
                           LoadSimPlatform(SharedSimDir()));
  EXPECT_EQ(q.header.qe_svn, platform.qe_svn);
  EXPECT_EQ(q.header.pce_svn, platform.pce_svn);
  ASSERT_TRUE(q.sgx_body.has_value());
  const sgx::SgxReportBody& b = *q.sgx_body;
  EXPECT_EQ(b.mr_enclave, crypto::Sha256(crypto::AsBytes("service code v1")));
  MRA_ASSERT_OK_AND_ASSIGN(crypto::Sha256Digest mr_signer,
                           MrSignerOf(SignerKey().public_key()));
  EXPECT_EQ(b.mr_signer, mr_signer);
  EXPECT_EQ(b.isv_prod_id, 42);
  EXPECT_EQ(b.isv_svn, 5);
  EXPECT_FALSE(q.Debug());
  EXPECT_EQ(b.report_data, rd);
  EXPECT_EQ(b.cpusvn, platform.sgx_tcb_components);
  EXPECT_EQ(q.signature.cert_data_type, sgx::kCertDataPckCertChain);
  EXPECT_EQ(q.trailing_len, 0u);
  EXPECT_EQ(attester_->identity().mr_enclave, b.mr_enclave);
  EXPECT_EQ(attester_->root_pem(),
            Read(SimFilePath(SharedSimDir(), kSimRootCertFile)));
}

TEST_F(SimAttesterTest, DebugSidecarSetsTheDebugAttribute) {
  EnclaveSignOptions opts;
  opts.debug = true;
  std::string binary = MakeSignedBinary(work_, "dbg", "debug build", opts);
  SimAttesterOptions a;
  a.sim_dir = SharedSimDir();
  a.executable = binary;
  MRA_ASSERT_OK_AND_ASSIGN(std::unique_ptr<SimAttester> att,
                           SimAttester::Create(a));
  MRA_ASSERT_OK_AND_ASSIGN(std::vector<uint8_t> bytes,
                           att->Quote(ReportData(2)));
  MRA_ASSERT_OK_AND_ASSIGN(sgx::ParsedQuote q, sgx::ParseQuote(bytes));
  EXPECT_TRUE(q.Debug());
}

TEST_F(SimAttesterTest, SignaturesAndBindingsVerify) {
  sgx::ParsedQuote q = QuoteAndParse(ReportData(3));
  const sgx::SignatureData& sig = q.signature;
  MRA_ASSERT_OK_AND_ASSIGN(
      collateral::CertChain chain,
      collateral::ParsePemChain(sig.pck_chain_pem, "pck chain"));
  ASSERT_EQ(chain.size(), 3u);
  EXPECT_EQ(sig.pck_chain_pem.back(), '\0');

  // E. QE report signed by the PCK leaf key.
  MRA_ASSERT_OK_AND_ASSIGN(crypto::EvpPkeyPtr pck_key,
                           crypto::CertificatePublicKey(chain[0].get()));
  EXPECT_THAT(crypto::VerifyEcdsaRaw(pck_key.get(), sig.qe_report.raw,
                                     sig.qe_report_signature),
              IsOk());
  // F. QE REPORTDATA = SHA-256(attest key || auth data) || zeros.
  std::vector<uint8_t> bound(sig.attest_key.begin(), sig.attest_key.end());
  bound.insert(bound.end(), sig.qe_auth_data.begin(), sig.qe_auth_data.end());
  crypto::Sha256Digest h = crypto::Sha256(bound);
  EXPECT_TRUE(
      std::equal(h.begin(), h.end(), sig.qe_report.report_data.begin()));
  EXPECT_TRUE(std::all_of(sig.qe_report.report_data.begin() + 32,
                          sig.qe_report.report_data.end(),
                          [](uint8_t v) { return v == 0; }));
  EXPECT_EQ(sig.qe_auth_data.size(), 32u);
  // H. Quote signature by the attestation key over header || body.
  MRA_ASSERT_OK_AND_ASSIGN(
      crypto::PrivateKey ak,
      LoadPrivateKeyFile(SimFilePath(SharedSimDir(), kSimAttestationKeyFile)));
  EXPECT_THAT(
      crypto::VerifyEcdsaRaw(ak.pkey(), q.signed_bytes, sig.quote_signature),
      IsOk());
  ASSERT_EQ(q.signed_bytes.size(), 432u);
  // The attest key in the quote is that key.
  MRA_ASSERT_OK_AND_ASSIGN(
      crypto::PrivateKey pck,
      LoadPrivateKeyFile(SimFilePath(SharedSimDir(), kSimPckKeyFile)));
  EXPECT_EQ(EVP_PKEY_eq(pck_key.get(), pck.pkey()), 1);

  // G. QE report matches the QE identity of the collateral.
  collateral::Collateral c = LoadCollateral(SharedSimDir());
  const sgx::SgxReportBody& qe = sig.qe_report;
  EXPECT_EQ(qe.mr_signer, c.qe_identity.mrsigner);
  EXPECT_EQ(qe.isv_prod_id, c.qe_identity.isv_prod_id);
  EXPECT_EQ(qe.miscselect & c.qe_identity.miscselect_mask,
            c.qe_identity.miscselect);
  for (size_t i = 0; i < 16; ++i) {
    EXPECT_EQ(qe.attributes[i] & c.qe_identity.attributes_mask[i],
              c.qe_identity.attributes[i]);
  }
  EXPECT_GE(qe.isv_svn, c.qe_identity.tcb_levels[0].isv_svn);
  // The chain ends in the sim dir's root.
  crypto::BioPtr bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_X509(bio.get(), chain[2].get());
  char* data = nullptr;
  long len = BIO_get_mem_data(bio.get(), &data);  // NOLINT
  EXPECT_EQ(std::string(data, static_cast<size_t>(len)),
            Read(SimFilePath(SharedSimDir(), kSimRootCertFile)));
}

TEST_F(SimAttesterTest, QuotesDifferOnlyWhereTheyShould) {
  MRA_ASSERT_OK_AND_ASSIGN(std::vector<uint8_t> a,
                           attester_->Quote(ReportData(4)));
  MRA_ASSERT_OK_AND_ASSIGN(std::vector<uint8_t> b,
                           attester_->Quote(ReportData(5)));
  ASSERT_EQ(a.size(), b.size());
  // Header and body up to REPORTDATA (368) are equal; the signature data
  // after the quote signature (436 + 64) too.
  EXPECT_TRUE(std::equal(a.begin(), a.begin() + 368, b.begin()));
  EXPECT_TRUE(std::equal(a.begin() + 500, a.end(), b.begin() + 500));
  EXPECT_FALSE(std::equal(a.begin() + 368, a.begin() + 432, b.begin() + 368));
}

TEST_F(SimAttesterTest, QuoteIsThreadSafe) {
  std::vector<std::thread> threads;
  threads.reserve(4);
  std::atomic<int> good{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 25; ++i) {
        std::array<uint8_t, 64> rd =
            ReportData(static_cast<uint8_t>(t * 25 + i));
        absl::StatusOr<std::vector<uint8_t>> q = attester_->Quote(rd);
        if (!q.ok()) {
          continue;
        }
        absl::StatusOr<sgx::ParsedQuote> p = sgx::ParseQuote(*q);
        if (p.ok() && p->sgx_body->report_data == rd) {
          ++good;
        }
      }
    });
  }
  for (std::thread& t : threads) {
    t.join();
  }
  EXPECT_EQ(good.load(), 100);
}

TEST_F(SimAttesterTest, TamperedSidecarIsRefused) {
  std::string sidecar = SigstructPathFor(binary_);
  std::string text = Read(sidecar);
  size_t at = text.find("\"isv_svn\": 5");
  ASSERT_NE(at, std::string::npos);
  text.replace(at, 12, "\"isv_svn\": 6");
  WriteFile(sidecar, text);
  SimAttesterOptions a;
  a.sim_dir = SharedSimDir();
  a.executable = binary_;
  EXPECT_THAT(SimAttester::Create(a),
              StatusIs(absl::StatusCode::kUnauthenticated));
}

TEST_F(SimAttesterTest, ChangedBinaryIsRefused) {
  WriteFile(binary_, "service code v2");
  SimAttesterOptions a;
  a.sim_dir = SharedSimDir();
  a.executable = binary_;
  absl::StatusOr<std::unique_ptr<SimAttester>> att = SimAttester::Create(a);
  EXPECT_THAT(att, StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_NE(att.status().message().find("re-run `mra enclave sign`"),
            std::string::npos);
}

TEST_F(SimAttesterTest, MissingPiecesAreClearErrors) {
  SimAttesterOptions a;
  a.sim_dir = SharedSimDir();
  a.executable = work_ + "/nope";
  EXPECT_THAT(SimAttester::Create(a), StatusIs(absl::StatusCode::kNotFound));
  WriteFile(work_ + "/unsigned", "x");
  a.executable = work_ + "/unsigned";
  EXPECT_THAT(SimAttester::Create(a), StatusIs(absl::StatusCode::kNotFound));
  a.executable = binary_;
  a.sim_dir = work_ + "/no-sim-dir";
  EXPECT_THAT(SimAttester::Create(a), StatusIs(absl::StatusCode::kNotFound));
  a.sim_dir = "";
  EXPECT_THAT(SimAttester::Create(a),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_F(SimAttesterTest, ExplicitSidecarPathAndProcSelfExe) {
  // The sidecar may live elsewhere.
  std::string elsewhere = work_ + "/identity.sigstruct";
  WriteFile(elsewhere, Read(SigstructPathFor(binary_)));
  ::unlink(SigstructPathFor(binary_).c_str());
  SimAttesterOptions a;
  a.sim_dir = SharedSimDir();
  a.executable = binary_;
  a.sigstruct = elsewhere;
  EXPECT_THAT(SimAttester::Create(a), IsOk());
  // The default executable is this test binary, which has no sidecar.
  SimAttesterOptions self;
  self.sim_dir = SharedSimDir();
  absl::StatusOr<std::unique_ptr<SimAttester>> s = SimAttester::Create(self);
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kNotFound));
  EXPECT_NE(s.status().message().find("attest_test.sigstruct"),
            std::string::npos);
}

TEST_F(SimAttesterTest, WorldReadableKeyIsRefused) {
  std::string dir = MakeTempDir() + "/sim";
  ASSERT_THAT(InitSimDir(dir), IsOk());
  ASSERT_EQ(::chmod(SimFilePath(dir, kSimPckKeyFile).c_str(), 0644), 0);
  SimAttesterOptions a;
  a.sim_dir = dir;
  a.executable = binary_;
  EXPECT_THAT(SimAttester::Create(a),
              StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST_F(SimAttesterTest, MismatchedSimDirIsRefused) {
  // A PCK key from another sim dir does not match the PCK certificate.
  std::string a_dir = MakeTempDir() + "/a";
  std::string b_dir = MakeTempDir() + "/b";
  ASSERT_THAT(InitSimDir(a_dir), IsOk());
  ASSERT_THAT(InitSimDir(b_dir), IsOk());
  WriteFile(SimFilePath(a_dir, kSimPckKeyFile),
            Read(SimFilePath(b_dir, kSimPckKeyFile)));
  ASSERT_EQ(::chmod(SimFilePath(a_dir, kSimPckKeyFile).c_str(), 0600), 0);
  SimAttesterOptions a;
  a.sim_dir = a_dir;
  a.executable = binary_;
  EXPECT_THAT(SimAttester::Create(a),
              StatusIs(absl::StatusCode::kFailedPrecondition));
}

// --- End to end with the DCAP verifier --------------------------------------

absl::StatusOr<sgx::VerificationResult> VerifyWithRoots(
    const std::vector<uint8_t>& quote, const std::string& sim_dir,
    bool trust_dev_root, absl::Time now) {
  MRA_ASSIGN_OR_RETURN(sgx::ParsedQuote q, sgx::ParseQuote(quote));
  collateral::Collateral c = LoadCollateral(sim_dir);
  sgx::VerifierOptions opts;
  if (trust_dev_root) {
    std::vector<std::string> roots = {
        Read(SimFilePath(sim_dir, kSimRootCertFile))};
    MRA_ASSIGN_OR_RETURN(opts.trust_store, sgx::TrustStore::Create(roots));
  }
  return sgx::VerifyQuote(q, c, opts, now);
}

TEST_F(SimAttesterTest, DcapVerifierAcceptsWithTheDevRootAsSimulation) {
  MRA_ASSERT_OK_AND_ASSIGN(std::vector<uint8_t> quote,
                           attester_->Quote(ReportData(6)));
  MRA_ASSERT_OK_AND_ASSIGN(
      sgx::VerificationResult r,
      VerifyWithRoots(quote, SharedSimDir(), true, absl::Now()));
  EXPECT_EQ(r.status, collateral::TcbStatus::kUpToDate);
  EXPECT_TRUE(r.simulation);
  EXPECT_EQ(r.qe_level.status, collateral::TcbStatus::kUpToDate);
  ASSERT_TRUE(r.sgx.has_value());
  EXPECT_EQ(r.sgx->mr_enclave, attester_->identity().mr_enclave);
  EXPECT_EQ(r.sgx->mr_signer, attester_->identity().mr_signer);
  EXPECT_EQ(r.sgx->isv_prod_id, 42);
  EXPECT_EQ(r.report_data, ReportData(6));
  EXPECT_FALSE(r.Debug());

  // Appraisal: refused by default, accepted when simulation is allowed.
  EXPECT_THAT(sgx::Appraise(r, {}),
              FailsWith(VerifyFailure::kSimulationNotTrusted));
  sgx::AppraisalPolicy dev;
  dev.allow_simulation = true;
  EXPECT_THAT(sgx::Appraise(r, dev), IsOk());
}

TEST_F(SimAttesterTest, DefaultIntelOnlyVerifierRefusesTheSimQuote) {
  MRA_ASSERT_OK_AND_ASSIGN(std::vector<uint8_t> quote,
                           attester_->Quote(ReportData(7)));
  absl::StatusOr<sgx::VerificationResult> r =
      VerifyWithRoots(quote, SharedSimDir(), false, absl::Now());
  ASSERT_FALSE(r.ok());
  std::optional<VerifyFailure> f = GetVerifyFailure(r.status());
  ASSERT_TRUE(f.has_value()) << r.status();
  EXPECT_TRUE(*f == VerifyFailure::kRootCaUntrusted ||
              *f == VerifyFailure::kSimulationNotTrusted)
      << r.status();
}

TEST_F(SimAttesterTest, DcapVerifierRefusesTamperedSimQuotes) {
  MRA_ASSERT_OK_AND_ASSIGN(std::vector<uint8_t> quote,
                           attester_->Quote(ReportData(8)));
  std::vector<uint8_t> bad_body = quote;
  bad_body[112] ^= 1;  // MRENCLAVE.
  EXPECT_THAT(VerifyWithRoots(bad_body, SharedSimDir(), true, absl::Now()),
              FailsWith(VerifyFailure::kQuoteSignatureInvalid));
  std::vector<uint8_t> bad_qe = quote;
  bad_qe[436 + 128 + 176] ^= 1;  // QE report MRSIGNER.
  EXPECT_THAT(VerifyWithRoots(bad_qe, SharedSimDir(), true, absl::Now()),
              FailsWith(VerifyFailure::kQeReportSignatureInvalid));
}

TEST_F(SimAttesterTest, CollateralExpiresAndRefreshFixesIt) {
  std::string dir = MakeTempDir() + "/sim";
  SimInitOptions init;
  init.collateral_days = 7;
  ASSERT_THAT(InitSimDir(dir, init), IsOk());
  SimAttesterOptions a;
  a.sim_dir = dir;
  a.executable = binary_;
  MRA_ASSERT_OK_AND_ASSIGN(std::unique_ptr<SimAttester> att,
                           SimAttester::Create(a));
  MRA_ASSERT_OK_AND_ASSIGN(std::vector<uint8_t> quote,
                           att->Quote(ReportData(9)));
  absl::Time later = absl::Now() + absl::Hours(24 * 10);
  absl::StatusOr<sgx::VerificationResult> stale =
      VerifyWithRoots(quote, dir, true, later);
  ASSERT_FALSE(stale.ok());
  EXPECT_TRUE(GetVerifyFailure(stale.status()).has_value()) << stale.status();
  FixedClock clock(later);
  SimRefreshOptions refresh;
  refresh.clock = &clock;
  ASSERT_THAT(RefreshSimCollateral(dir, refresh), IsOk());
  // The same quote (same keys and certificates) verifies again.
  MRA_ASSERT_OK_AND_ASSIGN(sgx::VerificationResult r,
                           VerifyWithRoots(quote, dir, true, later));
  EXPECT_EQ(r.status, collateral::TcbStatus::kUpToDate);
}

TEST_F(SimAttesterTest, OutdatedPlatformVerifiesAsOutOfDate) {
  std::string dir = MakeTempDir() + "/sim";
  SimInitOptions init;
  init.outdated_platform = true;
  ASSERT_THAT(InitSimDir(dir, init), IsOk());
  SimAttesterOptions a;
  a.sim_dir = dir;
  a.executable = binary_;
  MRA_ASSERT_OK_AND_ASSIGN(std::unique_ptr<SimAttester> att,
                           SimAttester::Create(a));
  MRA_ASSERT_OK_AND_ASSIGN(std::vector<uint8_t> quote,
                           att->Quote(ReportData(10)));
  MRA_ASSERT_OK_AND_ASSIGN(sgx::VerificationResult r,
                           VerifyWithRoots(quote, dir, true, absl::Now()));
  EXPECT_EQ(r.status, collateral::TcbStatus::kOutOfDate);
  EXPECT_TRUE(r.simulation);
}

TEST_F(SimAttesterTest, AnotherSimDirsRootDoesNotVerify) {
  std::string other = MakeTempDir() + "/other";
  ASSERT_THAT(InitSimDir(other), IsOk());
  MRA_ASSERT_OK_AND_ASSIGN(std::vector<uint8_t> quote,
                           attester_->Quote(ReportData(11)));
  // Collateral and root of the other dir: the quote's chain ends elsewhere.
  absl::StatusOr<sgx::VerificationResult> r =
      VerifyWithRoots(quote, other, true, absl::Now());
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r, FailsWith(VerifyFailure::kRootCaUntrusted));
}

}  // namespace
}  // namespace mra::attest
