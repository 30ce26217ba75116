// Copyright The mra Authors.
//
// File: mra/grpc/credentials.h
// -----------------------------------------------------------------------------
// Mutually attested gRPC. Both ends present a self-signed certificate from an
// IdentitySource (in services: an attested certificate, re-created before it
// expires) and judge the other end with an x509::PeerVerifier, which is the
// ONLY judge: gRPC's own chain and host-name checks are switched off
// (`GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_BUT_DONT_VERIFY` on the
// server, `set_verify_server_certs(false)` + `set_check_call_host(false)` on
// the client) and a grpc::experimental::ExternalCertificateVerifier calls
// PeerVerifier::Verify on the peer's leaf certificate during the handshake.
// A refusal fails the handshake: the connection never becomes a gRPC
// transport, so no handler runs and no request byte reaches the application;
// the client's call fails with UNAVAILABLE (tests accept UNAUTHENTICATED
// too).
//
// Every accepted or refused peer is logged on the spdlog logger "mra.grpc":
//   peer accepted: side=server service=frontend mrenclave=3e6b1a2c...
//                  tcb=UpToDate simulation=false cert=ab12cd34...
//   peer refused:  side=client verdict=PEER_NOT_ALLOWED claimed_cn=storage
//                  target=... cert=... reason=...
// (claimed_cn is the refused certificate's subject CN: what the peer says it
// is, unverified, reduced to [A-Za-z0-9._-]; "none" without one.)
// The gRPC status of a refusal is UNAUTHENTICATED with a short reason that
// names the VerifyFailure; messages never carry evidence bytes or secrets.
//
// Handlers learn who called with PeerFromContext(). The identity is the one
// established at handshake time (TLS semantics): the verifier's result is
// remembered, keyed by SHA-256 of the peer's PEM leaf, in a process-wide
// bounded table, and looked up again from the auth context's
// GRPC_X509_PEM_CERT_PROPERTY_NAME. The certificate is not judged again per
// call (a long-lived connection's short-lived certificate may expire while
// the connection, authenticated at handshake, is still valid), but every
// call does run PeerVerifier::Recheck on the remembered identity, on both
// sides: a server's PeerFromContext() refuses a caller the manifest in
// force no longer admits, and channel credentials carry per-call
// credentials that fail a client call before it sends anything when the
// server is no longer admitted (UNAVAILABLE, "mra: peer refused on call:
// <VERDICT>"); a client whose server certificate was evicted from the table
// judges it again in full. Refusals are logged as
//   peer refused on call: side=client verdict=PEER_NOT_ALLOWED
//                         service=storage cert=... reason=...
// Servers still cap connection age with SetMaxConnectionAge(), so that
// clients reconnect and are verified again in full.

#pragma once

#include <cstddef>
#include <memory>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

#include "mra/grpc/identity.h"
#include "mra/x509/peer_identity.h"

namespace grpc {
class ChannelCredentials;
class ClientContext;
class ServerBuilder;
class ServerContext;
class ServerCredentials;
}  // namespace grpc

