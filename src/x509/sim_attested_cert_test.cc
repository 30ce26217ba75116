// CreateAttestedCertificate with the real simulation attester: the quote in
// the certificate is a genuine SGX v3 quote whose REPORTDATA is exactly the
// report data the parser derives from the certificate.
#include <string>

#include "gtest/gtest.h"

#include "mra/attest/sigstruct.h"
#include "mra/attest/sim.h"
#include "mra/attest/sim_dir.h"
#include "mra/base/file.h"
#include "mra/sgx/quote.h"
#include "mra/testing/paths.h"
#include "mra/testing/status_matchers.h"
#include "mra/x509/attested_cert.h"
#include "mra/x509/parsed_cert.h"

namespace mra::x509 {
namespace {

using ::mra::testing::IsOk;

TEST(SimAttestedCertTest, SimQuoteBindsTheCertificate) {
  const std::string dir = ::mra::testing::MakeTempDir();
  const std::string sim_dir = dir + "/sim";
  ASSERT_THAT(attest::InitSimDir(sim_dir), IsOk());
  MRA_ASSERT_OK_AND_ASSIGN(crypto::PrivateKey signer,
                           attest::GenerateEnclaveSignerKey());
  const std::string binary = dir + "/service";
  ASSERT_THAT(WriteFileAtomic(binary, "pretend enclave image", 0755), IsOk());
  attest::EnclaveSignOptions sign;
  sign.isv_prod_id = 4;
  sign.isv_svn = 2;
  MRA_ASSERT_OK_AND_ASSIGN(std::string sidecar,
                           attest::SignSigstruct(binary, signer, sign));
  ASSERT_THAT(WriteFileAtomic(attest::SigstructPathFor(binary), sidecar),
              IsOk());
  attest::SimAttesterOptions sim_options;
  sim_options.sim_dir = sim_dir;
  sim_options.executable = binary;
  MRA_ASSERT_OK_AND_ASSIGN(std::unique_ptr<attest::SimAttester> sim,
                           attest::SimAttester::Create(sim_options));

  for (EvidenceFormat format : {EvidenceFormat::kTcgDiceTaggedEvidence,
                                EvidenceFormat::kGramineLegacy}) {
    AttestedCertOptions options;
    options.format = format;
    options.common_name = "service";
    MRA_ASSERT_OK_AND_ASSIGN(AttestedCredentials creds,
                             CreateAttestedCertificate(*sim, options));
    MRA_ASSERT_OK_AND_ASSIGN(
        ParsedAttestedCert cert,
        ParseAttestedCertificate(creds.cert_pem, Clock::Real().Now()));
    MRA_ASSERT_OK_AND_ASSIGN(sgx::ParsedQuote quote,
                             sgx::ParseQuote(cert.quote));
    std::span<const uint8_t, 64> report_data = quote.ReportData();
    EXPECT_TRUE(std::equal(report_data.begin(), report_data.end(),
                           cert.expected_report_data.begin()))
        << EvidenceFormatName(format);
    ASSERT_TRUE(quote.sgx_body.has_value());
    EXPECT_EQ(quote.sgx_body->mr_enclave, sim->identity().mr_enclave);
    EXPECT_EQ(quote.sgx_body->isv_svn, 2);
  }
}

}  // namespace
}  // namespace mra::x509
