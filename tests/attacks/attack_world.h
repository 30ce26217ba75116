// Copyright The mra Authors.
//
// File: tests/attacks/attack_world.h (test-only, library mra_attack_world)
// -----------------------------------------------------------------------------
// The platform the attack tests (tests/attacks/*_test.cc) attack. Built once
// per test process in a fresh temporary directory:
//
//   sim/            a simulated SGX platform: development PKI + collateral
//                   (mra/attest/sim_dir.h), valid from now for 30 days
//   sim-outdated/   a second platform whose PCK TCB is the OutOfDate level
//   sim-rogue/      an attacker's own development PKI (never trusted)
//   bin/            "enclave" binaries and their signed sidecars:
//                     frontend, storage, authentication   (listed)
//                     frontend-patched  one byte of frontend changed, signed
//                                       by the legitimate signer (not listed)
//                     rogue             another binary by the legitimate
//                                       signer (same MRSIGNER, not listed)
//                   plus extra sidecars for frontend: DEBUG attribute set,
//                   and re-signed by an attacker's key (same MRENCLAVE,
//                   other MRSIGNER)
//   enclave_info.toml  manifest v1 listing the three services, deployment
//                   kDeployment, expiring in 30 days, signed by the three
//                   proof-of-concept auditors (config/keys/auditor*.pem)
//
// and verified with the COMPILED-IN trust anchors (mra_anchors), exactly as a
// service does at start-up. Helpers build attesters, attested certificates
// and the production DCAP appraiser (attested::DcapEvidenceAppraiser) over
// any of the sim platforms' collateral.
//
// WARNING: test code. Every key here is generated per run or public.

#pragma once

#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

#include "mra/attest/sigstruct.h"
#include "mra/attest/sim.h"
#include "mra/crypto/keys.h"
#include "mra/manifest/verifier.h"
#include "mra/sgx/verify.h"
#include "mra/x509/access_policy.h"
#include "mra/x509/attested_cert.h"
#include "mra/x509/evidence_appraiser.h"
#include "mra/x509/manifest_holder.h"

namespace mra::attacks {

inline constexpr std::string_view kDeployment = "attack-test";

// The platform's access-control lists (as in the services' mains): the
// frontend calls storage and authentication; storage and authentication
// accept only the frontend.
inline constexpr std::string_view kFrontendInbound[] = {"frontend-user"};
inline constexpr std::string_view kFrontendOutbound[] = {"storage",
                                                         "authentication"};
inline constexpr std::string_view kBackendInbound[] = {"frontend"};
inline constexpr std::string_view kNoOutbound[] = {"frontend-user"};
inline constexpr x509::AccessPolicy kFrontendPolicy("frontend",
                                                    kFrontendInbound,
                                                    kFrontendOutbound);
inline constexpr x509::AccessPolicy kStoragePolicy("storage", kBackendInbound,
                                                   kNoOutbound);
inline constexpr x509::AccessPolicy kAuthenticationPolicy("authentication",
                                                          kBackendInbound,
                                                          kNoOutbound);
static_assert(kFrontendPolicy.IsValid() && kStoragePolicy.IsValid() &&
              kAuthenticationPolicy.IsValid());

// Enclave is one simulated enclave identity: a binary and one sidecar.
struct Enclave {
  std::string binary;
  std::string sigstruct;
  attest::SimSigstruct identity;
};

// AuditorKey loads config/keys/auditor<n>.private.pem (n = 1..3).
absl::StatusOr<crypto::PrivateKey> AuditorKey(int n);

// SignManifest returns one detached signature per listed auditor (the same
// auditor may be listed more than once).
absl::StatusOr<std::vector<manifest::DetachedSignature>> SignManifest(
    std::string_view manifest, std::initializer_list<int> auditors);

// SignWith signs `manifest` with `key`.
absl::StatusOr<manifest::DetachedSignature> SignWith(
    const crypto::PrivateKey& key, std::string_view manifest,
    std::string label);

// ManifestSpec renders a manifest over the world's identities.
struct ManifestSpec {
  uint64_t version = 1;
  absl::Time expires;  // InfinitePast(): omit the field.
  std::string deployment = std::string(kDeployment);
  std::string extra;  // Appended verbatim (extra tables, padding, ...).
};

// AppraiserSpec says which collateral, roots and statuses an appraiser
// uses and accepts.
struct AppraiserSpec {
  // Collateral bundle file (a sim dir's collateral.json, or a variant).
  std::string collateral_path;
  // Development roots to trust (PEM); empty = Intel's root only.
  std::vector<std::string> simulation_roots;
  sgx::AppraisalPolicy policy;
};

// AttackWorld is the platform described in the file comment. Immutable after
// Get(); tests that need a modified platform copy what they change.
class AttackWorld {
 public:
  // Get builds the world on first use (a few seconds: RSA-3072 signer keys,
  // three development PKIs) and returns it, or why it could not be built.
  static absl::StatusOr<const AttackWorld*> Get();

