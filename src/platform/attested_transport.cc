// Copyright The mra Authors.
//
// The attested transport (see src/platform/internal/attested_transport.h).

#include "src/platform/internal/attested_transport.h"

#include <filesystem>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "grpcpp/security/credentials.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server_builder.h"
#include "grpcpp/server_context.h"
#include "spdlog/spdlog.h"

#include "mra/attest/factory.h"
#include "mra/attest/sim.h"
#include "mra/attested/dcap_appraiser.h"
#include "mra/base/file.h"
#include "mra/base/hex.h"
#include "mra/base/secret_bytes.h"
#include "mra/base/status.h"
#include "mra/base/strings.h"
#include "mra/base/verify_failure.h"
#include "mra/collateral/collateral.h"
#include "mra/collateral/provider.h"
#include "mra/crypto/digest.h"
#include "mra/grpc/credentials.h"
#include "mra/grpc/identity.h"
#include "mra/grpc/manifest_reloader.h"
#include "mra/manifest/manifest.h"
#include "mra/manifest/rollback_state.h"
#include "mra/manifest/verifier.h"
#include "mra/sgx/verify.h"
#include "mra/x509/access_policy.h"
#include "mra/x509/attested_cert.h"
#include "mra/x509/manifest_holder.h"
#include "mra/x509/parsed_cert.h"
#include "mra/x509/peer_verifier.h"
#include "mra/x509/verification_cache.h"

