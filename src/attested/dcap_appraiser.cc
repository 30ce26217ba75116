// Copyright The mra Authors.
//
// DcapEvidenceAppraiser: sgx::QuoteVerifier + appraisal policy + a collateral
// source behind the x509::EvidenceAppraiser seam.

#include "mra/attested/dcap_appraiser.h"

#include <openssl/crypto.h>
#include <openssl/objects.h>

#include <algorithm>
#include <ctime>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>

#include <openssl/x509.h>

#include "mra/base/file.h"
#include "mra/base/status.h"
#include "mra/base/strings.h"
#include "mra/base/verify_failure.h"
#include "mra/crypto/digest.h"
#include "mra/crypto/openssl_ptr.h"
#include "mra/sgx/pck.h"

namespace mra::attested {
namespace {

using collateral::Collateral;
using collateral::CollateralRequest;

// ParsedBundle remembers the last bundle bytes parsed, by their SHA-256.
struct ParsedBundle {
  crypto::Sha256Digest sha256{};
  std::shared_ptr<const Collateral> collateral;
};

// ParseRemembered parses `bytes` unless they hash to what `slot` holds.
// Caller holds the lock guarding `slot`.
absl::StatusOr<std::shared_ptr<const Collateral>> ParseRemembered(
    const std::string& bytes, ParsedBundle* slot) {
  crypto::Sha256Digest digest = crypto::Sha256(crypto::AsBytes(bytes));
  if (slot->collateral != nullptr && slot->sha256 == digest) {
    return slot->collateral;
  }
  MRA_ASSIGN_OR_RETURN(Collateral parsed,
                       collateral::ParseCollateralJson(bytes));
  slot->sha256 = digest;
  slot->collateral = std::make_shared<const Collateral>(std::move(parsed));
  return slot->collateral;
}

class BundleFileSource final : public CollateralSource {
 public:
  explicit BundleFileSource(std::string path) : path_(std::move(path)) {}

  absl::StatusOr<std::shared_ptr<const Collateral>> Get(
      const CollateralRequest& /*request*/) override {
    absl::StatusOr<std::string> bytes =
        ReadFileBounded(path_, collateral::kMaxCollateralLen);
    if (!bytes.ok()) {
      return absl::Status(bytes.status().code(),
                          StrCat("collateral bundle ", path_, ": ",
                                 ToStd(bytes.status().message())));
    }
    std::lock_guard<std::mutex> lock(mu_);
    return ParseRemembered(*bytes, &last_);
  }

  std::string Name() const override { return "bundle file " + path_; }

 private:
  const std::string path_;
  std::mutex mu_;
  ParsedBundle last_;  // Guarded by mu_.
};

class ProviderSource final : public CollateralSource {
 public:
  explicit ProviderSource(
      std::shared_ptr<collateral::CollateralProvider> provider)
      : provider_(std::move(provider)) {}

  absl::StatusOr<std::shared_ptr<const Collateral>> Get(
      const CollateralRequest& request) override {
    MRA_ASSIGN_OR_RETURN(std::string bytes, provider_->Fetch(request));
    std::lock_guard<std::mutex> lock(mu_);
    return ParseRemembered(bytes, &last_[request.Describe()]);
  }

  std::string Name() const override { return provider_->Name(); }

 private:
  const std::shared_ptr<collateral::CollateralProvider> provider_;
  std::mutex mu_;
  // One remembered bundle per request (a handful of FMSPCs per deployment).
  std::map<std::string, ParsedBundle> last_;  // Guarded by mu_.
};

// CommonName returns the single CN of `name`, or "".
std::string CommonName(const X509_NAME* name) {
  if (name == nullptr) {
    return "";
  }
  int index = X509_NAME_get_index_by_NID(name, NID_commonName, -1);
  if (index < 0) {
    return "";
  }
  const ASN1_STRING* data =
      X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, index));
  unsigned char* utf8 = nullptr;
  int len = ASN1_STRING_to_UTF8(&utf8, data);
  if (len < 0) {
    crypto::ClearOpenSslErrors();
    return "";
  }
  std::string cn(reinterpret_cast<const char*>(utf8),  // NOLINT
                 static_cast<size_t>(len));
  OPENSSL_free(utf8);
  return cn;
}

}  // namespace

std::shared_ptr<CollateralSource> MakeBundleFileCollateralSource(
    std::string path) {
  return std::make_shared<BundleFileSource>(std::move(path));
}

std::shared_ptr<CollateralSource> MakeProviderCollateralSource(
    std::shared_ptr<collateral::CollateralProvider> provider) {
  MRA_CHECK(provider != nullptr);
  return std::make_shared<ProviderSource>(std::move(provider));
}

