// Copyright The mra Authors.
//
// The pinned Intel SGX Root CA and TrustStore.

#include <openssl/pem.h>

#include <string>
#include <utility>
#include <vector>

#include "src/sgx/internal/verify_internal.h"
#include <openssl/x509.h>

#include "mra/base/status.h"
#include "mra/base/strings.h"
#include "mra/collateral/collateral.h"
#include "mra/crypto/certificate.h"
#include "mra/crypto/digest.h"
#include "mra/sgx/verify.h"

namespace mra::sgx {
namespace {

// MakeRoot checks that `cert` is a self-signed CA and describes it.
absl::StatusOr<TrustedRoot> MakeRoot(crypto::X509Ptr cert, bool simulation) {
  std::string subject = internal::OneLine(X509_get_subject_name(cert.get()));
  absl::StatusOr<crypto::EvpPkeyPtr> key =
      internal::PublicKeyOf(cert.get(), subject);
  if (!key.ok()) {
    return absl::InvalidArgumentError(key.status().message());
  }
  absl::Status self =
      internal::CheckIssuedBy(cert.get(), cert.get(), key->get(), subject);
  if (!self.ok()) {
    return absl::InvalidArgumentError(
        StrCat("root '", subject, "' is not self-signed"));
  }
  if (!internal::CheckIsCa(cert.get(), subject).ok()) {
    return absl::InvalidArgumentError(
        StrCat("root '", subject, "' is not a CA certificate"));
  }
  const std::vector<uint8_t> der = internal::DerOf(cert.get());
  if (der.empty()) {
    return crypto::OpenSslError("i2d_X509");
  }
  TrustedRoot root;
  root.fingerprint = crypto::Sha256(der);
  root.der_base64 = crypto::Base64Encode(der);
  root.cert = std::move(cert);
  root.key = *std::move(key);
  root.subject = std::move(subject);
  root.simulation = simulation;
  return root;
}

absl::StatusOr<TrustedRoot> IntelRoot() {
  MRA_ASSIGN_OR_RETURN(
      collateral::CertChain chain,
      collateral::ParsePemChain(collateral::IntelSgxRootCaPem(), "intel root"));
  MRA_ASSIGN_OR_RETURN(TrustedRoot root,
                       MakeRoot(std::move(chain[0]), /*simulation=*/false));
  if (root.fingerprint != kIntelSgxRootCaSha256) {
    return absl::InternalError("pinned Intel SGX Root CA fingerprint mismatch");
  }
  return root;
}

}  // namespace

std::string_view IntelSgxRootCaPem() { return collateral::IntelSgxRootCaPem(); }

std::shared_ptr<const TrustStore> TrustStore::IntelOnly() {
  static const std::shared_ptr<const TrustStore>* store = [] {
    absl::StatusOr<std::shared_ptr<const TrustStore>> s =
        Create({}, /*include_intel=*/true);
    MRA_CHECK(s.ok());  // Our own constant: a failure is a build defect.
    return new std::shared_ptr<const TrustStore>(*std::move(s));
  }();
  return *store;
}

absl::StatusOr<std::shared_ptr<const TrustStore>> TrustStore::Create(
    std::span<const std::string> simulation_root_pems, bool include_intel) {
  std::shared_ptr<TrustStore> store(new TrustStore());
  if (include_intel) {
    MRA_ASSIGN_OR_RETURN(TrustedRoot intel, IntelRoot());
    store->roots_.push_back(std::move(intel));
  }
  for (size_t i = 0; i < simulation_root_pems.size(); ++i) {
    std::string field = StrCat("root[", i, "]");
    absl::StatusOr<collateral::CertChain> chain =
        collateral::ParsePemChain(simulation_root_pems[i], field);
    if (!chain.ok()) {
      return absl::InvalidArgumentError(chain.status().message());
    }
    if (chain->size() != 1) {
      return absl::InvalidArgumentError(StrCat(
          field, ": expected exactly one certificate, got ", chain->size()));
    }
    MRA_ASSIGN_OR_RETURN(crypto::Sha256Digest fp,
                         internal::DerFingerprint((*chain)[0].get()));
    bool duplicate = false;
    for (const TrustedRoot& r : store->roots_) {
      duplicate = duplicate || r.fingerprint == fp;
    }
    if (duplicate) {
      continue;  // Intel's root given again stays the (non-simulation) Intel
                 // root.
    }
    bool is_intel = fp == kIntelSgxRootCaSha256;
    MRA_ASSIGN_OR_RETURN(TrustedRoot root,
                         MakeRoot(std::move((*chain)[0]), !is_intel));
    store->roots_.push_back(std::move(root));
  }
  if (store->roots_.empty()) {
    return absl::InvalidArgumentError("trust store has no root");
  }
  return std::shared_ptr<const TrustStore>(std::move(store));
}

const TrustedRoot* TrustStore::FindByCert(const X509* cert) const {
  // Collateral parsing hands out the process-wide Intel root, the very X509
  // this store holds: no need to encode and hash it.
  for (const TrustedRoot& r : roots_) {
    if (r.cert.get() == cert) {
      return &r;
    }
  }
  absl::StatusOr<crypto::Sha256Digest> fp = internal::DerFingerprint(cert);
  if (!fp.ok()) {
    return nullptr;
  }
  for (const TrustedRoot& r : roots_) {
    if (r.fingerprint == *fp) {
      return &r;
    }
  }
  return nullptr;
}

const TrustedRoot* TrustStore::FindIssuer(const X509* cert) const {
  for (const TrustedRoot& r : roots_) {
    if (internal::CheckIssuedBy(cert, r.cert.get(), r.key.get(), "").ok()) {
      return &r;
    }
  }
  return nullptr;
}

}  // namespace mra::sgx
