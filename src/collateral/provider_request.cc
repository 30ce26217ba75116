// Collateral requests, and checks that a bundle answers one.
#include <openssl/objects.h>

#include <cctype>

#include <openssl/asn1.h>
#include <openssl/x509.h>

#include "mra/base/hex.h"
#include "mra/base/status.h"
#include "mra/base/strings.h"
#include "mra/base/verify_failure.h"
#include "mra/collateral/provider.h"

namespace mra::collateral {
namespace {

constexpr std::string_view kPlatformCaCn = "Intel SGX PCK Platform CA";
constexpr std::string_view kProcessorCaCn = "Intel SGX PCK Processor CA";
constexpr std::string_view kRootCaCn = "Intel SGX Root CA";

// IssuerCommonName returns the CN of the CRL's issuer, or "" if it has none
// (or several, which Intel's never do).
std::string IssuerCommonName(const X509_CRL* crl) {
  const X509_NAME* name = X509_CRL_get_issuer(crl);
  if (name == nullptr) {
    return "";
  }
  int index = X509_NAME_get_index_by_NID(name, NID_commonName, -1);
  if (index < 0 ||
      X509_NAME_get_index_by_NID(name, NID_commonName, index) >= 0) {
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

absl::StatusOr<absl::Time> CrlNextUpdate(const X509_CRL* crl,
                                         std::string_view field) {
  const ASN1_TIME* next = X509_CRL_get0_nextUpdate(crl);
  struct tm tm {};
  if (next == nullptr || ASN1_TIME_to_tm(next, &tm) != 1) {
    crypto::ClearOpenSslErrors();
    return VerifyError(VerifyFailure::kCollateralMalformed,
                       StrCat(field, ": the CRL has no usable nextUpdate"));
  }
  return absl::FromCivil(
      absl::CivilSecond(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                        tm.tm_hour, tm.tm_min, tm.tm_sec),
      absl::UTCTimeZone());
}

}  // namespace

std::string_view PckCaTypeName(PckCaType ca) {
  return ca == PckCaType::kPlatform ? "platform" : "processor";
}

std::optional<PckCaType> ParsePckCaType(std::string_view name) {
  std::string lower(name);
  for (char& c : lower) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  if (lower == "platform") {
    return PckCaType::kPlatform;
  }
  if (lower == "processor") {
    return PckCaType::kProcessor;
  }
  return std::nullopt;
}

std::string_view TeeTypeLabel(TeeType tee) {
  return tee == TeeType::kTdx ? "tdx" : "sgx";
}

std::string CollateralRequest::FmspcHex() const { return HexEncode(fmspc); }

std::string CollateralRequest::Describe() const {
  return StrCat(TeeTypeLabel(tee), " fmspc ", FmspcHex(), " (",
                PckCaTypeName(ca), " CA)");
}

absl::StatusOr<CollateralRequest> MakeCollateralRequest(
    std::string_view fmspc_hex, TeeType tee, PckCaType ca) {
  CollateralRequest request;
  absl::Status s = HexDecodeInto(fmspc_hex, request.fmspc);
  if (!s.ok()) {
    return absl::InvalidArgumentError(StrCat(
        "FMSPC must be 12 hex characters (6 bytes): ", ToStd(s.message())));
  }
  request.tee = tee;
  request.ca = ca;
  return request;
}

absl::Status CheckCollateralMatches(const Collateral& collateral,
                                    const CollateralRequest& request) {
  const TcbInfo& tcb = collateral.tcb_info;
  if (tcb.fmspc != request.fmspc) {
    return VerifyError(VerifyFailure::kTcbInfoMismatch,
                       StrCat("tcb_info.fmspc is ", HexEncode(tcb.fmspc),
                              ", requested ", request.FmspcHex()));
  }
  if (tcb.tee != request.tee) {
    return VerifyError(VerifyFailure::kTcbInfoMismatch,
                       StrCat("tcb_info is for ", TeeTypeLabel(tcb.tee),
                              ", requested ", TeeTypeLabel(request.tee)));
  }
  std::string_view want_qe = request.tee == TeeType::kTdx ? "TD_QE" : "QE";
  if (collateral.qe_identity.id != want_qe) {
    return VerifyError(
        VerifyFailure::kQeIdentityMismatch,
        StrCat("qe_identity.id is '", collateral.qe_identity.id,
               "', expected '", want_qe, "' for ", TeeTypeLabel(request.tee)));
  }
  std::string_view want_ca =
      request.ca == PckCaType::kPlatform ? kPlatformCaCn : kProcessorCaCn;
  std::string pck_cn = IssuerCommonName(collateral.pck_crl.get());
  if (pck_cn != want_ca) {
    return VerifyError(
        VerifyFailure::kCrlInvalid,
        StrCat("pck_crl is issued by '", pck_cn, "', expected '", want_ca,
               "' (", PckCaTypeName(request.ca), " CA)"));
  }
  std::string root_cn = IssuerCommonName(collateral.root_ca_crl.get());
  if (root_cn != kRootCaCn) {
    return VerifyError(VerifyFailure::kCrlInvalid,
                       StrCat("root_ca_crl is issued by '", root_cn,
                              "', expected '", kRootCaCn, "'"));
  }
  return absl::OkStatus();
}

absl::StatusOr<CollateralValidity> GetCollateralValidity(
    const Collateral& collateral) {
  CollateralValidity v{collateral.tcb_info.next_update, "tcb_info"};
  if (collateral.qe_identity.next_update < v.next_update) {
    v = {collateral.qe_identity.next_update, "qe_identity"};
  }
  MRA_ASSIGN_OR_RETURN(absl::Time pck,
                       CrlNextUpdate(collateral.pck_crl.get(), "pck_crl"));
  if (pck < v.next_update) {
    v = {pck, "pck_crl"};
  }
  MRA_ASSIGN_OR_RETURN(
      absl::Time root,
      CrlNextUpdate(collateral.root_ca_crl.get(), "root_ca_crl"));
  if (root < v.next_update) {
    v = {root, "root_ca_crl"};
  }
  return v;
}

absl::StatusOr<Collateral> LoadBundleFor(std::string_view bundle,
                                         const CollateralRequest& request) {
  MRA_ASSIGN_OR_RETURN(Collateral c, ParseCollateralJson(bundle));
  MRA_RETURN_IF_ERROR(CheckCollateralMatches(c, request));
  return c;
}

}  // namespace mra::collateral