absl::StatusOr<CollateralRequest> CollateralRequestForQuote(
    const sgx::ParsedQuote& quote, absl::Time* out_pck_not_after) {
  absl::StatusOr<collateral::CertChain> chain = collateral::ParsePemChain(
      quote.signature.pck_chain_pem, "quote PCK certificate chain");
  if (!chain.ok()) {
    return VerifyError(VerifyFailure::kQuoteMalformed,
                       ToStd(chain.status().message()));
  }
  const X509* leaf = chain->front().get();
  MRA_ASSIGN_OR_RETURN(sgx::PckExtension extension,
                       sgx::ParsePckCertificateExtension(leaf));
  CollateralRequest request;
  request.fmspc = extension.fmspc;
  request.tee =
      quote.IsTdx() ? collateral::TeeType::kTdx : collateral::TeeType::kSgx;
  // Intel's leaves are issued by "Intel SGX PCK Processor CA" or "... Platform
  // CA"; the simulation's by "mra DEVELOPMENT SGX PCK Platform CA".
  request.ca = CommonName(X509_get_issuer_name(leaf)).find("Processor") !=
                       std::string::npos
                   ? collateral::PckCaType::kProcessor
                   : collateral::PckCaType::kPlatform;
  if (out_pck_not_after != nullptr) {
    struct tm tm {};
    if (ASN1_TIME_to_tm(X509_get0_notAfter(leaf), &tm) != 1) {
      crypto::ClearOpenSslErrors();
      return VerifyError(VerifyFailure::kQuoteMalformed,
                         "quote PCK leaf: unreadable notAfter");
    }
    *out_pck_not_after = absl::FromCivil(
        absl::CivilSecond(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                          tm.tm_hour, tm.tm_min, tm.tm_sec),
        absl::UTCTimeZone());
  }
  return request;
}

DcapEvidenceAppraiser::DcapEvidenceAppraiser(
    std::shared_ptr<CollateralSource> collateral, DcapAppraiserOptions options)
    : collateral_(std::move(collateral)),
      options_(std::move(options)),
      verifier_(std::make_unique<sgx::QuoteVerifier>(options_.verifier)) {}

absl::StatusOr<std::unique_ptr<DcapEvidenceAppraiser>>
DcapEvidenceAppraiser::Create(std::shared_ptr<CollateralSource> collateral,
                              DcapAppraiserOptions options) {
  if (collateral == nullptr) {
    return absl::InvalidArgumentError(
        "DcapEvidenceAppraiser: no collateral source");
  }
  return std::unique_ptr<DcapEvidenceAppraiser>(
      new DcapEvidenceAppraiser(std::move(collateral), std::move(options)));
}

absl::StatusOr<x509::AppraisedEvidence> DcapEvidenceAppraiser::Appraise(
    std::span<const uint8_t> quote,
    std::span<const uint8_t, attest::kReportDataLen> expected_report_data,
    absl::Time now) const {
  MRA_ASSIGN_OR_RETURN(sgx::ParsedQuote parsed,
                       sgx::ParseQuote(quote, options_.parse));
  absl::Time pck_not_after = absl::InfiniteFuture();
  MRA_ASSIGN_OR_RETURN(CollateralRequest request,
                       CollateralRequestForQuote(parsed, &pck_not_after));
  absl::StatusOr<std::shared_ptr<const Collateral>> collateral =
      collateral_->Get(request);
  if (!collateral.ok()) {
    // Keep the code and verdict; say which source and request failed.
    absl::Status s(collateral.status().code(),
                   StrCat("collateral for ", request.Describe(), " from ",
                          collateral_->Name(), ": ",
                          ToStd(collateral.status().message())));
    collateral.status().ForEachPayload(
        [&s](absl::string_view url, const absl::Cord& payload) {
          s.SetPayload(url, payload);
        });
    return s;
  }
  MRA_ASSIGN_OR_RETURN(sgx::VerificationResult result,
                       verifier_->Verify(parsed, **collateral, now));
  MRA_RETURN_IF_ERROR(sgx::Appraise(result, options_.policy));
  if (!result.sgx.has_value()) {
    return VerifyError(VerifyFailure::kQuoteUnsupported,
                       StrCat(sgx::TeeTypeName(result.tee),
                              " quote: the manifest names SGX enclaves only"));
  }
  if (!std::equal(result.report_data.begin(), result.report_data.end(),
                  expected_report_data.begin())) {
    return VerifyError(VerifyFailure::kKeyBindingMismatch,
                       "quote REPORTDATA does not equal the report data the "
                       "certificate requires");
  }

  const sgx::SgxMeasurements& m = *result.sgx;
  x509::AppraisedEvidence out;
  out.mr_enclave = m.mr_enclave;
  out.mr_signer = m.mr_signer;
  out.isv_prod_id = m.isv_prod_id;
  out.isv_svn = m.isv_svn;
  out.debug = m.debug;
  out.tcb_status = std::string(collateral::TcbStatusName(result.status));
  out.simulation = result.simulation;
  out.report_data = result.report_data;
  // The verdict may be reused (VerificationCache) only while Appraise would
  // still give it: until the collateral stops verifying, the PCK leaf
  // expires, or the collateral grows older than the policy allows.
  out.valid_until = std::min(result.collateral_not_after, pck_not_after);
  if (options_.policy.max_collateral_age.has_value()) {
    out.valid_until =
        std::min(out.valid_until, result.earliest_issue_date +
                                      *options_.policy.max_collateral_age);
  }
  return out;
}

}  // namespace mra::attested