namespace mra::platform::internal {
namespace {

constexpr size_t kMaxRootPemLen = 64 * 1024;
constexpr size_t kMaxSignatureLen = 16 * 1024;

// mra-client's access policy: it calls the frontend and nothing else.
constexpr std::string_view kClientSelf = "mra-client";
constexpr std::string_view kClientOutbound[] = {kFrontendService};
constexpr x509::AccessPolicy kClientPolicy(kClientSelf, {}, kClientOutbound);
static_assert(kClientPolicy.IsValid());

std::string ShortHex(std::span<const uint8_t> bytes) {
  return HexEncode(bytes.first(std::min<size_t>(bytes.size(), 8)));
}

// Describe names the transport for logs.
std::string DescribeFor(const DeploymentConfig& config) {
  return StrCat(
      "attested-tls (", config.attester.kind,
      config.policy.allow_simulation ? ", SIMULATION ROOT TRUSTED" : "", ")");
}

absl::StatusOr<sgx::AppraisalPolicy> AppraisalPolicyFor(
    const PolicyConfig& config) {
  sgx::AppraisalPolicy policy;
  policy.accepted_statuses.clear();
  for (const std::string& name : config.accepted_tcb_statuses) {
    std::optional<collateral::TcbStatus> status =
        collateral::ParseTcbStatus(name);
    if (!status.has_value() || *status == collateral::TcbStatus::kRevoked) {
      return absl::InvalidArgumentError(
          StrCat("policy.accepted_tcb_statuses: '", name,
                 "' is not an acceptable TCB status"));
    }
    policy.accepted_statuses.push_back(*status);
  }
  policy.allow_debug = config.allow_debug;
  policy.allow_simulation = config.allow_simulation;
  policy.max_collateral_age = config.max_collateral_age;
  return policy;
}

absl::StatusOr<std::shared_ptr<attested::CollateralSource>> CollateralSourceFor(
    const DeploymentConfig& config) {
  std::string path = config.collateral.path;
  if (path.empty()) {
    if (config.attester.kind != "sim") {
      return absl::FailedPreconditionError(
          StrCat("collateral.path is not set: the ", config.attester.kind,
                 " attester needs DCAP collateral (a bundle file, e.g. from "
                 "`mra collateral fetch`, or a directory of bundles)"));
    }
    path = (std::filesystem::path(config.attester.sim_dir) / "collateral.json")
               .string();
  }
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    return attested::MakeProviderCollateralSource(
        std::make_shared<collateral::DirectoryProvider>(path));
  }
  return attested::MakeBundleFileCollateralSource(path);
}

// ReadManifestFiles reads the manifest and its signature files.
absl::Status ReadManifestFiles(
    const ManifestConfig& config, std::string* out_bytes,
    std::vector<manifest::DetachedSignature>* out_signatures) {
  absl::StatusOr<std::string> bytes =
      ReadFileBounded(config.path, manifest::kMaxManifestLen);
  if (!bytes.ok()) {
    return absl::Status(bytes.status().code(),
                        StrCat("manifest ", config.path, ": ",
                               ToStd(bytes.status().message())));
  }
  MRA_ASSIGN_OR_RETURN(std::vector<std::string> files,
                       ResolveSignatureFiles(config));
  if (files.size() > manifest::kMaxSignatures) {
    return absl::InvalidArgumentError(
        StrCat(files.size(), " signature files; at most ",
               manifest::kMaxSignatures, " are considered"));
  }
  out_signatures->clear();
  for (const std::string& file : files) {
    absl::StatusOr<std::string> sig = ReadFileBounded(file, kMaxSignatureLen);
    if (!sig.ok()) {
      return absl::Status(
          sig.status().code(),
          StrCat("signature ", file, ": ", ToStd(sig.status().message())));
    }
    out_signatures->push_back(manifest::DetachedSignature{
        .label = file,
        .bytes = std::vector<uint8_t>(sig->begin(), sig->end())});
  }
  *out_bytes = std::move(*bytes);
  return absl::OkStatus();
}

// CheckListed requires the manifest to name every service in `needed`.
absl::Status CheckListed(const manifest::Manifest& manifest,
                         std::string_view self,
                         std::span<const std::string_view> needed) {
  for (std::string_view name : needed) {
    if (manifest.FindService(name) == nullptr) {
      return absl::FailedPreconditionError(
          StrCat("the manifest has no entry for '", name, "', which ", self,
                 " needs"));
    }
  }
  return absl::OkStatus();
}

// CheckSelfListed: the manifest's entry for `self` must accept the identity
// this process attested, or every peer would refuse it.
absl::Status CheckSelfListed(const manifest::Manifest& manifest,
                             std::string_view self,
                             const x509::AppraisedEvidence& evidence) {
  const manifest::ServiceIdentity* entry = manifest.FindService(self);
  if (entry == nullptr || !entry->AcceptsMrEnclave(evidence.mr_enclave) ||
      entry->mr_signer != evidence.mr_signer) {
    return VerifyError(VerifyFailure::kMeasurementNotInManifest,
                       StrCat("this process attests as mrenclave=",
                              HexEncode(evidence.mr_enclave),
                              " mrsigner=", HexEncode(evidence.mr_signer),
                              ", which the manifest's entry for '", self,
                              "' does not list: peers would refuse it"));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::shared_ptr<const manifest::TrustAnchors>> AnchorsOf(
    const AttestedTransportOptions& options) {
  if (options.anchors != nullptr) {
    return options.anchors;
  }
  MRA_ASSIGN_OR_RETURN(manifest::TrustAnchors anchors,
                       manifest::CompiledTrustAnchors());
  return std::make_shared<const manifest::TrustAnchors>(std::move(anchors));
}

// ReloadContext is what a manifest reload needs; copied into the reloader's
// callback so it does not depend on the builder's lifetime.
struct ReloadContext {
  const DeploymentConfig* config;
  const ServiceAcl* acl;
  std::shared_ptr<const manifest::TrustAnchors> anchors;
  const Clock* clock;
  std::shared_ptr<x509::ManifestHolder> holder;
  x509::AppraisedEvidence self;  // What AttestSelf saw.
  // The last refusal logged (digests of the manifest and its signatures,
  // and the reason): the reloader offers a refused manifest again at every
  // poll, and the same refusal is logged at error level once, then at debug
  // level.
  std::shared_ptr<std::string> last_refusal = std::make_shared<std::string>();
};

// Reload verifies a changed manifest like start-up steps 2 and 3 (compiled-in
// auditors, deployment, expiry, rollback state, the services this one needs,
// this process's own identity listed), requires it to be no older than the
// manifest in force (manifest::CheckRollbackFloor), and, only then, records it
// in the rollback state and swaps it in. A refused manifest changes neither.
absl::Status Reload(const ReloadContext& ctx, const std::string& bytes,
                    const std::vector<manifest::DetachedSignature>& sigs) {
  const ServiceAcl& acl = *ctx.acl;
  const DeploymentConfig& config = *ctx.config;
  manifest::RollbackStateFile state(config.Service(acl.self).rollback_state);
  manifest::VerifyOptions options{
      .expected_deployment = config.deployment,
      .clock = ctx.clock,
      .state = &state,
      .require_version = config.manifest.require_version,
      .require_expires = config.manifest.require_expires,
  };
  absl::StatusOr<manifest::VerifiedManifest> verified =
      manifest::VerifyManifestUncommitted(bytes, sigs, *ctx.anchors, options);
  absl::Status status = verified.status();
  if (status.ok()) {
    std::vector<std::string_view> needed = {acl.self};
    needed.insert(needed.end(), acl.outbound.begin(), acl.outbound.end());
    status = CheckListed(verified->manifest, acl.self, needed);
  }
  if (status.ok()) {
    status = CheckSelfListed(verified->manifest, acl.self, ctx.self);
  }
  // The manifest in force is a floor too: the state file is host-writable
  // (the host may delete it, or write a valid record of an older version).
  const x509::ManifestHolder::Snapshot current = ctx.holder->Get();
  if (status.ok()) {
    const std::string in_force = HexEncode(current->digest);
    status = manifest::CheckRollbackFloor(
        verified->manifest, HexEncode(verified->digest),
        current->manifest.version.value_or(0), in_force,
        StrCat("of the manifest in force (sha256 ", in_force, ")"));
  }
  if (status.ok()) {
    status = manifest::CommitRollbackState(*verified, state);
  }
  if (!status.ok()) {
    // Reload runs on the reloader's thread only, never concurrently.
    std::string refusal = HexEncode(crypto::Sha256(crypto::AsBytes(bytes)));
    for (const manifest::DetachedSignature& sig : sigs) {
      StrAppend(&refusal, " ", sig.label, ":",
                HexEncode(crypto::Sha256(sig.bytes)));
    }
    StrAppend(&refusal, " ", status.ToString());
    const bool repeated = refusal == *ctx.last_refusal;
    *ctx.last_refusal = std::move(refusal);
    spdlog::log(
        repeated ? spdlog::level::debug : spdlog::level::err,
        "manifest reload REFUSED service={} reason=\"{}\"; the manifest "
        "in force stays{}",
        acl.self, ToStd(status.message()), repeated ? " (again)" : "");
    return status;
  }
  ctx.last_refusal->clear();
  uint64_t version = verified->manifest.version.value_or(0);
  std::string digest = HexEncode(verified->digest);
  // The watcher's first look offers the manifest start-up already verified.
  if (current->digest == verified->digest) {
    spdlog::debug("manifest unchanged service={} version={} sha256={}",
                  acl.self, version, digest);
    return absl::OkStatus();
  }
  MRA_RETURN_IF_ERROR(
      ctx.holder->Replace(std::make_shared<const manifest::VerifiedManifest>(
          std::move(*verified))));
  spdlog::info("manifest reloaded service={} version={} sha256={}", acl.self,
               version, digest);
  return absl::OkStatus();
}

// AttestedChannels is the client half shared by the service transport and
// mra-client's factory: per-target credentials with a ForClient verifier.
class AttestedChannels {
 public:
  AttestedChannels(const x509::AccessPolicy& policy,
                   grpc::IdentitySource* identity,
                   std::shared_ptr<const x509::ManifestHolder> manifests,
                   std::shared_ptr<const x509::EvidenceAppraiser> appraiser,
                   x509::PeerVerifierOptions verifier_options,
                   grpc::VerifyMode verify_mode)
      : policy_(policy),
        identity_(identity),
        manifests_(std::move(manifests)),
        appraiser_(std::move(appraiser)),
        verifier_options_(std::move(verifier_options)),
        verify_mode_(verify_mode) {}

  std::shared_ptr<::grpc::ChannelCredentials> For(
      std::string_view target_service) {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = credentials_.find(target_service);
    if (it != credentials_.end()) {
      return it->second;
    }
    absl::StatusOr<std::unique_ptr<x509::AttestedPeerVerifier>> verifier =
        x509::AttestedPeerVerifier::ForClient(
            target_service, policy_, manifests_, appraiser_, verifier_options_);
    if (!verifier.ok()) {
      spdlog::warn("transport: no credentials for target={} reason=\"{}\"",
                   target_service, ToStd(verifier.status().message()));
      return nullptr;
    }
    absl::StatusOr<std::shared_ptr<::grpc::ChannelCredentials>> credentials =
        grpc::MakeChannelCredentials(
            identity_,
            std::shared_ptr<const x509::PeerVerifier>(std::move(*verifier)),
            {.verify_mode = verify_mode_});
    if (!credentials.ok()) {
      spdlog::error("transport: channel credentials for target={}: {}",
                    target_service, ToStd(credentials.status().message()));
      return nullptr;
    }
    credentials_.emplace(std::string(target_service), *credentials);
    return *credentials;
  }

 private:
  const x509::AccessPolicy policy_;
  grpc::IdentitySource* const identity_;  // Null: one-way (mra-client).
  const std::shared_ptr<const x509::ManifestHolder> manifests_;
  const std::shared_ptr<const x509::EvidenceAppraiser> appraiser_;
  const x509::PeerVerifierOptions verifier_options_;
  const grpc::VerifyMode verify_mode_;
  std::mutex mu_;
  std::map<std::string, std::shared_ptr<::grpc::ChannelCredentials>,
           std::less<>>
      credentials_;  // Guarded by mu_.
};

// AttestedTransport is one service's transport. Members are destroyed in
// reverse order: the reloader stops first, the identity goes last.
class AttestedTransport final : public Transport {
 public:
  AttestedTransport(const DeploymentConfig& config, const ServiceAcl& acl,
                    std::string description,
                    std::shared_ptr<grpc::RotatingIdentity> identity,
                    std::shared_ptr<x509::ManifestHolder> manifests,
                    std::shared_ptr<const x509::EvidenceAppraiser> appraiser,
                    x509::PeerVerifierOptions verifier_options)
      : config_(config),
        acl_(acl),
        description_(std::move(description)),
        identity_(std::move(identity)),
        manifests_(std::move(manifests)),
        channels_(x509::AccessPolicy(acl.self, acl.inbound, acl.outbound),
                  identity_.get(), manifests_, appraiser,
                  std::move(verifier_options), grpc::VerifyMode::kOffload) {}

  // Init makes the server credentials (and so fails Build early).
  absl::Status Init(std::shared_ptr<const x509::EvidenceAppraiser> appraiser,
                    const x509::PeerVerifierOptions& verifier_options) {
    MRA_ASSIGN_OR_RETURN(
        std::unique_ptr<x509::AttestedPeerVerifier> verifier,
        x509::AttestedPeerVerifier::ForServer(
            x509::AccessPolicy(acl_.self, acl_.inbound, acl_.outbound),
            manifests_, std::move(appraiser), verifier_options));
    MRA_ASSIGN_OR_RETURN(
        server_credentials_,
        grpc::MakeServerCredentials(
            *identity_,
            std::shared_ptr<const x509::PeerVerifier>(std::move(verifier)),
            {.client_certificate =
                 acl_.anonymous_clients
                     ? grpc::ClientCertificatePolicy::kOptional
                     : grpc::ClientCertificatePolicy::kRequire,
             .verify_mode = grpc::VerifyMode::kOffload}));
    return absl::OkStatus();
  }

  void SetReloader(std::unique_ptr<grpc::ManifestReloader> reloader) {
    reloader_ = std::move(reloader);
  }

  std::string_view Describe() const override { return description_; }

  std::shared_ptr<::grpc::ChannelCredentials> ChannelCredentials(
      std::string_view target_service) override {
    if (!acl_.AllowsOutbound(target_service)) {
      return nullptr;
    }
    return channels_.For(target_service);
  }

  std::shared_ptr<::grpc::ServerCredentials> ServerCredentials() override {
    return server_credentials_;
  }

  void ConfigureServer(::grpc::ServerBuilder& builder) override {
    grpc::SetMaxConnectionAge(builder, config_.policy.cert_lifetime);
  }

  std::optional<std::string> PeerService(
      const ::grpc::ServerContext& context) const override {
    absl::StatusOr<x509::PeerIdentity> peer = grpc::PeerFromContext(context);
    if (!peer.ok() || peer->service.empty()) {
      return std::nullopt;
    }
    return peer->service;
  }

  std::string DescribePeer(
      const ::grpc::ServerContext& context) const override {
    absl::StatusOr<x509::PeerIdentity> peer = grpc::PeerFromContext(context);
    if (!peer.ok()) {
      return StrCat("anonymous addr=", context.peer());
    }
    return StrCat(
        peer->service, " mrenclave=", ShortHex(peer->mr_enclave),
        " tcb=", peer->tcb_status, peer->simulation ? " SIMULATION" : "",
        " manifest_version=", peer->manifest_version, " addr=", context.peer());
  }

 private:
  const DeploymentConfig& config_;
  const ServiceAcl& acl_;
  const std::string description_;
  const std::shared_ptr<grpc::RotatingIdentity> identity_;
  const std::shared_ptr<x509::ManifestHolder> manifests_;
  AttestedChannels channels_;
  std::shared_ptr<::grpc::ServerCredentials> server_credentials_;
  std::unique_ptr<grpc::ManifestReloader> reloader_;
};

class AttestedTransportBuilder final : public TransportBuilder {
 public:
  AttestedTransportBuilder(
      const DeploymentConfig& config, const ServiceAcl& acl,
      AttestedTransportOptions options,
      std::shared_ptr<const manifest::TrustAnchors> anchors)
      : config_(config),
        acl_(acl),
        options_(std::move(options)),
        anchors_(std::move(anchors)),
        description_(DescribeFor(config)) {}

  std::string_view Describe() const override { return description_; }

  absl::Status AttestSelf() override {
    if (config_.policy.allow_simulation) {
      spdlog::warn(
          "attest: policy.allow_simulation=true: peers whose quotes chain to "
          "the DEVELOPMENT root {} are trusted. {}",
          config_.policy.simulation_root, attest::kSimulationWarning);
    }
    MRA_ASSIGN_OR_RETURN(appraiser_, MakeConfiguredAppraiser(config_));

    attest::AttesterOptions attester_options;
    attester_options.sim.sim_dir = config_.attester.sim_dir;
    if (!options_.sim_executable.empty()) {
      attester_options.sim.executable = options_.sim_executable;
    }
    absl::StatusOr<std::unique_ptr<attest::Attester>> attester =
        attest::MakeAttester(config_.attester.kind, attester_options);
    if (!attester.ok()) {
      return absl::Status(attester.status().code(),
                          StrCat("attester '", config_.attester.kind,
                                 "' (sim_dir ", config_.attester.sim_dir,
                                 "): ", ToStd(attester.status().message())));
    }
    std::shared_ptr<attest::Attester> shared_attester = std::move(*attester);

    x509::AttestedCertOptions cert_options;
    cert_options.validity = config_.policy.cert_lifetime;
    cert_options.common_name = std::string(acl_.self);
    cert_options.clock = options_.clock;
    grpc::RotatingIdentity::Factory factory =
        [shared_attester,
         cert_options]() -> absl::StatusOr<grpc::IdentityPair> {
      MRA_ASSIGN_OR_RETURN(
          x509::AttestedCredentials credentials,
          x509::CreateAttestedCertificate(*shared_attester, cert_options));
      MRA_ASSIGN_OR_RETURN(x509::CleansedString key_pem,
                           credentials.PrivateKeyPem());
      return grpc::IdentityPair{
          .certificate_pem = std::move(credentials.cert_pem),
          .private_key_pem =
              SecretBytes(key_pem.UnsafeString(SecretAccess::Get()))};
    };
    grpc::RotatingIdentityOptions identity_options;
    identity_options.lifetime = config_.policy.cert_lifetime;
    identity_options.directory = options_.identity_directory;
    MRA_ASSIGN_OR_RETURN(
        std::unique_ptr<grpc::RotatingIdentity> identity,
        grpc::RotatingIdentity::Create(std::move(factory), identity_options));
    identity_ = std::move(identity);

    // Self-check: peers apply this same policy to our certificate.
    const absl::Time now = options_.clock->Now();
    std::string pem = identity_->CurrentCertificatePem();
    MRA_ASSIGN_OR_RETURN(
        x509::ParsedAttestedCert cert,
        x509::ParseAttestedCertificate(crypto::AsBytes(pem), now));
    absl::StatusOr<x509::AppraisedEvidence> self =
        appraiser_->Appraise(cert.quote, cert.expected_report_data, now);
    if (!self.ok()) {
      std::optional<VerifyFailure> verdict = GetVerifyFailure(self.status());
      std::string hint;
      if (verdict == VerifyFailure::kSimulationNotTrusted ||
          verdict == VerifyFailure::kRootCaUntrusted) {
        hint =
            " (a simulation deployment needs [policy] allow_simulation = "
            "true and simulation_root = the sim dir's root.pem)";
      }
      absl::Status s(self.status().code(),
                     StrCat("self-check: this service's own evidence does not "
                            "pass the deployment's appraisal policy, so no "
                            "peer would accept it: ",
                            ToStd(self.status().message()), hint));
      if (verdict.has_value()) {
        s = VerifyError(*verdict, ToStd(s.message()));
      }
      return s;
    }
    self_ = *self;
    spdlog::info(
        "attested self service={} attester={} mrenclave={} mrsigner={} "
        "isv_prod_id={} isv_svn={} tcb={} simulation={} cert_lifetime={}",
        acl_.self, shared_attester->Kind(), HexEncode(self_->mr_enclave),
        HexEncode(self_->mr_signer), self_->isv_prod_id, self_->isv_svn,
        self_->tcb_status, self_->simulation,
        absl::FormatDuration(config_.policy.cert_lifetime));
    return absl::OkStatus();
  }

  absl::StatusOr<std::unique_ptr<Transport>> Build(
      std::shared_ptr<const manifest::VerifiedManifest> manifest) override {
    if (identity_ == nullptr || !self_.has_value()) {
      return absl::FailedPreconditionError(
          "Build before a successful AttestSelf");
    }
    if (manifest == nullptr) {
      return absl::InvalidArgumentError("Build: no verified manifest");
    }
    MRA_RETURN_IF_ERROR(CheckSelfListed(manifest->manifest, acl_.self, *self_));

    auto holder = std::make_shared<x509::ManifestHolder>(manifest);
    x509::PeerVerifierOptions verifier_options{
        .clock = options_.clock,
        .allow_debug_enclaves = config_.policy.allow_debug,
        .max_evidence_age = config_.policy.max_evidence_age.value_or(
            x509::PeerVerifierOptions::kDefaultMaxEvidenceAge),
        .cache = std::make_shared<x509::VerificationCache>(),
    };
    auto transport = std::make_unique<AttestedTransport>(
        config_, acl_, description_, identity_, holder, appraiser_,
        verifier_options);
    MRA_RETURN_IF_ERROR(transport->Init(appraiser_, verifier_options));

    grpc::ManifestReloaderOptions reload_options;
    reload_options.poll_interval = options_.manifest_poll_interval;
    reload_options.reload_on_sighup = options_.reload_on_sighup;
    reload_options.load_on_create = false;  // Step 2 just verified it.
    // Listed again at every check: a *.sig added to signature_dir later
    // counts.
    reload_options.list_signatures = [manifest_config = config_.manifest] {
      return ResolveSignatureFiles(manifest_config);
    };
    MRA_ASSIGN_OR_RETURN(
        std::unique_ptr<grpc::ManifestReloader> reloader,
        grpc::ManifestReloader::Create(
            config_.manifest.path, /*signature_paths=*/{},
            [ctx = ReloadContext{&config_, &acl_, anchors_, options_.clock,
                                 holder, *self_}](
                std::string bytes,
                std::vector<manifest::DetachedSignature> sigs) {
              return Reload(ctx, bytes, sigs);
            },
            reload_options));
    transport->SetReloader(std::move(reloader));
    spdlog::info(
        "transport ready service={} inbound=[{}] outbound=[{}] "
        "anonymous_clients={} manifest_reload_poll={}",
        acl_.self, fmt::join(acl_.inbound, ","), fmt::join(acl_.outbound, ","),
        acl_.anonymous_clients,
        absl::FormatDuration(options_.manifest_poll_interval));
    return std::unique_ptr<Transport>(std::move(transport));
  }

 private:
  const DeploymentConfig& config_;
  const ServiceAcl& acl_;
  const AttestedTransportOptions options_;
  const std::shared_ptr<const manifest::TrustAnchors> anchors_;
  const std::string description_;
  std::shared_ptr<const x509::EvidenceAppraiser> appraiser_;
  std::shared_ptr<grpc::RotatingIdentity> identity_;
  std::optional<x509::AppraisedEvidence> self_;
};

// AttestedClientFactory is mra-client's one-way attested channel factory.
class AttestedClientFactory final : public ChannelFactory {
 public:
  AttestedClientFactory(
      std::string description,
      std::shared_ptr<const x509::ManifestHolder> manifests,
      std::shared_ptr<const x509::EvidenceAppraiser> appraiser,
      x509::PeerVerifierOptions verifier_options)
      : description_(std::move(description)),
        channels_(kClientPolicy, nullptr, std::move(manifests),
                  std::move(appraiser), std::move(verifier_options),
                  grpc::VerifyMode::kInline) {}

  std::string_view Describe() const override { return description_; }

  std::shared_ptr<::grpc::ChannelCredentials> ChannelCredentials(
      std::string_view target_service) override {
    if (!kClientPolicy.AllowsOutbound(target_service)) {
      return nullptr;
    }
    return channels_.For(target_service);
  }

 private:
  const std::string description_;
  AttestedChannels channels_;
};

}  // namespace

absl::StatusOr<std::shared_ptr<const x509::EvidenceAppraiser>>
MakeConfiguredAppraiser(const DeploymentConfig& config) {
  attested::DcapAppraiserOptions options;
  MRA_ASSIGN_OR_RETURN(options.policy, AppraisalPolicyFor(config.policy));
  if (config.policy.allow_simulation) {
    absl::StatusOr<std::string> pem =
        ReadFileBounded(config.policy.simulation_root, kMaxRootPemLen);
    if (!pem.ok()) {
      return absl::Status(
          pem.status().code(),
          StrCat("policy.simulation_root ", config.policy.simulation_root, ": ",
                 ToStd(pem.status().message()),
                 " (create a sim dir with `mra sim init`)"));
    }
    std::vector<std::string> roots = {std::move(*pem)};
    absl::StatusOr<std::shared_ptr<const sgx::TrustStore>> store =
        sgx::TrustStore::Create(roots);
    if (!store.ok()) {
      return absl::Status(
          store.status().code(),
          StrCat("policy.simulation_root ", config.policy.simulation_root, ": ",
                 ToStd(store.status().message())));
    }
    options.verifier.trust_store = *std::move(store);
  }
  MRA_ASSIGN_OR_RETURN(std::shared_ptr<attested::CollateralSource> source,
                       CollateralSourceFor(config));
  MRA_ASSIGN_OR_RETURN(
      std::unique_ptr<attested::DcapEvidenceAppraiser> appraiser,
      attested::DcapEvidenceAppraiser::Create(std::move(source),
                                              std::move(options)));
  return std::shared_ptr<const x509::EvidenceAppraiser>(std::move(appraiser));
}

absl::StatusOr<std::unique_ptr<TransportBuilder>> MakeAttestedTransportBuilder(
    const DeploymentConfig& config, const ServiceAcl& acl,
    AttestedTransportOptions options) {
  if (!acl.IsValid()) {
    return absl::InvalidArgumentError("invalid service ACL");
  }
  MRA_ASSIGN_OR_RETURN(std::shared_ptr<const manifest::TrustAnchors> anchors,
                       AnchorsOf(options));
  if (options.clock == nullptr) {
    options.clock = &Clock::Real();
  }
  return std::make_unique<AttestedTransportBuilder>(
      config, acl, std::move(options), std::move(anchors));
}

absl::StatusOr<std::unique_ptr<ChannelFactory>>
MakeAttestedClientChannelFactory(const DeploymentConfig& config,
                                 AttestedTransportOptions options) {
  if (options.clock == nullptr) {
    options.clock = &Clock::Real();
  }
  MRA_ASSIGN_OR_RETURN(std::shared_ptr<const manifest::TrustAnchors> anchors,
                       AnchorsOf(options));
  std::string bytes;
  std::vector<manifest::DetachedSignature> signatures;
  MRA_RETURN_IF_ERROR(ReadManifestFiles(config.manifest, &bytes, &signatures));
  // A client keeps no rollback state: it verifies signatures, expiry and
  // deployment on every run.
  manifest::VerifyOptions verify{
      .expected_deployment = config.deployment,
      .clock = options.clock,
      .state = nullptr,
      .require_version = config.manifest.require_version,
      .require_expires = config.manifest.require_expires,
  };
  MRA_ASSIGN_OR_RETURN(
      manifest::VerifiedManifest verified,
      manifest::VerifyManifest(bytes, signatures, *anchors, verify));
  MRA_RETURN_IF_ERROR(
      CheckListed(verified.manifest, kClientSelf, kClientOutbound));
  MRA_ASSIGN_OR_RETURN(std::shared_ptr<const x509::EvidenceAppraiser> appraiser,
                       MakeConfiguredAppraiser(config));
  auto holder = std::make_shared<const x509::ManifestHolder>(
      std::make_shared<const manifest::VerifiedManifest>(std::move(verified)));
  return std::unique_ptr<ChannelFactory>(new AttestedClientFactory(
      DescribeFor(config), std::move(holder), std::move(appraiser),
      {.clock = options.clock,
       .allow_debug_enclaves = config.policy.allow_debug,
       .max_evidence_age = config.policy.max_evidence_age.value_or(
           x509::PeerVerifierOptions::kDefaultMaxEvidenceAge),
       .cache = nullptr}));
}

}  // namespace mra::platform::internal
