// Copyright The mra Authors.
//
// File: mra/platform/service_main.h
// -----------------------------------------------------------------------------
// The life of a platform service process, shared by the thin mains in
// src/bin/<service>/main.cc. Start-up order, each step refusing to continue
// with a clear error (stderr and log) and a non-zero exit:
//
//   0. flags (--config FILE, --insecure-transport-for-tests,
//      --plain-mtls-for-benchmarks DIR, --log-level, --print-config) and
//      the deployment config (defaults without a file)
//   1. attest itself             TransportBuilder::AttestSelf()
//   2. load and verify the manifest with the COMPILED-IN auditors and
//      threshold (VerifyManifest: signatures, parse, expiry, deployment,
//      rollback state in the service's data_dir); the manifest must list
//      this service and every service its ACL lets it call
//   3. build the transport       TransportBuilder::Build(manifest)
//   4. build the service, listen, serve until SIGINT/SIGTERM, then drain
//
// Exit codes (as tools/mra/command.h): 0 clean shutdown, 1 refused (a
// VerifyFailure verdict, e.g. THRESHOLD_NOT_MET), 2 usage or config error,
// 3 I/O or internal error (e.g. a missing sim dir or sidecar).

#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

#include "mra/base/clock.h"
#include "mra/platform/access_control.h"
#include "mra/platform/config.h"
#include "mra/platform/services.h"

namespace grpc {
class Server;
class Service;
}  // namespace grpc

namespace mra::manifest {
class TrustAnchors;
struct VerifiedManifest;
}  // namespace mra::manifest

namespace mra::platform {

// ServiceFactory builds a service implementation (MakeStorageService, ...).
using ServiceFactory = absl::StatusOr<std::unique_ptr<::grpc::Service>> (*)(
    const ServiceContext& context);

// ServiceDefinition is what a main passes in: its compiled-in ACL (whose
// `self` is the service name) and how to build its gRPC service.
struct ServiceDefinition {
  const ServiceAcl* acl;
  ServiceFactory make_service;
};

// LoadAndVerifyManifest is start-up step 2 for service `acl.self`: reads
// config.manifest.path and its signatures (ResolveSignatureFiles), runs
// VerifyManifest against `anchors` with the deployment, require_* options
// and the service's rollback state file (its directory is created), then
// checks the manifest lists acl.self and every service in acl.outbound.
// @return the VerifyFailure status of VerifyManifest; kNotFound /
//         kUnavailable when a file cannot be read; kFailedPrecondition when
//         a needed service is missing from the manifest.
absl::StatusOr<manifest::VerifiedManifest> LoadAndVerifyManifest(
    const DeploymentConfig& config, const ServiceAcl& acl,
    const manifest::TrustAnchors& anchors, const Clock& clock);

// RunningService is a started gRPC server and the service it serves. The
// destructor shuts the server down (in-flight calls get one second), then
// destroys the service.
class RunningService {
 public:
  ~RunningService();
  RunningService(const RunningService&) = delete;
  RunningService& operator=(const RunningService&) = delete;

  // port is the bound TCP port (the real one when listening on port 0).
  int port() const { return port_; }

  // Shutdown stops accepting calls and waits up to `grace` for in-flight
  // ones before cancelling them. Idempotent.
  void Shutdown(absl::Duration grace);

 private:
  friend absl::StatusOr<std::unique_ptr<RunningService>> StartService(
      const ServiceDefinition&, const ServiceContext&, const std::string&);
  RunningService() = default;

  std::unique_ptr<::grpc::Service> service_;
  std::unique_ptr<::grpc::Server> server_;
  int port_ = 0;
  bool shut_down_ = false;
};

// StartService builds `definition`'s service from `context` and serves it on
// `listen` with context.transport's server credentials. Used by ServiceMain
// and by in-process tests.
// @return the factory's error; kUnavailable when the address cannot be bound.
absl::StatusOr<std::unique_ptr<RunningService>> StartService(
    const ServiceDefinition& definition, const ServiceContext& context,
    const std::string& listen);

// ServiceMain runs a service process (see the file comment) and returns its
// exit code. Call it directly from main().
int ServiceMain(int argc, char** argv, const ServiceDefinition& definition);

}  // namespace mra::platform
