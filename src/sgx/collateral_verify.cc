// Copyright The mra Authors.
//
// Step A: collateral verification (issuer chains, CRLs, signatures over the
// exact signed JSON bytes) and the validity windows; CollateralDigest.

#include <openssl/evp.h>

#include <algorithm>
#include <string>
#include <utility>

#include "src/sgx/internal/verify_internal.h"
#include <openssl/x509.h>

#include "mra/base/clock.h"
#include "mra/base/status.h"
#include "mra/base/strings.h"
#include "mra/crypto/certificate.h"
#include "mra/crypto/digest.h"
#include "mra/crypto/signature.h"
#include "mra/sgx/verify.h"

namespace mra::sgx {
namespace {

using internal::CollateralRep;
using internal::Failure;
using internal::Window;

// VerifyIssuerChain checks that the chain is exactly [signer, root], as
// Intel's collateral issuer chains always are (TCB signing certificate or
// PCK CA, then the root), that chain[i] was issued by chain[i + 1], and that
// the last certificate is a trusted root: byte-identical to one, or with the
// root's subject and key (issued by it). A longer chain is refused rather
// than walked: the root CA CRL only speaks for certificates the root issued,
// so an intermediate's own issuees could not be checked for revocation.
// Appends the windows of the non-root certificates.
// `verified` remembers (certificate, issuer) links already checked, so the
// TCB signing chain shared by TCB info and QE identity is verified once.
using VerifiedLinks = std::vector<std::pair<const X509*, const X509*>>;

absl::StatusOr<const TrustedRoot*> VerifyIssuerChain(
    const collateral::CertChain& chain, const TrustStore& store,
    std::string_view field, std::vector<Window>* windows,
    VerifiedLinks* verified) {
  if (chain.size() != 2) {
    return Failure(VerifyFailure::kCertChainInvalid,
                   StrCat(field, ": ", chain.size(),
                          chain.size() == 1 ? " certificate" : " certificates",
                          "; a collateral issuer chain must be exactly two, "
                          "[signer, root CA]"));
  }
  const X509* last = chain.back().get();
  const TrustedRoot* root = store.FindByCert(last);
  size_t num_non_root = chain.size() - (root != nullptr ? 1 : 0);
  if (root == nullptr) {
    root = store.FindIssuer(last);
    if (root == nullptr) {
      return Failure(
          VerifyFailure::kRootCaUntrusted,
          StrCat(field, ": chain ends in '",
                 internal::OneLine(X509_get_subject_name(last)),
                 "', which is not (and is not issued by) a trusted root"));
    }
    // Issued by the root: acceptable only as the root itself, encoded
    // differently (same subject and key), not as an intermediate.
    // (CertificatePublicKey: collateral certificates are parsed without
    // their key, so X509_get0_pubkey is null for them.)
    absl::StatusOr<crypto::EvpPkeyPtr> last_key =
        crypto::CertificatePublicKey(last);
    if (X509_NAME_cmp(X509_get_subject_name(last),
                      X509_get_subject_name(root->cert.get())) != 0 ||
        !last_key.ok() || EVP_PKEY_eq(last_key->get(), root->key.get()) != 1) {
      return Failure(
          VerifyFailure::kCertChainInvalid,
          StrCat(field, "[1] ('",
                 internal::OneLine(X509_get_subject_name(last)),
                 "') is issued by the trusted root '", root->subject,
                 "' but is not that root; the chain must end in the root"));
    }
  }
  for (size_t i = 0; i < num_non_root; ++i) {
    std::string what = StrCat(field, "[", i, "]");
    // The last link's issuer is the trusted root (byte-identical to
    // chain.back() when that is the root): its key is decoded once.
    const bool by_root = i + 1 >= num_non_root;
    const X509* issuer =
        i + 1 < chain.size() ? chain[i + 1].get() : root->cert.get();
    // Collateral parsing interns certificates, so a repeated link is the
    // same pair of objects (X509_cmp would cache every extension and a SHA-1
    // of each certificate); any other repeat is merely verified again.
    const bool seen = std::find(verified->begin(), verified->end(),
                                std::pair<const X509*, const X509*>(
                                    chain[i].get(), issuer)) != verified->end();
    if (!seen) {
      crypto::EvpPkeyPtr issuer_key;
      if (!by_root) {
        MRA_ASSIGN_OR_RETURN(
            issuer_key,
            internal::PublicKeyOf(issuer, StrCat(field, "[", i + 1, "]")));
      }
      MRA_RETURN_IF_ERROR(internal::CheckIssuedBy(
          chain[i].get(), issuer, by_root ? root->key.get() : issuer_key.get(),
          what));
      verified->emplace_back(chain[i].get(), issuer);
    }
    if (i > 0) {
      MRA_RETURN_IF_ERROR(internal::CheckIsCa(chain[i].get(), what));
    }
    MRA_ASSIGN_OR_RETURN(Window w, internal::CertWindow(chain[i].get(), what));
    windows->push_back(std::move(w));
  }
  return root;
}

absl::Status RequireCn(const X509* cert, std::string_view needle,
                       std::string_view what) {
  std::string cn = internal::CommonName(X509_get_subject_name(cert));
  if (cn.find(needle) == std::string::npos) {
    return Failure(VerifyFailure::kCertChainInvalid,
                   StrCat(what, ": subject CN '", cn, "' does not contain '",
                          needle, "'"));
  }
  return absl::OkStatus();
}

absl::Status CheckNotRevokedByRoot(const X509_CRL* root_crl, const X509* cert,
                                   std::string_view what) {
  if (internal::IsRevoked(root_crl, cert)) {
    return Failure(
        VerifyFailure::kPckRevoked,
        StrCat(what, " (CN=", internal::CommonName(X509_get_subject_name(cert)),
               ") is revoked by the root CA CRL"));
  }
  return absl::OkStatus();
}

absl::Status CheckSignedJson(const X509* signer, EVP_PKEY* signer_key,
                             std::string_view json,
                             std::span<const uint8_t> signature,
                             VerifyFailure failure, std::string_view what) {
  absl::Status s =
      crypto::VerifyEcdsaRaw(signer_key, crypto::AsBytes(json), signature);
  if (!s.ok()) {
    crypto::ClearOpenSslErrors();
    return Failure(
        failure, StrCat(what,
                        ": signature does not verify over the exact "
                        "signed bytes with the key of '",
                        internal::OneLine(X509_get_subject_name(signer)), "' (",
                        ToStd(s.message()), ")"));
  }
  return absl::OkStatus();
}

Window JsonWindow(absl::Time issue, absl::Time next, VerifyFailure failure,
                  std::string what) {
  Window w;
  w.not_before = issue;
  w.not_after = next;
  w.failure = failure;
  w.what = std::move(what);
  return w;
}

}  // namespace

VerifiedCollateral::VerifiedCollateral(
    std::unique_ptr<const internal::CollateralRep> rep)
    : rep_(std::move(rep)) {}

VerifiedCollateral::~VerifiedCollateral() = default;

absl::Status VerifiedCollateral::CheckValidAt(absl::Time now) const {
  for (const Window& w : rep_->windows) {
    if (w.is_crl && rep_->accept_expired_crls) {
      continue;
    }
    if (now < w.not_before || now > w.not_after) {
      return Failure(
          w.failure,
          StrCat(w.what, now < w.not_before ? " is not yet valid" : " expired",
                 " at ", FormatRfc3339Utc(now), " (valid ",
                 FormatRfc3339Utc(w.not_before), " .. ",
                 FormatRfc3339Utc(w.not_after), ")"));
    }
  }
  return absl::OkStatus();
}

absl::Time VerifiedCollateral::not_before() const {
  absl::Time t = absl::InfinitePast();
  for (const Window& w : rep_->windows) {
    if (!(w.is_crl && rep_->accept_expired_crls)) {
      t = std::max(t, w.not_before);
    }
  }
  return t;
}

absl::Time VerifiedCollateral::not_after() const {
  absl::Time t = absl::InfiniteFuture();
  for (const Window& w : rep_->windows) {
    if (!(w.is_crl && rep_->accept_expired_crls)) {
      t = std::min(t, w.not_after);
    }
  }
  return t;
}

absl::Time VerifiedCollateral::earliest_issue_date() const {
  return rep_->earliest_issue_date;
}

const collateral::TcbInfo& VerifiedCollateral::tcb_info() const {
  return rep_->tcb_info;
}

const collateral::QeIdentity& VerifiedCollateral::qe_identity() const {
  return rep_->qe_identity;
}

const TrustedRoot& VerifiedCollateral::root() const { return *rep_->root; }

bool VerifiedCollateral::accept_expired_crls() const {
  return rep_->accept_expired_crls;
}

namespace internal {

// VerifyCollateralSignatures is step A without the time checks (the part
// QuoteVerifier caches).
absl::StatusOr<std::shared_ptr<const VerifiedCollateral>>
VerifyCollateralSignatures(const collateral::Collateral& c,
                           const VerifierOptions& options) {
  auto rep = std::make_unique<CollateralRep>();
  rep->store = options.trust_store != nullptr ? options.trust_store
                                              : TrustStore::IntelOnly();
  rep->accept_expired_crls = options.accept_expired_crls;
  if (c.root_ca_crl == nullptr || c.pck_crl == nullptr) {
    return Failure(VerifyFailure::kCollateralMalformed,
                   "collateral: CRLs missing");
  }

  // Issuer chains, all ending in the same trusted root.
  std::vector<Window> cert_windows;
  VerifiedLinks links;
  MRA_ASSIGN_OR_RETURN(const TrustedRoot* tcb_root,
                       VerifyIssuerChain(c.tcb_info_issuer_chain, *rep->store,
                                         "collateral.tcb_info_issuer_chain",
                                         &cert_windows, &links));
  MRA_ASSIGN_OR_RETURN(
      const TrustedRoot* qe_root,
      VerifyIssuerChain(c.qe_identity_issuer_chain, *rep->store,
                        "collateral.qe_identity_issuer_chain", &cert_windows,
                        &links));
  MRA_ASSIGN_OR_RETURN(const TrustedRoot* pck_root,
                       VerifyIssuerChain(c.pck_crl_issuer_chain, *rep->store,
                                         "collateral.pck_crl_issuer_chain",
                                         &cert_windows, &links));
  if (qe_root != tcb_root || pck_root != tcb_root) {
    return Failure(
        VerifyFailure::kRootCaUntrusted,
        StrCat("collateral issuer chains end in different roots: "
               "tcb_info '",
               tcb_root->subject, "', qe_identity '", qe_root->subject,
               "', pck_crl '", pck_root->subject, "'"));
  }
  rep->root = tcb_root;
  const X509* root = tcb_root->cert.get();

  // Root CA CRL, then the signers' revocation status.
  MRA_RETURN_IF_ERROR(internal::CheckCrlIssuedBy(
      c.root_ca_crl.get(), root, tcb_root->key.get(), "collateral.root_ca_crl"));
  const X509* tcb_signer = c.tcb_info_issuer_chain.front().get();
  const X509* qe_signer = c.qe_identity_issuer_chain.front().get();
  const X509* pck_ca = c.pck_crl_issuer_chain.front().get();
  MRA_RETURN_IF_ERROR(RequireCn(tcb_signer, "TCB Signing",
                                "collateral.tcb_info_issuer_chain[0]"));
  MRA_RETURN_IF_ERROR(RequireCn(qe_signer, "TCB Signing",
                                "collateral.qe_identity_issuer_chain[0]"));
  MRA_RETURN_IF_ERROR(
      RequireCn(pck_ca, "CA", "collateral.pck_crl_issuer_chain[0]"));
  MRA_RETURN_IF_ERROR(
      internal::CheckIsCa(pck_ca, "collateral.pck_crl_issuer_chain[0]"));
  MRA_RETURN_IF_ERROR(CheckNotRevokedByRoot(
      c.root_ca_crl.get(), tcb_signer, "collateral.tcb_info_issuer_chain[0]"));
  MRA_RETURN_IF_ERROR(
      CheckNotRevokedByRoot(c.root_ca_crl.get(), qe_signer,
                            "collateral.qe_identity_issuer_chain[0]"));
  MRA_RETURN_IF_ERROR(CheckNotRevokedByRoot(
      c.root_ca_crl.get(), pck_ca, "collateral.pck_crl_issuer_chain[0]"));

  // PCK CRL by the PCK CA.
  MRA_ASSIGN_OR_RETURN(
      rep->pck_ca_key,
      internal::PublicKeyOf(pck_ca, "collateral.pck_crl_issuer_chain[0]"));
  MRA_RETURN_IF_ERROR(internal::CheckCrlIssuedBy(
      c.pck_crl.get(), pck_ca, rep->pck_ca_key.get(), "collateral.pck_crl"));

  // Signed JSON over the exact bytes.
  if (c.tcb_info.tcb_type != 0) {
    return Failure(VerifyFailure::kTcbInfoInvalid,
                   StrCat("collateral.tcb_info.tcbType ", c.tcb_info.tcb_type,
                          " is not supported (only 0)"));
  }
  // The two chains usually share one (interned) signing certificate.
  MRA_ASSIGN_OR_RETURN(
      crypto::EvpPkeyPtr tcb_key,
      internal::PublicKeyOf(tcb_signer, "collateral.tcb_info_issuer_chain[0]"));
  crypto::EvpPkeyPtr other_qe_key;
  if (qe_signer != tcb_signer) {
    MRA_ASSIGN_OR_RETURN(other_qe_key,
                         internal::PublicKeyOf(
                             qe_signer, "collateral.qe_identity_issuer_chain[0]"));
  }
  MRA_RETURN_IF_ERROR(CheckSignedJson(
      tcb_signer, tcb_key.get(), c.tcb_info_json, c.tcb_info_signature,
      VerifyFailure::kTcbInfoInvalid, "collateral.tcb_info"));
  MRA_RETURN_IF_ERROR(CheckSignedJson(
      qe_signer, other_qe_key != nullptr ? other_qe_key.get() : tcb_key.get(),
      c.qe_identity_json, c.qe_identity_signature,
      VerifyFailure::kQeIdentityInvalid, "collateral.qe_identity"));

  // Keep what VerifyQuote needs.
  rep->tcb_info = c.tcb_info;
  rep->qe_identity = c.qe_identity;
  rep->tcb_order = internal::IntelTcbOrder(rep->tcb_info);
  rep->qe_order = internal::DescendingByIsvSvn(rep->qe_identity.tcb_levels);
  for (const collateral::TdxModuleIdentity& m :
       rep->tcb_info.tdx_module_identities) {
    rep->module_orders.push_back(internal::DescendingByIsvSvn(m.tcb_levels));
  }
  rep->pck_ca = internal::UpRef(const_cast<X509*>(pck_ca));  // NOLINT
  rep->pck_ca_der = internal::DerOf(pck_ca);
  rep->pck_ca_base64 = crypto::Base64Encode(rep->pck_ca_der);
  rep->pck_crl = internal::UpRef(c.pck_crl.get());
  rep->root_crl = internal::UpRef(c.root_ca_crl.get());
  // Sort the revocation lists now (OpenSSL does it lazily on first lookup).
  (void)internal::IsRevoked(rep->pck_crl.get(), pck_ca);
  (void)internal::IsRevoked(rep->root_crl.get(), pck_ca);

  // Windows, in CheckValidAt order.
  MRA_ASSIGN_OR_RETURN(Window root_window,
                       internal::CertWindow(root, "trusted root"));
  rep->windows.push_back(std::move(root_window));
  for (Window& w : cert_windows) {
    rep->windows.push_back(std::move(w));
  }
  MRA_ASSIGN_OR_RETURN(
      Window root_crl_window,
      internal::CrlWindow(c.root_ca_crl.get(), "collateral.root_ca_crl"));
  MRA_ASSIGN_OR_RETURN(
      Window pck_crl_window,
      internal::CrlWindow(c.pck_crl.get(), "collateral.pck_crl"));
  rep->earliest_issue_date =
      std::min({c.tcb_info.issue_date, c.qe_identity.issue_date,
                pck_crl_window.not_before});
  rep->windows.push_back(std::move(root_crl_window));
  rep->windows.push_back(std::move(pck_crl_window));
  rep->windows.push_back(JsonWindow(c.tcb_info.issue_date,
                                    c.tcb_info.next_update,
                                    VerifyFailure::kTcbInfoExpired,
                                    "collateral.tcb_info (issueDate .. "
                                    "nextUpdate)"));
  rep->windows.push_back(
      JsonWindow(c.qe_identity.issue_date, c.qe_identity.next_update,
                 VerifyFailure::kQeIdentityExpired,
                 "collateral.qe_identity (issueDate .. nextUpdate)"));
  return std::make_shared<const VerifiedCollateral>(std::move(rep));
}

}  // namespace internal

absl::StatusOr<std::shared_ptr<const VerifiedCollateral>> VerifyCollateral(
    const collateral::Collateral& collateral, const VerifierOptions& options,
    absl::Time now) {
  MRA_ASSIGN_OR_RETURN(
      std::shared_ptr<const VerifiedCollateral> verified,
      internal::VerifyCollateralSignatures(collateral, options));
  MRA_RETURN_IF_ERROR(verified->CheckValidAt(now));
  return verified;
}

crypto::Sha256Digest CollateralDigest(const collateral::Collateral& c) {
  crypto::EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  MRA_CHECK(ctx != nullptr &&
            EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) == 1);
  auto add = [&](std::span<const uint8_t> bytes) {
    uint64_t len = bytes.size();
    uint8_t prefix[8];
    for (size_t i = 0; i < 8; ++i) {
      prefix[i] = static_cast<uint8_t>(len >> (8 * i));
    }
    MRA_CHECK(EVP_DigestUpdate(ctx.get(), prefix, sizeof(prefix)) == 1);
    MRA_CHECK(EVP_DigestUpdate(ctx.get(), bytes.data(), bytes.size()) == 1);
  };
  auto add_chain = [&](const collateral::CertChain& chain) {
    add(std::span<const uint8_t>());  // Separates chains of different sizes.
    for (const crypto::X509Ptr& cert : chain) {
      unsigned char* der = nullptr;
      int len = i2d_X509(cert.get(), &der);
      MRA_CHECK(len > 0 && der != nullptr);
      add({der, static_cast<size_t>(len)});
      OPENSSL_free(der);
    }
  };
  add(crypto::AsBytes(c.tcb_info_json));
  add(c.tcb_info_signature);
  add_chain(c.tcb_info_issuer_chain);
  add(crypto::AsBytes(c.qe_identity_json));
  add(c.qe_identity_signature);
  add_chain(c.qe_identity_issuer_chain);
  add(c.pck_crl_der);
  add_chain(c.pck_crl_issuer_chain);
  add(c.root_ca_crl_der);
  crypto::Sha256Digest out{};
  unsigned int out_len = 0;
  MRA_CHECK(EVP_DigestFinal_ex(ctx.get(), out.data(), &out_len) == 1 &&
            out_len == out.size());
  return out;
}

}  // namespace mra::sgx
