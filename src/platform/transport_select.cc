// Copyright The mra Authors.
//
// THE transport seam: which TransportBuilder / ChannelFactory a process gets.
// This build has no attested transport linked in yet, so the only choice is
// the insecure test transport, and only with the explicit opt-in; otherwise
// the selectors refuse, and every service refuses to start, saying why.
//
// TODO(lead): when the security layers land, return the attested
// implementation here: AttestSelf() = attester from config.attester +
// RotatingIdentity over CreateAttestedCertificate (lifetime
// config.policy.cert_lifetime); Build(manifest) = ManifestHolder(manifest) +
// AttestedPeerVerifier(policy, collateral, x509::AccessPolicy(acl.self,
// acl.inbound, acl.outbound)) + mra/grpc MakeServerCredentials (kOptional
// when acl.anonymous_clients) / MakeChannelCredentials, PeerService() =
// PeerFromContext(context)->service. The client: MakeChannelCredentials
// with identity nullptr (one-way) and a verifier that accepts only
// "frontend".

#include "absl/status/status.h"
#include "src/platform/internal/insecure_transport.h"

#include "mra/platform/config.h"
#include "mra/platform/transport.h"

namespace mra::platform {
namespace {

constexpr char kNoAttestedTransport[] =
    "this build has no attested transport yet (mutually attested gRPC is "
    "issue 4): refusing to run unattested. For tests and local development "
    "only, pass --insecure-transport-for-tests.";

}  // namespace

absl::StatusOr<std::unique_ptr<TransportBuilder>> SelectTransportBuilder(
    const DeploymentConfig& /*config*/, const ServiceAcl& acl,
    const TransportOptions& options) {
  if (options.insecure_for_tests) {
    return internal::MakeInsecureTransportBuilderForTests(
        acl.self, {.i_understand_this_is_unauthenticated = true});
  }
  return absl::UnimplementedError(kNoAttestedTransport);
}

absl::StatusOr<std::unique_ptr<ChannelFactory>> SelectClientChannelFactory(
    const DeploymentConfig& /*config*/, const TransportOptions& options) {
  if (options.insecure_for_tests) {
    absl::StatusOr<std::unique_ptr<Transport>> transport =
        MakeInsecureTransportForTests(
            "", {.i_understand_this_is_unauthenticated = true});
    if (!transport.ok()) {
      return transport.status();
    }
    return std::unique_ptr<ChannelFactory>(std::move(*transport));
  }
  return absl::UnimplementedError(kNoAttestedTransport);
}

}  // namespace mra::platform
