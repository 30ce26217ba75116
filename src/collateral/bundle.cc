// The collateral bundle: PEM issuer chains, CRLs, and the signed JSON parts.
#include <openssl/pem.h>

#include "src/collateral/cert_parse.h"
#include "src/collateral/json_util.h"

#include "mra/base/hex.h"
#include "mra/base/status.h"
#include "mra/base/strings.h"
#include "mra/collateral/collateral.h"

namespace mra::collateral {
namespace {

using internal::Json;
using internal::Malformed;
using internal::String;

constexpr std::string_view kBeginCrl = "-----BEGIN X509 CRL-----";

constexpr const char* kBundleKeys[] = {
    "pck_crl_issuer_chain",     "root_ca_crl", "pck_crl",
    "tcb_info_issuer_chain",    "tcb_info",    "tcb_info_signature",
    "qe_identity_issuer_chain", "qe_identity", "qe_identity_signature"};

absl::StatusOr<std::vector<uint8_t>> RawSignature(const Json& j,
                                                  std::string_view key) {
  MRA_ASSIGN_OR_RETURN(std::string hex, String(j, key, "collateral"));
  std::vector<uint8_t> sig(64);
  absl::Status s = HexDecodeInto(hex, sig);
  if (!s.ok()) {
    return Malformed(StrCat("collateral.", key),
                     StrCat("expected 128 hex characters (ECDSA r||s): ",
                            ToStd(s.message())));
  }
  return sig;
}

}  // namespace

absl::StatusOr<crypto::X509CrlPtr> ParseCrl(std::string_view data,
                                            std::string_view field,
                                            std::vector<uint8_t>* out_der) {
  std::vector<uint8_t> der;
  std::string_view trimmed = TrimAsciiWhitespace(data);
  if (trimmed.starts_with(kBeginCrl)) {
    crypto::BioPtr bio(
        BIO_new_mem_buf(trimmed.data(), static_cast<int>(trimmed.size())));
    if (bio == nullptr) {
      return crypto::OpenSslError("BIO_new_mem_buf");
    }
    X509_CRL* crl = PEM_read_bio_X509_CRL(bio.get(), nullptr, nullptr, nullptr);
    if (crl == nullptr) {
      crypto::ClearOpenSslErrors();
      return Malformed(field, "PEM CRL does not decode");
    }
    crypto::X509CrlPtr owned(crl);
    int len = i2d_X509_CRL(crl, nullptr);
    if (len <= 0) {
      return crypto::OpenSslError("i2d_X509_CRL");
    }
    der.resize(static_cast<size_t>(len));
    unsigned char* p = der.data();
    i2d_X509_CRL(crl, &p);
    if (out_der != nullptr) {
      *out_der = std::move(der);
    }
    return owned;
  }
  if (!trimmed.empty() && IsHex(trimmed)) {
    absl::StatusOr<std::vector<uint8_t>> decoded = HexDecode(trimmed);
    if (!decoded.ok()) {  // E.g. odd length: malformed input, not a bug.
      return Malformed(field, StrCat("CRL hex does not decode: ",
                                     ToStd(decoded.status().message())));
    }
    der = *std::move(decoded);
  } else {
    der.assign(data.begin(), data.end());
  }
  if (der.empty()) {
    return Malformed(field, "empty CRL");
  }
  const unsigned char* p = der.data();
  X509_CRL* crl = d2i_X509_CRL(
      nullptr, &p,
      static_cast<long>(der.size()));  // NOLINT(google-runtime-int)
  if (crl == nullptr) {
    crypto::ClearOpenSslErrors();
    return Malformed(field, "CRL does not decode as DER");
  }
  crypto::X509CrlPtr owned(crl);
  if (p != der.data() + der.size()) {
    return Malformed(field, "trailing bytes after the CRL");
  }
  if (out_der != nullptr) {
    *out_der = std::move(der);
  }
  return owned;
}

absl::StatusOr<Collateral> ParseCollateralJson(std::string_view json) {
  if (json.size() > kMaxCollateralLen) {
    return Malformed("collateral", StrCat(json.size(), " bytes; the limit is ",
                                          kMaxCollateralLen));
  }
  MRA_RETURN_IF_ERROR(CheckJsonDepth(json, "collateral"));
  Json j = Json::parse(json, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) {
    return Malformed("collateral", "not valid JSON");
  }
  if (!j.is_object()) {
    return Malformed("collateral", "expected a JSON object");
  }
  for (const auto& [key, value] : j.items()) {
    bool known = false;
    for (const char* k : kBundleKeys) {
      known = known || key == k;
    }
    if (!known) {
      return Malformed(StrCat("collateral.", key), "unknown key");
    }
  }
  Collateral c;
  internal::CertInterner certs;  // The chains share certificates.
  MRA_ASSIGN_OR_RETURN(c.tcb_info_json, String(j, "tcb_info", "collateral"));
  MRA_ASSIGN_OR_RETURN(c.tcb_info, ParseTcbInfo(c.tcb_info_json));
  MRA_ASSIGN_OR_RETURN(c.tcb_info_signature,
                       RawSignature(j, "tcb_info_signature"));
  MRA_ASSIGN_OR_RETURN(std::string chain,
                       String(j, "tcb_info_issuer_chain", "collateral"));
  MRA_ASSIGN_OR_RETURN(c.tcb_info_issuer_chain,
                       internal::ParsePemChain(
                           chain, "collateral.tcb_info_issuer_chain", certs));

  MRA_ASSIGN_OR_RETURN(c.qe_identity_json,
                       String(j, "qe_identity", "collateral"));
  MRA_ASSIGN_OR_RETURN(c.qe_identity, ParseQeIdentity(c.qe_identity_json));
  MRA_ASSIGN_OR_RETURN(c.qe_identity_signature,
                       RawSignature(j, "qe_identity_signature"));
  MRA_ASSIGN_OR_RETURN(chain,
                       String(j, "qe_identity_issuer_chain", "collateral"));
  MRA_ASSIGN_OR_RETURN(
      c.qe_identity_issuer_chain,
      internal::ParsePemChain(chain, "collateral.qe_identity_issuer_chain",
                              certs));

  MRA_ASSIGN_OR_RETURN(std::string crl, String(j, "pck_crl", "collateral"));
  MRA_ASSIGN_OR_RETURN(c.pck_crl,
                       ParseCrl(crl, "collateral.pck_crl", &c.pck_crl_der));
  MRA_ASSIGN_OR_RETURN(chain, String(j, "pck_crl_issuer_chain", "collateral"));
  MRA_ASSIGN_OR_RETURN(
      c.pck_crl_issuer_chain,
      internal::ParsePemChain(chain, "collateral.pck_crl_issuer_chain", certs));
  MRA_ASSIGN_OR_RETURN(crl, String(j, "root_ca_crl", "collateral"));
  MRA_ASSIGN_OR_RETURN(c.root_ca_crl, ParseCrl(crl, "collateral.root_ca_crl",
                                               &c.root_ca_crl_der));
  return c;
}

}  // namespace mra::collateral
