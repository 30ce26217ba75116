// Copyright The mra Authors.
//
// File: mra/platform/transport.h
// -----------------------------------------------------------------------------
// The transport seam between the platform services and the security layers.
// Everything a service knows about how its connections are secured goes
// through these interfaces:
//
//   ChannelFactory    client half: credentials and channels to a named peer
//                     service (mra-client uses only this half).
//   Transport         adds the server half: server credentials and who the
//                     caller of a handler is (PeerService).
//   TransportBuilder  the two start-up phases that need the security layer:
//                     AttestSelf() (step 1, before anything else) and
//                     Build() (step 3, once the manifest verified).
//
// SelectTransportBuilder / SelectClientChannelFactory (transport_select.cc)
// are the ONE place that decides which implementation a process gets: the
// attested implementation (src/platform/internal/attested_transport.h:
// attester + RotatingIdentity of RA-TLS certificates, mra/grpc credentials,
// AttestedPeerVerifier with the DCAP appraiser, the manifest and the
// compiled-in AccessPolicy), unless the explicit opt-in
// (`--insecure-transport-for-tests`) selects the insecure test
// implementation, or `--plain-mtls-for-benchmarks DIR` the plain mutual-TLS
// load-test baseline (src/platform/internal/mtls_transport.h). No config key
// can select either.

#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

#include "mra/platform/access_control.h"

namespace grpc {
class Channel;
class ChannelCredentials;
class ServerBuilder;
class ServerContext;
class ServerCredentials;
}  // namespace grpc

namespace mra::manifest {
struct VerifiedManifest;
}  // namespace mra::manifest

namespace mra::platform {

struct DeploymentConfig;

// ChannelFactory makes client channels to platform services.
// Thread-safety: all methods may be called concurrently.
class ChannelFactory {
 public:
  virtual ~ChannelFactory() = default;

  // Describe names the implementation for logs, e.g. "attested-tls (sim)" or
  // "INSECURE-FOR-TESTS". The view lives as long as the object.
  virtual std::string_view Describe() const = 0;

  // ChannelCredentials returns credentials for talking to `target_service`
  // (a manifest service name). An attested implementation only completes a
  // handshake with a peer whose attested identity is `target_service` and
  // that the outbound access-control list allows.
  // @return nullptr when this factory may not reach `target_service`.
  virtual std::shared_ptr<::grpc::ChannelCredentials> ChannelCredentials(
      std::string_view target_service) = 0;

  // Dial opens a channel to `target_service` at `address` (host:port). The
  // default uses ChannelCredentials(); implementations may add interceptors.
  // @return kPermissionDenied when ChannelCredentials() refused the target.
  virtual absl::StatusOr<std::shared_ptr<::grpc::Channel>> Dial(
      std::string_view target_service, const std::string& address);
};

// Transport is a ChannelFactory that also serves.
// Thread-safety: all methods may be called concurrently.
class Transport : public ChannelFactory {
 public:
  // ServerCredentials returns the credentials the service listens with.
  virtual std::shared_ptr<::grpc::ServerCredentials> ServerCredentials() = 0;

  // ConfigureServer lets the transport adjust the server before it starts
  // (e.g. mra::grpc::SetMaxConnectionAge). The default does nothing.
  virtual void ConfigureServer(::grpc::ServerBuilder& /*builder*/) {}

  // PeerService returns the manifest service name of the caller of the call
  // `context` belongs to, or nullopt for a caller without an attested
  // identity (an mra-client, or anything the transport cannot identify).
  // Handlers authorise on this (see ServiceAcl).
  virtual std::optional<std::string> PeerService(
      const ::grpc::ServerContext& context) const = 0;

  // DescribePeer renders the caller for logs: its service (or "anonymous"),
  // attested measurements where the implementation knows them, and the
  // network address. The default uses PeerService() and context.peer().
  virtual std::string DescribePeer(const ::grpc::ServerContext& context) const;
};

// TransportBuilder runs the security-dependent start-up steps of a service.
// Used from one thread.
class TransportBuilder {
 public:
  virtual ~TransportBuilder() = default;

  // Describe names the implementation for logs.
  virtual std::string_view Describe() const = 0;

  // AttestSelf is start-up step 1: produce evidence of this process's own
  // identity (e.g. a quote binding a fresh TLS key). Failure refuses start.
  [[nodiscard]] virtual absl::Status AttestSelf() = 0;

  // Build is step 3, after the manifest verified (step 2): the transport that
  // presents this service's attested identity and judges peers against
  // `manifest` and the service's access-control list.
  virtual absl::StatusOr<std::unique_ptr<Transport>> Build(
      std::shared_ptr<const manifest::VerifiedManifest> manifest) = 0;
};

// TransportOptions is what the selectors decide on.
struct TransportOptions {
  // The explicit opt-in to run WITHOUT attestation or encryption. Only tests
  // and `--insecure-transport-for-tests` set it. It is deliberately not a
  // config-file key, so a deployment file can never switch security off.
  bool insecure_for_tests = false;
  // The explicit opt-in for the load-test baseline
  // (`--plain-mtls-for-benchmarks DIR`): plain mutual TLS with certificates
  // of a test CA in this directory and NO attestation
  // (src/platform/internal/mtls_transport.h). Empty: not selected. Also not
  // a config-file key; the selectors refuse it together with
  // insecure_for_tests.
  std::string plain_mtls_for_benchmarks_dir = {};
};

// SelectTransportBuilder returns the TransportBuilder for service `acl.self`:
// the attested one, or with options.insecure_for_tests the insecure one, or
// with options.plain_mtls_for_benchmarks_dir the benchmark baseline (both
// opt-ins at once: kInvalidArgument).
// `config` and `acl` must outlive the builder and what it builds. The
// attested builder's AttestSelf / Build report misconfiguration (no sim dir,
// simulation not allowed, no collateral, identity not in the manifest).
// @return kInternal when the compiled-in auditors cannot be loaded.
absl::StatusOr<std::unique_ptr<TransportBuilder>> SelectTransportBuilder(
    const DeploymentConfig& config, const ServiceAcl& acl,
    const TransportOptions& options);

// SelectClientChannelFactory returns the channel factory a non-enclave
// client (mra-client) uses to reach the frontend, which it attests one-way
// (no client certificate) against the manifest it loads and verifies with
// the compiled-in auditors (no rollback state).
// @return the manifest's verification error, kNotFound for missing files,
//         the appraiser's configuration errors.
absl::StatusOr<std::unique_ptr<ChannelFactory>> SelectClientChannelFactory(
    const DeploymentConfig& config, const TransportOptions& options);

// InsecureTransportForTestsOptIn must be passed, set to true, to build the
// insecure transport; it exists so that every use is explicit and greppable.
struct InsecureTransportForTestsOptIn {
  bool i_understand_this_is_unauthenticated = false;
};

// MakeInsecureTransportForTests returns a Transport with NO encryption and NO
// attestation, for tests and local development only.
// WARNING: PeerService() believes whatever service name the caller claims
// (the `x-mra-test-peer-service` metadata its Dial() adds); anyone who can
// reach the port can claim to be any service.
// @param self the service this process claims to be on outgoing calls; empty
//        for a client (calls carry no claim, i.e. look anonymous).
// @return kFailedPrecondition unless the opt-in is set.
absl::StatusOr<std::unique_ptr<Transport>> MakeInsecureTransportForTests(
    std::string_view self, InsecureTransportForTestsOptIn opt_in);

// The metadata key the insecure transport uses for the claimed caller name.
inline constexpr std::string_view kInsecurePeerServiceMetadata =
    "x-mra-test-peer-service";

}  // namespace mra::platform
