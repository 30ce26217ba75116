// Copyright The mra Authors.
//
// File: mra/platform/services.h
// -----------------------------------------------------------------------------
// The platform's gRPC services (protos in proto/mra/v1/), each built from a
// ServiceContext. Every handler first authorises its caller with
// Transport::PeerService against the service's ServiceAcl and logs the
// decision with the caller's identity; a refused caller gets
// PERMISSION_DENIED (wrong service) or UNAUTHENTICATED (no identity).
//
//   storage         KvStore on <data_dir>/storage.db (SQLite, WAL,
//                   synchronous=FULL); Put answers after commit.
//   authentication  users on <data_dir>/users.db, tokens in memory.
//   frontend        Register/Login -> authentication; Put/Get -> validate the
//                   token with authentication, then storage in the user's
//                   namespace. Forwarded calls inherit the client's deadline
//                   and cancellation, capped at kForwardTimeout.

#pragma once

#include <memory>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

#include "mra/base/clock.h"
#include "mra/platform/access_control.h"
#include "mra/platform/config.h"
#include "mra/platform/transport.h"

namespace grpc {
class Service;
}  // namespace grpc

namespace mra::platform {

// Upper bound on a frontend's call to another service.
inline constexpr absl::Duration kForwardTimeout = absl::Seconds(10);

// ServiceContext is what a service implementation is built from. All
// references must outlive the service object.
struct ServiceContext {
  const DeploymentConfig& config;
  const ServiceAcl& acl;
  Transport& transport;
  const Clock& clock = Clock::Real();
};

// MakeStorageService opens the key-value store under the service's data_dir.
// @return the store's error (kUnavailable: cannot open the database).
absl::StatusOr<std::unique_ptr<::grpc::Service>> MakeStorageService(
    const ServiceContext& context);

// MakeAuthenticationService opens the user database under data_dir.
absl::StatusOr<std::unique_ptr<::grpc::Service>> MakeAuthenticationService(
    const ServiceContext& context);

// MakeFrontendService dials authentication and storage at their configured
// addresses through context.transport (channels connect lazily).
// @return kPermissionDenied when the ACL or transport forbids a target.
absl::StatusOr<std::unique_ptr<::grpc::Service>> MakeFrontendService(
    const ServiceContext& context);

}  // namespace mra::platform
