// Copyright The mra Authors.
//
// File: src/platform/internal/attested_transport.h
// -----------------------------------------------------------------------------
// The attested transport: mutually attested gRPC (mra/grpc) with RA-TLS
// certificates (mra/x509) whose quotes a DcapEvidenceAppraiser judges
// (mra/attested), peers identified through the auditor-signed manifest and
// authorised by the service's compiled-in ServiceAcl. transport_select.cc
// returns it whenever the insecure opt-in is not set.
//
//   AttestSelf()  attester from [attester] (MakeAttester: sim | gramine |
//                 tsm) -> RotatingIdentity over CreateAttestedCertificate
//                 (certificate lifetime policy.cert_lifetime), then a
//                 self-check: this service's own quote must pass the
//                 deployment's appraisal policy (its peers apply the same
//                 one), so a misconfiguration refuses start-up instead of
//                 every handshake.
//   Build(m)      ManifestHolder(m); AttestedPeerVerifier::ForServer and,
//                 per outbound target, ForClient(target), with
//                 x509::AccessPolicy(acl.self, acl.inbound, acl.outbound),
//                 the appraiser and one VerificationCache; server
//                 credentials (client certificate optional only when
//                 acl.anonymous_clients: the frontend); a ManifestReloader
//                 on manifest.path and its signature files that verifies
//                 each change (compiled-in auditors, deployment, rollback
//                 state) and swaps it in; a refused reload is logged and the
//                 manifest in force stays.
//   PeerService   grpc::PeerFromContext -> the manifest service name.
//   ConfigureServer  SetMaxConnectionAge(policy.cert_lifetime).
//
// The appraiser, from the config: accepted TCB statuses, allow_debug,
// allow_simulation + simulation_root (the development root, trusted only
// when allowed); collateral from collateral.path (a bundle file, or a
// directory of bundles), or for the sim attester <sim_dir>/collateral.json.

#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

#include "mra/base/clock.h"
#include "mra/manifest/trust_anchors.h"
#include "mra/platform/access_control.h"
#include "mra/platform/config.h"
#include "mra/platform/transport.h"
#include "mra/x509/evidence_appraiser.h"

namespace mra::platform::internal {

// AttestedTransportOptions are the knobs tests and the selectors set; none
// of them is a config-file key.
struct AttestedTransportOptions {
  // The auditors manifests are verified against; nullptr: the compiled-in
  // ones (CompiledTrustAnchors), as services and mra-client always use.
  std::shared_ptr<const manifest::TrustAnchors> anchors = nullptr;
  // Test hook for the sim attester: the executable whose simulated identity
  // (sidecar BINARY.sigstruct) this process presents. Empty: the running
  // executable (/proc/self/exe). Lets one test process run several services
  // with distinct MRENCLAVEs.
  std::string sim_executable = {};
  // Source of "now" for certificates and verification. Must outlive the
  // builder and what it builds.
  const Clock* clock = &Clock::Real();
  // Manifest reload: poll interval (zero: no polling) and SIGHUP.
  absl::Duration manifest_poll_interval = absl::Seconds(2);
  bool reload_on_sighup = false;
  // Directory for RotatingIdentity's key files; empty: a private directory
  // under /dev/shm.
  std::string identity_directory = {};
};

// MakeConfiguredAppraiser builds the DCAP appraiser of the config (see the
// file comment).
// @return kNotFound / kUnavailable when simulation_root cannot be read;
//         kInvalidArgument when it is not a CA certificate or a TCB status
//         is unknown; kFailedPrecondition when no collateral source is
//         configured for a hardware attester.
absl::StatusOr<std::shared_ptr<const x509::EvidenceAppraiser>>
MakeConfiguredAppraiser(const DeploymentConfig& config);

// MakeAttestedTransportBuilder returns the attested builder for `acl.self`.
// `config` and `acl` must outlive the builder and the transports it builds.
// @return kInvalidArgument for an invalid ACL; kInternal when the
//         compiled-in auditors cannot be loaded.
absl::StatusOr<std::unique_ptr<TransportBuilder>> MakeAttestedTransportBuilder(
    const DeploymentConfig& config, const ServiceAcl& acl,
    AttestedTransportOptions options = {});

// MakeAttestedClientChannelFactory returns mra-client's factory: it loads
// and verifies the manifest (auditors, deployment, expiry; no rollback state:
// a client keeps none) and attests the frontend one-way (no client
// certificate). Only "frontend" can be reached.
// @return the manifest's verification error (VerifyFailure), kNotFound when
//         a file is missing, the appraiser's errors.
absl::StatusOr<std::unique_ptr<ChannelFactory>>
MakeAttestedClientChannelFactory(const DeploymentConfig& config,
                                 AttestedTransportOptions options = {});

}  // namespace mra::platform::internal