namespace mra::grpc {

// ClientCertificatePolicy says whether a server admits clients that present
// no certificate.
enum class ClientCertificatePolicy {
  // Mutual attestation (default): TLS refuses certificate-less clients and
  // the verifier judges every presented certificate.
  kRequire,
  // Enclave services and plain clients on one port: a client without a
  // certificate is admitted anonymously (PeerFromContext then fails with
  // NO_PEER_CERTIFICATE, so handlers must authorise explicitly); a client
  // that presents a certificate must still pass the verifier.
  // WARNING: only for servers whose handlers all call PeerFromContext.
  kOptional,
};

// VerifyMode says on which thread PeerVerifier::Verify runs.
enum class VerifyMode {
  // On gRPC's handshake thread. Right when Verify is cheap (a warm cache).
  kInline,
  // On a separate thread, completing the handshake asynchronously (and
  // honouring gRPC's Cancel). For verifiers that may block (cold cache,
  // collateral fetch). Costs one thread start per handshake.
  kOffload,
};

// Default cap on offloaded verifications in flight per credentials object.
inline constexpr size_t kDefaultMaxOffloadedVerifications = 256;

// ServerCredentialsOptions configures MakeServerCredentials.
struct ServerCredentialsOptions {
  ClientCertificatePolicy client_certificate =
      ClientCertificatePolicy::kRequire;
  VerifyMode verify_mode = VerifyMode::kInline;
  // kOffload only: at most this many verifications (threads) in flight; a
  // handshake beyond it is refused with UNAVAILABLE ("too many peer
  // verifications in progress", logged verdict=TOO_MANY_VERIFICATIONS)
  // rather than starting another thread, so a handshake flood cannot
  // exhaust threads. Must be at least 1.
  size_t max_offloaded_verifications = kDefaultMaxOffloadedVerifications;
};

// ChannelCredentialsOptions configures MakeChannelCredentials.
struct ChannelCredentialsOptions {
  VerifyMode verify_mode = VerifyMode::kInline;
  // As ServerCredentialsOptions::max_offloaded_verifications.
  size_t max_offloaded_verifications = kDefaultMaxOffloadedVerifications;
};

// MakeServerCredentials returns server credentials that present `identity`
// and accept a client only if `verifier` accepts its leaf certificate.
// Lifetimes: `identity` must outlive the server; the verifier is shared.
// Thread-safety: the verifier is called concurrently from handshakes.
// @return kInvalidArgument when `verifier` is null; kInternal when gRPC
//         refuses to build the credentials.
absl::StatusOr<std::shared_ptr<::grpc::ServerCredentials>>
MakeServerCredentials(IdentitySource& identity,
                      std::shared_ptr<const x509::PeerVerifier> verifier,
                      const ServerCredentialsOptions& options = {});

// MakeChannelCredentials returns client credentials that accept a server
// only if `verifier` accepts its leaf certificate.
// @param identity the client identity (mutual mode), or nullptr for one-way
//        mode: non-enclave clients that present no certificate but still
//        verify the server (needs a kOptional server). Must outlive every
//        channel built from the credentials.
// @return kInvalidArgument when `verifier` is null; kInternal when gRPC
//         refuses to build the credentials.
absl::StatusOr<std::shared_ptr<::grpc::ChannelCredentials>>
MakeChannelCredentials(IdentitySource* identity,
                       std::shared_ptr<const x509::PeerVerifier> verifier,
                       const ChannelCredentialsOptions& options = {});

// PeerFromContext returns the identity of the client of the current call, as
// verified during its connection's handshake and rechecked now (see the
// file comment).
// @return NO_PEER_CERTIFICATE (kUnauthenticated) for an anonymous client of
//         a kOptional server; kUnauthenticated when the call did not arrive
//         over TLS, or its certificate was not accepted by credentials from
//         this library in this process (or has been evicted from the table
//         of the kMaxRememberedPeers most recently used certificates); the
//         Recheck failure (a VerifyFailure) when it is no longer admitted.
absl::StatusOr<x509::PeerIdentity> PeerFromContext(
    const ::grpc::ServerContext& context);

// PeerFromContext returns the identity of the server a client call went to.
// Valid once the call has started (e.g. after a unary call returned).
// @return as above.
absl::StatusOr<x509::PeerIdentity> PeerFromContext(
    const ::grpc::ClientContext& context);

// Size of the process-wide table of verified peer certificates (LRU).
inline constexpr size_t kMaxRememberedPeers = 4096;

// SetMaxConnectionAge makes `builder`'s server close connections older than
// `max_age` (GOAWAY; in-flight calls get `grace` to finish; clients reconnect
// and are verified again). Use about the certificate lifetime.
void SetMaxConnectionAge(::grpc::ServerBuilder& builder, absl::Duration max_age,
                         absl::Duration grace = absl::Seconds(30));

}  // namespace mra::grpc