  // Directories (see the file comment).
  std::string dir;
  std::string sim_dir;
  std::string outdated_sim_dir;
  std::string rogue_sim_dir;
  std::string sim_root_pem;  // The trusted development root.

  Enclave frontend;
  Enclave storage;
  Enclave authentication;
  Enclave frontend_patched;   // MRENCLAVE of another binary.
  Enclave rogue;              // Same MRSIGNER, unlisted MRENCLAVE.
  Enclave frontend_debug;     // frontend with ATTRIBUTES.DEBUG.
  Enclave frontend_resigned;  // frontend signed by the attacker's key.

  // The legitimate manifest and its three auditor signatures.
  std::string manifest_toml;
  std::vector<manifest::DetachedSignature> manifest_signatures;
  std::shared_ptr<const manifest::VerifiedManifest> verified_manifest;

  // RenderManifest writes a manifest over frontend/storage/authentication.
  std::string RenderManifest(const ManifestSpec& spec) const;

  // NewManifestHolder returns a holder of the verified manifest.
  std::shared_ptr<x509::ManifestHolder> NewManifestHolder() const;

  // Attester returns a SimAttester for `enclave` on the platform `sim`
  // (default: sim_dir).
  absl::StatusOr<std::unique_ptr<attest::SimAttester>> Attester(
      const Enclave& enclave, const std::string& sim = "") const;

  // Credentials returns an attested certificate for `enclave` on `sim`.
  absl::StatusOr<x509::AttestedCredentials> Credentials(
      const Enclave& enclave, const std::string& sim = "",
      x509::AttestedCertOptions options = {}) const;

  // DevAppraiser trusts the development root of sim_dir and accepts
  // simulation, over `collateral_path` (default: sim_dir's collateral).
  absl::StatusOr<std::shared_ptr<const x509::EvidenceAppraiser>> DevAppraiser(
      const std::string& collateral_path = "") const;

  // Appraiser builds one from `spec`.
  static absl::StatusOr<std::shared_ptr<const x509::EvidenceAppraiser>>
  Appraiser(const AppraiserSpec& spec);

  // WriteRevokedPckCollateral writes to `out_path` a copy of the collateral
  // of `sim` (default: sim_dir) whose PCK CRL, re-issued and signed by that
  // platform's PCK CA, revokes its PCK leaf: what Intel publishes when a
  // platform's keys are compromised.
  absl::Status WriteRevokedPckCollateral(const std::string& out_path,
                                         const std::string& sim = "") const;

  // ProductionAppraiser trusts Intel's root only and the default
  // (fail-closed) policy, over sim_dir's collateral.
  absl::StatusOr<std::shared_ptr<const x509::EvidenceAppraiser>>
  ProductionAppraiser() const;

 private:
  AttackWorld() = default;
  absl::Status Build();
};

}  // namespace mra::attacks
