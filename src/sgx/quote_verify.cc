// Copyright The mra Authors.
//
// Steps B-H of quote verification (then tcb_match.cc for I-J), in Intel
// QVL's order, and the VerificationResult.

#include <openssl/evp.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <string>
#include <utility>

#include "src/sgx/internal/verify_internal.h"
#include <openssl/x509.h>

#include "mra/base/clock.h"
#include "mra/base/hex.h"
#include "mra/base/status.h"
#include "mra/base/strings.h"
#include "mra/crypto/certificate.h"
#include "mra/crypto/digest.h"
#include "mra/crypto/signature.h"
#include "mra/sgx/quote.h"
#include "mra/sgx/verify.h"

namespace mra::sgx {
namespace {

using internal::CollateralRep;
using internal::Failure;

constexpr std::string_view kPckChainField = "quote.pck_chain";

// AttestationKey returns the P-256 public key x || y as an EVP_PKEY, memoised
// per verified collateral (one attestation key per platform QE).
absl::StatusOr<std::shared_ptr<EVP_PKEY>> AttestationKey(
    const CollateralRep& rep, const std::array<uint8_t, 64>& xy) {
  if (std::shared_ptr<EVP_PKEY> known = rep.memo.FindKey(xy)) {
    return known;
  }
  uint8_t point[65];
  point[0] = 0x04;  // Uncompressed.
  std::memcpy(point + 1, xy.data(), xy.size());
  absl::StatusOr<crypto::EvpPkeyPtr> key =
      crypto::EcPublicKeyFromPoint("prime256v1", point);
  if (!key.ok()) {
    return Failure(VerifyFailure::kQuoteSignatureInvalid,
                   "attestation key is not a valid P-256 point");
  }
  std::shared_ptr<EVP_PKEY> owned(key->release(), EVP_PKEY_free);
  rep.memo.AddKey(xy, owned);
  return owned;
}

absl::Status CheckWindow(const internal::Window& w, absl::Time now) {
  if (now < w.not_before || now > w.not_after) {
    return Failure(
        VerifyFailure::kCertExpired,
        StrCat(w.what, now < w.not_before ? " is not yet valid" : " expired",
               " at ", FormatRfc3339Utc(now), " (valid ",
               FormatRfc3339Utc(w.not_before), " .. ",
               FormatRfc3339Utc(w.not_after), ")"));
  }
  return absl::OkStatus();
}

absl::Status CheckWindow(const X509* cert, std::string_view what,
                         absl::Time now) {
  MRA_ASSIGN_OR_RETURN(internal::Window w, internal::CertWindow(cert, what));
  return CheckWindow(w, now);
}

// VerifyPckChain is step B (4.1.2.4.4-7) and the SGX extension. The PCK CA
// and root are recognised by their PEM text (else by DER) as the
// collateral's, so the usual quote only decodes and parses its leaf;
// verified leaves are memoised per collateral.
absl::StatusOr<std::shared_ptr<const internal::VerifiedLeaf>> VerifyPckChain(
    const ParsedQuote& q, const CollateralRep& rep, absl::Time now) {
  MRA_ASSIGN_OR_RETURN(
      std::vector<std::string_view> pems,
      internal::SplitPemChain(q.signature.pck_chain_pem, kPckChainField));
  if (pems.size() != 3) {
    return Failure(VerifyFailure::kQuoteMalformed,
                   StrCat(kPckChainField,
                          ": expected 3 certificates (PCK leaf, PCK CA, "
                          "root), got ",
                          pems.size()));
  }
  // Decoded in index order, so the first bad one is reported.
  std::array<std::vector<uint8_t>, 3> ders;
  MRA_ASSIGN_OR_RETURN(ders[0],
                       internal::DecodePemBody(pems[0], 0, kPckChainField));
  bool known_ca = crypto::PemBodyIs(pems[1], rep.pck_ca_base64);
  if (!known_ca) {
    MRA_ASSIGN_OR_RETURN(ders[1],
                         internal::DecodePemBody(pems[1], 1, kPckChainField));
    known_ca = ders[1] == rep.pck_ca_der;
  }
  const TrustedRoot* found = nullptr;
  for (const TrustedRoot& r : rep.store->roots()) {
    if (crypto::PemBodyIs(pems[2], r.der_base64)) {
      found = &r;
    }
  }

  // The root: byte-identical to the collateral's (pinned) root.
  if (found == nullptr) {
    MRA_ASSIGN_OR_RETURN(ders[2],
                         internal::DecodePemBody(pems[2], 2, kPckChainField));
    crypto::Sha256Digest root_fp = crypto::Sha256(ders[2]);
    for (const TrustedRoot& r : rep.store->roots()) {
      if (r.fingerprint == root_fp) {
        found = &r;
      }
    }
    if (found == nullptr) {
      absl::StatusOr<crypto::X509Ptr> root =
          internal::ParseDer(ders[2], StrCat(kPckChainField, "[2]"));
      return Failure(
          VerifyFailure::kRootCaUntrusted,
          StrCat(kPckChainField, "[2] '",
                 root.ok()
                     ? internal::OneLine(X509_get_subject_name(root->get()))
                     : "(undecodable)",
                 "' (sha256 ", HexEncode(root_fp), ") is not a trusted root"));
    }
  }
  if (found != rep.root) {
    return Failure(VerifyFailure::kRootCaUntrusted,
                   StrCat(kPckChainField, " ends in root '", found->subject,
                          "' but the collateral in '", rep.root->subject, "'"));
  }

  // The PCK CA: verified with the collateral when it is the PCK CRL's issuer
  // certificate (the usual case); otherwise verified here.
  crypto::Sha256Digest leaf_fp = crypto::Sha256(ders[0]);
  if (known_ca) {
    if (std::shared_ptr<const internal::VerifiedLeaf> leaf =
            rep.memo.FindLeaf(leaf_fp)) {
      MRA_RETURN_IF_ERROR(CheckWindow(leaf->window, now));
      return leaf;
    }
  }
  crypto::X509Ptr other_ca;
  const X509* ca = rep.pck_ca.get();
  const X509* root = rep.root->cert.get();
  if (!known_ca) {
    MRA_ASSIGN_OR_RETURN(
        other_ca, internal::ParseDer(ders[1], StrCat(kPckChainField, "[1]")));
    ca = other_ca.get();
    MRA_RETURN_IF_ERROR(internal::CheckIssuedBy(
        ca, root, rep.root->key.get(), StrCat(kPckChainField, "[1]")));
    MRA_RETURN_IF_ERROR(internal::CheckIsCa(ca, StrCat(kPckChainField, "[1]")));
    if (internal::IsRevoked(rep.root_crl.get(), ca)) {
      return Failure(VerifyFailure::kPckRevoked,
                     StrCat(kPckChainField, "[1] (CN=",
                            internal::CommonName(X509_get_subject_name(ca)),
                            ") is revoked by the root CA CRL"));
    }
  }
  MRA_ASSIGN_OR_RETURN(
      crypto::X509Ptr leaf_cert,
      internal::ParseDer(ders[0], StrCat(kPckChainField, "[0]")));
  const X509* leaf = leaf_cert.get();
  crypto::EvpPkeyPtr other_ca_key;
  if (!known_ca) {
    MRA_ASSIGN_OR_RETURN(other_ca_key, internal::PublicKeyOf(
                                           ca, StrCat(kPckChainField, "[1]")));
  }
  EVP_PKEY* ca_key = known_ca ? rep.pck_ca_key.get() : other_ca_key.get();
  MRA_RETURN_IF_ERROR(internal::CheckIssuedBy(leaf, ca, ca_key,
                                              StrCat(kPckChainField, "[0]")));
  if (!known_ca) {
    MRA_RETURN_IF_ERROR(CheckWindow(ca, StrCat(kPckChainField, "[1]"), now));
  }
  MRA_ASSIGN_OR_RETURN(
      internal::Window leaf_window,
      internal::CertWindow(leaf, StrCat(kPckChainField, "[0]")));
  MRA_RETURN_IF_ERROR(CheckWindow(leaf_window, now));

  // 4.1.2.4.4: the leaf is a PCK certificate.
  std::string cn = internal::CommonName(X509_get_subject_name(leaf));
  if (cn.find("SGX PCK Certificate") == std::string::npos) {
    return Failure(VerifyFailure::kCertChainInvalid,
                   StrCat(kPckChainField, "[0]: subject CN '", cn,
                          "' does not contain 'SGX PCK Certificate'"));
  }

  // 4.1.2.4.6: the PCK CRL was issued by the leaf's issuer.
  if (X509_NAME_cmp(X509_CRL_get_issuer(rep.pck_crl.get()),
                    X509_get_issuer_name(leaf)) != 0) {
    return Failure(
        VerifyFailure::kCrlInvalid,
        StrCat("collateral.pck_crl is issued by '",
               internal::OneLine(X509_CRL_get_issuer(rep.pck_crl.get())),
               "' but the PCK certificate by '",
               internal::OneLine(X509_get_issuer_name(leaf)), "'"));
  }
  if (!known_ca) {
    MRA_RETURN_IF_ERROR(internal::CheckCrlIssuedBy(rep.pck_crl.get(), ca,
                                                   ca_key,
                                                   "collateral.pck_crl"));
  }
  // 4.1.2.4.7.
  if (internal::IsRevoked(rep.pck_crl.get(), leaf)) {
    const ASN1_INTEGER* serial = X509_get0_serialNumber(leaf);
    return Failure(
        VerifyFailure::kPckRevoked,
        StrCat(kPckChainField, "[0]: PCK certificate serial ",
               HexEncode({ASN1_STRING_get0_data(serial),
                          static_cast<size_t>(ASN1_STRING_length(serial))}),
               " is revoked by collateral.pck_crl"));
  }
  auto verified = std::make_shared<internal::VerifiedLeaf>();
  MRA_ASSIGN_OR_RETURN(verified->extension, ParsePckCertificateExtension(leaf));
  MRA_ASSIGN_OR_RETURN(verified->key,
                       internal::PublicKeyOf(leaf, StrCat(kPckChainField, "[0]")));
  verified->cert = std::move(leaf_cert);
  verified->window = std::move(leaf_window);
  if (known_ca) {
    rep.memo.AddLeaf(leaf_fp, verified);
  }
  return std::shared_ptr<const internal::VerifiedLeaf>(std::move(verified));
}

// CheckApplicability is step C (4.1.2.4.9-10).
absl::Status CheckApplicability(const ParsedQuote& q,
                                const collateral::TcbInfo& info,
                                const PckExtension& pck) {
  if (info.version >= 3) {
    bool tdx_info = info.tee == collateral::TeeType::kTdx;
    if (tdx_info != q.IsTdx()) {
      return Failure(
          VerifyFailure::kTcbInfoMismatch,
          StrCat("collateral.tcb_info.id is ", tdx_info ? "TDX" : "SGX",
                 " but the quote is ", q.IsTdx() ? "TDX" : "SGX"));
    }
  } else if (q.IsTdx()) {
    return Failure(VerifyFailure::kTcbInfoMismatch,
                   StrCat("collateral.tcb_info version ", info.version,
                          " cannot verify a TDX quote (need version 3)"));
  }
  if (info.fmspc != pck.fmspc) {
    return Failure(VerifyFailure::kTcbInfoMismatch,
                   StrCat("collateral.tcb_info.fmspc ", HexEncode(info.fmspc),
                          " differs from the PCK certificate's FMSPC ",
                          HexEncode(pck.fmspc)));
  }
  if (info.pce_id != pck.pce_id) {
    return Failure(VerifyFailure::kTcbInfoMismatch,
                   StrCat("collateral.tcb_info.pceId ", HexEncode(info.pce_id),
                          " differs from the PCK certificate's PCE-ID ",
                          HexEncode(pck.pce_id)));
  }
  return absl::OkStatus();
}

// CheckTdxModule is step D (4.1.2.4.11); returns the selected
// tdxModuleIdentities index when TEE_TCB_SVN[1] > 0.
absl::StatusOr<std::optional<size_t>> CheckTdxModule(
    const TdReportBody& td, const collateral::TcbInfo& info) {
  const collateral::TdxModuleIdentity* module =
      info.tdx_module.has_value() ? &*info.tdx_module : nullptr;
  std::optional<size_t> index;
  std::string name = "collateral.tcb_info.tdxModule";
  if (td.tee_tcb_svn[1] > 0) {
    index = internal::FindTdxModuleIdentity(info, td.tee_tcb_svn[1]);
    if (!index.has_value()) {
      return Failure(VerifyFailure::kTdxModuleMismatch,
                     StrCat("TEE_TCB_SVN[1] = ", td.tee_tcb_svn[1],
                            ": collateral.tcb_info has no "
                            "tdxModuleIdentities entry ",
                            internal::ModuleId(td.tee_tcb_svn[1])));
    }
    module = &info.tdx_module_identities[*index];
    name = StrCat("collateral.tcb_info.tdxModuleIdentities[", module->id, "]");
  }
  if (module == nullptr) {
    return Failure(VerifyFailure::kTdxModuleMismatch,
                   "collateral.tcb_info has no tdxModule");
  }
  if (module->mrsigner != td.mrsignerseam) {
    return Failure(
        VerifyFailure::kTdxModuleMismatch,
        StrCat("MRSIGNERSEAM ", HexEncode(td.mrsignerseam), " differs from ",
               name, ".mrsigner ", HexEncode(module->mrsigner)));
  }
  for (size_t i = 0; i < td.seam_attributes.size(); ++i) {
    if (td.seam_attributes[i] != 0 ||
        td.seam_attributes[i] != module->attributes[i]) {
      return Failure(VerifyFailure::kTdxModuleMismatch,
                     StrCat("SEAMATTRIBUTES ", HexEncode(td.seam_attributes),
                            " must be zero and equal ", name, ".attributes ",
                            HexEncode(module->attributes)));
    }
  }
  return index;
}

// CheckQeIdentity is step G's match part (4.1.2.4.14-15).
absl::Status CheckQeIdentity(const ParsedQuote& q,
                             const collateral::QeIdentity& id) {
  const char* want = q.IsTdx() ? "TD_QE" : "QE";
  if (id.id != want) {
    return Failure(
        VerifyFailure::kQeIdentityMismatch,
        StrCat("collateral.qe_identity.id is '", id.id, "', a ",
               q.IsTdx() ? "TDX" : "SGX", " quote needs '", want, "'"));
  }
  const SgxReportBody& qe = q.signature.qe_report;
  if ((qe.miscselect & id.miscselect_mask) != id.miscselect) {
    return Failure(
        VerifyFailure::kQeIdentityMismatch,
        fmt::format("QE report MISCSELECT {:08x} under mask {:08x} "
                    "differs from the QE identity's {:08x}",
                    qe.miscselect, id.miscselect_mask, id.miscselect));
  }
  for (size_t i = 0; i < qe.attributes.size(); ++i) {
    if ((qe.attributes[i] & id.attributes_mask[i]) != id.attributes[i]) {
      return Failure(
          VerifyFailure::kQeIdentityMismatch,
          StrCat("QE report ATTRIBUTES ", HexEncode(qe.attributes),
                 " under mask ", HexEncode(id.attributes_mask),
                 " differ from the QE identity's ", HexEncode(id.attributes)));
    }
  }
  if (qe.mr_signer != id.mrsigner) {
    return Failure(
        VerifyFailure::kQeIdentityMismatch,
        StrCat("QE report MRSIGNER ", HexEncode(qe.mr_signer),
               " differs from the QE identity's ", HexEncode(id.mrsigner)));
  }
  if (qe.isv_prod_id != id.isv_prod_id) {
    return Failure(VerifyFailure::kQeIdentityMismatch,
                   StrCat("QE report ISVPRODID ", qe.isv_prod_id,
                          " differs from the QE identity's ", id.isv_prod_id));
  }
  return absl::OkStatus();
}

void FillMeasurements(const ParsedQuote& q, VerificationResult* r) {
  r->quote_version = q.header.version;
  r->body_type = q.body_type;
  std::span<const uint8_t, 64> rd = q.ReportData();
  std::copy(rd.begin(), rd.end(), r->report_data.begin());
  if (q.td_body.has_value()) {
    const TdReportBody& b = *q.td_body;
    r->tee = collateral::TeeType::kTdx;
    TdxMeasurements& m = r->tdx.emplace();
    m.mrtd = b.mrtd;
    m.rtmr = b.rtmr;
    m.mrconfigid = b.mrconfigid;
    m.mrowner = b.mrowner;
    m.mrownerconfig = b.mrownerconfig;
    m.mrseam = b.mrseam;
    m.mrsignerseam = b.mrsignerseam;
    m.td_attributes = b.td_attributes;
    m.xfam = b.xfam;
    m.tee_tcb_svn = b.tee_tcb_svn;
    if (b.is_td15) {
      m.tee_tcb_svn2 = b.tee_tcb_svn2;
      m.mrservicetd = b.mrservicetd;
    }
    m.debug = b.Debug();
    m.sept_ve_disable = b.SeptVeDisable();
  } else {
    const SgxReportBody& b = *q.sgx_body;
    r->tee = collateral::TeeType::kSgx;
    SgxMeasurements& m = r->sgx.emplace();
    m.mr_enclave = b.mr_enclave;
    m.mr_signer = b.mr_signer;
    m.isv_prod_id = b.isv_prod_id;
    m.isv_svn = b.isv_svn;
    m.config_svn = b.config_svn;
    m.miscselect = b.miscselect;
    m.attributes = b.attributes;
    m.cpu_svn = b.cpusvn;
    m.isv_ext_prod_id = b.isv_ext_prod_id;
    m.isv_family_id = b.isv_family_id;
    m.config_id = b.config_id;
    m.debug = b.Debug();
  }
}

}  // namespace

bool VerificationResult::Debug() const {
  if (tdx.has_value()) {
    return tdx->debug;
  }
  return sgx.has_value() && sgx->debug;
}

absl::StatusOr<VerificationResult> VerifyQuote(
    const ParsedQuote& q, const VerifiedCollateral& collateral,
    absl::Time now) {
  const CollateralRep& rep = collateral.rep();
  MRA_RETURN_IF_ERROR(collateral.CheckValidAt(now));
  if (q.IsTdx() == q.sgx_body.has_value() ||
      q.signature.cert_data_type != kCertDataPckCertChain) {
    return Failure(VerifyFailure::kQuoteUnsupported,
                   "parsed quote has no PCK certificate chain or no body");
  }
  if (q.header.qe_vendor_id != kIntelQeVendorId) {
    return Failure(
        VerifyFailure::kQuoteUnsupported,
        StrCat("header.qe_vendor_id ", HexEncode(q.header.qe_vendor_id),
               " is not Intel's QE vendor id ", HexEncode(kIntelQeVendorId)));
  }

  // B. PCK chain, CRLs, revocation; the SGX extension.
  MRA_ASSIGN_OR_RETURN(std::shared_ptr<const internal::VerifiedLeaf> pck,
                       VerifyPckChain(q, rep, now));
  VerificationResult result;
  result.pck = pck->extension;

  // C. TCB info applies to this platform and TEE.
  MRA_RETURN_IF_ERROR(CheckApplicability(q, rep.tcb_info, result.pck));

  // D. TDX module identity.
  internal::TcbInputs in;
  if (q.IsTdx()) {
    MRA_ASSIGN_OR_RETURN(in.module_identity,
                         CheckTdxModule(*q.td_body, rep.tcb_info));
  }

  // E. QE report signed by the PCK key.
  absl::Status s =
      crypto::VerifyEcdsaRaw(pck->key.get(), q.signature.qe_report.raw,
                             q.signature.qe_report_signature);
  if (!s.ok()) {
    return Failure(VerifyFailure::kQeReportSignatureInvalid,
                   StrCat("QE report signature does not verify with the PCK "
                          "certificate's key (",
                          ToStd(s.message()), ")"));
  }

  // F. QE report data binds the attestation key and QE auth data.
  std::vector<uint8_t> bound;
  bound.reserve(q.signature.attest_key.size() +
                q.signature.qe_auth_data.size());
  bound.insert(bound.end(), q.signature.attest_key.begin(),
               q.signature.attest_key.end());
  bound.insert(bound.end(), q.signature.qe_auth_data.begin(),
               q.signature.qe_auth_data.end());
  crypto::Sha256Digest binding = crypto::Sha256(bound);
  if (!std::equal(binding.begin(), binding.end(),
                  q.signature.qe_report.report_data.begin())) {
    return Failure(VerifyFailure::kQeReportDataMismatch,
                   StrCat("QE report REPORTDATA[0:32] ",
                          HexEncode(std::span<const uint8_t>(
                              q.signature.qe_report.report_data.data(), 32)),
                          " is not SHA-256(attestation key || QE auth data) ",
                          HexEncode(binding)));
  }

  // G. QE identity.
  MRA_RETURN_IF_ERROR(CheckQeIdentity(q, rep.qe_identity));

  // H. The quote signature.
  MRA_ASSIGN_OR_RETURN(std::shared_ptr<EVP_PKEY> attest_key,
                       AttestationKey(rep, q.signature.attest_key));
  s = crypto::VerifyEcdsaRaw(attest_key.get(), q.signed_bytes,
                             q.signature.quote_signature);
  if (!s.ok()) {
    return Failure(VerifyFailure::kQuoteSignatureInvalid,
                   StrCat("quote signature over header || body does not "
                          "verify with the attestation key (",
                          ToStd(s.message()), ")"));
  }

  // I, J. TCB levels and status.
  in.pck = &result.pck;
  in.td = q.IsTdx() ? &*q.td_body : nullptr;
  in.qe_isv_svn = q.signature.qe_report.isv_svn;
  MRA_RETURN_IF_ERROR(internal::EvaluateTcb(rep, in, &result));

  FillMeasurements(q, &result);
  result.fmspc = result.pck.fmspc;
  result.tcb_eval_num = rep.tcb_info.tcb_evaluation_data_number;
  result.qe_identity_eval_num = rep.qe_identity.tcb_evaluation_data_number;
  result.verified_at = now;
  result.earliest_issue_date = rep.earliest_issue_date;
  result.collateral_not_after = collateral.not_after();
  result.simulation = rep.root->simulation;
  result.root_fingerprint = rep.root->fingerprint;
  return result;
}

absl::StatusOr<VerificationResult> VerifyQuote(
    const ParsedQuote& quote, const collateral::Collateral& collateral,
    const VerifierOptions& options, absl::Time now) {
  MRA_ASSIGN_OR_RETURN(std::shared_ptr<const VerifiedCollateral> verified,
                       VerifyCollateral(collateral, options, now));
  return VerifyQuote(quote, *verified, now);
}

}  // namespace mra::sgx
