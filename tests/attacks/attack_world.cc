#include "tests/attacks/attack_world.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <utility>

#include "nlohmann/json.hpp"
#include "src/attest/internal/cert_builder.h"
#include <openssl/x509.h>

#include "mra/attest/key_files.h"
#include "mra/attest/sim_dir.h"
#include "mra/attested/dcap_appraiser.h"
#include "mra/base/clock.h"
#include "mra/base/file.h"
#include "mra/base/hex.h"
#include "mra/base/status.h"
#include "mra/base/strings.h"
#include "mra/base/verify_failure.h"
#include "mra/collateral/collateral.h"
#include "mra/crypto/digest.h"
#include "mra/crypto/signature.h"
#include "mra/manifest/trust_anchors.h"
#include "mra/testing/paths.h"

namespace mra::attacks {
namespace {

constexpr absl::Duration kManifestLifetime = absl::Hours(24 * 30);

absl::StatusOr<Enclave> MakeEnclave(const std::string& binary,
                                    const std::string& sidecar,
                                    const crypto::PrivateKey& signer,
                                    const attest::EnclaveSignOptions& opts) {
  MRA_ASSIGN_OR_RETURN(std::string text,
                       attest::SignSigstruct(binary, signer, opts));
  MRA_RETURN_IF_ERROR(WriteFileAtomic(sidecar, text, 0644));
  MRA_ASSIGN_OR_RETURN(attest::SimSigstruct identity,
                       attest::LoadVerifiedSigstruct(binary, sidecar));
  return Enclave{binary, sidecar, identity};
}

}  // namespace

absl::StatusOr<crypto::PrivateKey> AuditorKey(int n) {
  MRA_ASSIGN_OR_RETURN(
      std::string pem,
      ReadFileBounded(StrCat(::mra::testing::SourceDir(),
                             "/config/keys/auditor", n, ".private.pem"),
                      64 * 1024));
  return crypto::PrivateKey::ParsePem(pem);
}

absl::StatusOr<manifest::DetachedSignature> SignWith(
    const crypto::PrivateKey& key, std::string_view manifest,
    std::string label) {
  MRA_ASSIGN_OR_RETURN(std::vector<uint8_t> sig,
                       crypto::SignDetached(key, crypto::AsBytes(manifest)));
  return manifest::DetachedSignature{std::move(label), std::move(sig)};
}

absl::StatusOr<std::vector<manifest::DetachedSignature>> SignManifest(
    std::string_view manifest, std::initializer_list<int> auditors) {
  std::vector<manifest::DetachedSignature> out;
  for (int n : auditors) {
    MRA_ASSIGN_OR_RETURN(crypto::PrivateKey key, AuditorKey(n));
    MRA_ASSIGN_OR_RETURN(
        manifest::DetachedSignature sig,
        SignWith(key, manifest, StrCat("auditor", n, ".sig#", out.size())));
    out.push_back(std::move(sig));
  }
  return out;
}

absl::StatusOr<const AttackWorld*> AttackWorld::Get() {
  static std::once_flag once;
  static absl::StatusOr<const AttackWorld*>* world = nullptr;
  std::call_once(once, [] {
    auto* w = new AttackWorld();  // Lives for the process.
    absl::Status s = w->Build();
    if (s.ok()) {
      world = new absl::StatusOr<const AttackWorld*>(w);
      std::atexit([] {
        std::error_code ec;
        std::filesystem::remove_all((**world)->dir, ec);
      });
    } else {
      delete w;
      world = new absl::StatusOr<const AttackWorld*>(s);
    }
  });
  return *world;
}

std::string AttackWorld::RenderManifest(const ManifestSpec& spec) const {
  std::string out = StrCat("version = ", spec.version, "\n");
  if (spec.expires != absl::InfinitePast()) {
    StrAppend(&out, "expires = ", FormatRfc3339Utc(spec.expires), "\n");
  }
  if (!spec.deployment.empty()) {
    StrAppend(&out, "deployment = \"", spec.deployment, "\"\n");
  }
  for (const auto& [name, e] :
       {std::pair<std::string_view, const Enclave*>{"frontend", &frontend},
        {"storage", &storage},
        {"authentication", &authentication}}) {
    StrAppend(&out, "\n[", name, "]\nmr_enclave = \"",
              HexEncode(e->identity.mr_enclave), "\"\nmr_signer = \"",
              HexEncode(e->identity.mr_signer),
              "\"\nisv_prod_id = ", e->identity.isv_prod_id,
              "\nmin_isv_svn = 1\n");
  }
  out += spec.extra;
  return out;
}

absl::Status AttackWorld::Build() {
  dir = ::mra::testing::MakeTempDir();
  sim_dir = dir + "/sim";
  outdated_sim_dir = dir + "/sim-outdated";
  rogue_sim_dir = dir + "/sim-rogue";
  MRA_RETURN_IF_ERROR(attest::InitSimDir(sim_dir).status());
  attest::SimInitOptions outdated;
  outdated.outdated_platform = true;
  MRA_RETURN_IF_ERROR(attest::InitSimDir(outdated_sim_dir, outdated).status());
  MRA_RETURN_IF_ERROR(attest::InitSimDir(rogue_sim_dir).status());
  MRA_ASSIGN_OR_RETURN(
      sim_root_pem,
      ReadFileBounded(attest::SimFilePath(sim_dir, attest::kSimRootCertFile),
                      64 * 1024));

  MRA_ASSIGN_OR_RETURN(crypto::PrivateKey signer,
                       attest::GenerateEnclaveSignerKey());
  MRA_ASSIGN_OR_RETURN(crypto::PrivateKey attacker,
                       attest::GenerateEnclaveSignerKey());

  const std::string bin = dir + "/bin";
  std::error_code ec;
  std::filesystem::create_directories(bin, ec);
  if (ec) {
    return absl::UnavailableError(StrCat("mkdir ", bin, ": ", ec.message()));
  }
  auto image = [](std::string_view name) {
    std::string s = StrCat("mra attack-test enclave image: ", name, "\n");
    s.resize(4096, '\x90');  // Pretend code.
    return s;
  };
  const std::string frontend_image = image("frontend");
  std::string patched_image = frontend_image;
  patched_image[2000] = '\xcc';  // One byte: another binary.
  struct Spec {
    Enclave* out;
    std::string name;
    std::string image;
    uint16_t isv_prod_id;
  };
  for (const Spec& s :
       {Spec{&frontend, "frontend", frontend_image, 1},
        Spec{&storage, "storage", image("storage"), 2},
        Spec{&authentication, "authentication", image("authentication"), 3},
        Spec{&frontend_patched, "frontend-patched", patched_image, 1},
        Spec{&rogue, "rogue", image("rogue"), 1}}) {
    const std::string path = StrCat(bin, "/", s.name);
    MRA_RETURN_IF_ERROR(WriteFileAtomic(path, s.image, 0755));
    attest::EnclaveSignOptions opts;
    opts.isv_prod_id = s.isv_prod_id;
    opts.isv_svn = 1;
    MRA_ASSIGN_OR_RETURN(
        *s.out,
        MakeEnclave(path, attest::SigstructPathFor(path), signer, opts));
  }
  attest::EnclaveSignOptions debug;
  debug.isv_prod_id = 1;
  debug.isv_svn = 1;
  debug.debug = true;
  MRA_ASSIGN_OR_RETURN(
      frontend_debug,
      MakeEnclave(frontend.binary, bin + "/frontend.debug", signer, debug));
  attest::EnclaveSignOptions resigned;
  resigned.isv_prod_id = 1;
  resigned.isv_svn = 1;
  MRA_ASSIGN_OR_RETURN(frontend_resigned,
                       MakeEnclave(frontend.binary, bin + "/frontend.attacker",
                                   attacker, resigned));

  ManifestSpec spec;
  spec.expires = Clock::Real().Now() + kManifestLifetime;
  manifest_toml = RenderManifest(spec);
  MRA_RETURN_IF_ERROR(
      WriteFileAtomic(dir + "/enclave_info.toml", manifest_toml, 0644));
  MRA_ASSIGN_OR_RETURN(manifest_signatures,
                       SignManifest(manifest_toml, {1, 2, 3}));
  MRA_ASSIGN_OR_RETURN(manifest::TrustAnchors anchors,
                       manifest::CompiledTrustAnchors());
  manifest::RollbackStateFile state(dir + "/rollback-state.json");
  manifest::VerifyOptions options;
  options.expected_deployment = std::string(kDeployment);
  options.state = &state;
  options.require_version = true;
  options.require_expires = true;
  MRA_ASSIGN_OR_RETURN(
      manifest::VerifiedManifest verified,
      manifest::VerifyManifest(manifest_toml, manifest_signatures, anchors,
                               options));
  verified_manifest =
      std::make_shared<const manifest::VerifiedManifest>(std::move(verified));
  return absl::OkStatus();
}

std::shared_ptr<x509::ManifestHolder> AttackWorld::NewManifestHolder() const {
  return std::make_shared<x509::ManifestHolder>(verified_manifest);
}

absl::StatusOr<std::unique_ptr<attest::SimAttester>> AttackWorld::Attester(
    const Enclave& enclave, const std::string& sim) const {
  attest::SimAttesterOptions options;
  options.sim_dir = sim.empty() ? sim_dir : sim;
  options.executable = enclave.binary;
  options.sigstruct = enclave.sigstruct;
  return attest::SimAttester::Create(options);
}

absl::StatusOr<x509::AttestedCredentials> AttackWorld::Credentials(
    const Enclave& enclave, const std::string& sim,
    x509::AttestedCertOptions options) const {
  MRA_ASSIGN_OR_RETURN(std::unique_ptr<attest::SimAttester> attester,
                       Attester(enclave, sim));
  return x509::CreateAttestedCertificate(*attester, options);
}

absl::StatusOr<std::shared_ptr<const x509::EvidenceAppraiser>>
AttackWorld::Appraiser(const AppraiserSpec& spec) {
  attested::DcapAppraiserOptions options;
  if (!spec.simulation_roots.empty()) {
    MRA_ASSIGN_OR_RETURN(options.verifier.trust_store,
                         sgx::TrustStore::Create(spec.simulation_roots));
  }
  options.policy = spec.policy;
  MRA_ASSIGN_OR_RETURN(
      std::unique_ptr<attested::DcapEvidenceAppraiser> appraiser,
      attested::DcapEvidenceAppraiser::Create(
          attested::MakeBundleFileCollateralSource(spec.collateral_path),
          std::move(options)));
  return std::shared_ptr<const x509::EvidenceAppraiser>(std::move(appraiser));
}

absl::StatusOr<std::shared_ptr<const x509::EvidenceAppraiser>>
AttackWorld::DevAppraiser(const std::string& collateral_path) const {
  AppraiserSpec spec;
  spec.collateral_path =
      collateral_path.empty()
          ? attest::SimFilePath(sim_dir, attest::kSimCollateralFile)
          : collateral_path;
  spec.simulation_roots = {sim_root_pem};
  spec.policy.allow_simulation = true;
  return Appraiser(spec);
}

absl::Status AttackWorld::WriteRevokedPckCollateral(
    const std::string& out_path, const std::string& sim) const {
  const std::string d = sim.empty() ? sim_dir : sim;
  MRA_ASSIGN_OR_RETURN(
      std::string json,
      ReadFileBounded(attest::SimFilePath(d, attest::kSimCollateralFile),
                      collateral::kMaxCollateralLen));
  nlohmann::json bundle = nlohmann::json::parse(json, nullptr, false);
  if (bundle.is_discarded() || !bundle.contains("pck_crl")) {
    return absl::InternalError("sim collateral.json is not a bundle");
  }
  MRA_ASSIGN_OR_RETURN(
      std::string ca_pem,
      ReadFileBounded(attest::SimFilePath(d, attest::kSimPlatformCaCertFile),
                      64 * 1024));
  MRA_ASSIGN_OR_RETURN(
      std::string leaf_pem,
      ReadFileBounded(attest::SimFilePath(d, attest::kSimPckCertFile),
                      64 * 1024));
  MRA_ASSIGN_OR_RETURN(crypto::X509Ptr ca,
                       attest::internal::ParseOneCertPem(ca_pem, "PCK CA"));
  MRA_ASSIGN_OR_RETURN(crypto::X509Ptr leaf,
                       attest::internal::ParseOneCertPem(leaf_pem, "PCK"));
  MRA_ASSIGN_OR_RETURN(crypto::PrivateKey ca_key,
                       attest::LoadPrivateKeyFile(attest::SimFilePath(
                           d, attest::kSimPlatformCaKeyFile)));
  const absl::Time now = Clock::Real().Now();
  attest::internal::CrlSpec spec;
  spec.this_update = now - absl::Hours(1);
  spec.next_update = now + absl::Hours(24 * 29);
  spec.crl_number = 1000;
  MRA_ASSIGN_OR_RETURN(
      crypto::X509CrlPtr crl,
      attest::internal::IssueCrl(spec, ca.get(), ca_key.pkey()));
  X509_REVOKED* revoked = X509_REVOKED_new();
  ASN1_TIME* when = ASN1_TIME_set(nullptr, absl::ToTimeT(spec.this_update));
  ASN1_INTEGER* serial = ASN1_INTEGER_dup(X509_get0_serialNumber(leaf.get()));
  const bool built = revoked != nullptr && when != nullptr &&
                     serial != nullptr &&
                     X509_REVOKED_set_serialNumber(revoked, serial) == 1 &&
                     X509_REVOKED_set_revocationDate(revoked, when) == 1;
  ASN1_INTEGER_free(serial);
  if (!built || X509_CRL_add0_revoked(crl.get(), revoked) != 1) {
    X509_REVOKED_free(revoked);
    ASN1_TIME_free(when);
    return absl::InternalError("cannot add the revoked entry");
  }
  ASN1_TIME_free(when);
  if (X509_CRL_sort(crl.get()) != 1 ||
      X509_CRL_sign(crl.get(), ca_key.pkey(), EVP_sha256()) <= 0) {
    return absl::InternalError("cannot re-sign the PCK CRL");
  }
  MRA_ASSIGN_OR_RETURN(std::vector<uint8_t> der,
                       attest::internal::CrlDer(crl.get()));
  bundle["pck_crl"] = HexEncode(der);
  return WriteFileAtomic(out_path, bundle.dump(), 0644);
}

absl::StatusOr<std::shared_ptr<const x509::EvidenceAppraiser>>
AttackWorld::ProductionAppraiser() const {
  AppraiserSpec spec;
  spec.collateral_path =
      attest::SimFilePath(sim_dir, attest::kSimCollateralFile);
  return Appraiser(spec);
}

}  // namespace mra::attacks
