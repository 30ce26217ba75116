// Copyright The mra Authors.
//
// File: src/platform/internal/mtls_transport.h
// -----------------------------------------------------------------------------
// The transport behind `--plain-mtls-for-benchmarks DIR`: ordinary gRPC
// mutual TLS with X.509 certificates from a test CA, and NO attestation. It
// exists only as the baseline of the platform load test
// (bench/platform_load.sh): the same services, the same workload, the same
// TLS topology, minus the attestation, so the two throughputs give the cost
// of attesting.
//
// DIR holds PEM files made by bench/platform_load.sh (openssl, ECDSA P-256,
// the key type of the attested certificates):
//   ca.pem                   the test CA every side trusts (and only it)
//   <service>.pem/.key       each service's certificate, CN = SAN DNS =
//                            the service name, serverAuth + clientAuth
//
// Topology, as the attested transport:
//   - service -> service: mutual. The client checks the server's SAN against
//     the dialled service name (SslTargetNameOverride), so it refuses a
//     server that is not the one it dialled; the server requires and
//     verifies a client certificate, except the frontend, which (like the
//     attested frontend) admits certificate-less clients and verifies a
//     certificate when one is presented.
//   - client -> frontend: server-authenticated (the client presents no
//     certificate), as mra-client's one-way attestation.
//   - PeerService: the verified peer certificate's CN, if it names a
//     platform service; handlers apply the same compiled-in ACLs.
//
// WARNING: a CA-issued name proves nothing about the code behind it. Every
// process using it logs that loudly; transport_select.cc builds it only for
// the explicit flag (never from a config key), and refuses the flag together
// with `--insecure-transport-for-tests`. Missing or mismatched files refuse
// start-up.

#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

#include "mra/platform/config.h"
#include "mra/platform/transport.h"

namespace mra::platform::internal {

// The Describe() text of this transport (also what logs and mra-load show).
inline constexpr std::string_view kPlainMtlsDescription =
    "PLAIN-MTLS-FOR-BENCHMARKS (test CA, NO attestation)";

// MakePlainMtlsTransportBuilderForBenchmarks returns the builder for
// `acl.self`. AttestSelf() does not attest: it loads DIR's CA and the
// service's certificate and key, checks that they match and that the
// certificate names the service, and logs a loud warning. Build() returns
// the transport (the manifest, verified in step 2 as always, is not used to
// judge peers). `config` and `acl` must outlive the builder and its output.
// @return kInvalidArgument for an empty `dir` or an invalid ACL.
absl::StatusOr<std::unique_ptr<TransportBuilder>>
MakePlainMtlsTransportBuilderForBenchmarks(const DeploymentConfig& config,
                                           const ServiceAcl& acl,
                                           std::string dir);

// MakePlainMtlsClientChannelFactoryForBenchmarks returns a client factory
// that reaches only the frontend, verifying its certificate against DIR's
// ca.pem and its name; it presents no client certificate.
// @return kNotFound / kInvalidArgument when DIR/ca.pem is missing or not a
//         certificate.
absl::StatusOr<std::unique_ptr<ChannelFactory>>
MakePlainMtlsClientChannelFactoryForBenchmarks(std::string dir);

}  // namespace mra::platform::internal
