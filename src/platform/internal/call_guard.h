// Copyright The mra Authors.
//
// File: src/platform/internal/call_guard.h
// -----------------------------------------------------------------------------
// AuthorizeCaller is the first line of every handler: it asks the transport
// who the caller is, checks the service's access-control list, and logs the
// decision (logfmt on the default spdlog logger):
//
//   call accepted service=storage method=Put peer=frontend addr=ipv4:...
//   call refused service=storage method=Put peer=authentication addr=...
//        reason="not in the inbound access-control list"

#pragma once

#include <string>
#include <string_view>

#include "grpcpp/server_context.h"
#include "grpcpp/support/status.h"

#include "mra/platform/access_control.h"
#include "mra/platform/transport.h"

namespace mra::platform::internal {

// AuthorizeCaller returns OK when the caller may call `acl.self`:
// an attested service in acl.inbound, or (when acl.anonymous_clients) a
// caller without an attested identity. Otherwise PERMISSION_DENIED for a
// service not in the list, UNAUTHENTICATED for an anonymous caller.
// `out_peer` receives the caller's service name ("" when anonymous).
::grpc::Status AuthorizeCaller(const Transport& transport,
                               const ::grpc::ServerContext& context,
                               const ServiceAcl& acl, std::string_view method,
                               std::string* out_peer);

// Printable renders untrusted text (user names, keys) for a log line: at most
// 64 characters, anything outside printable ASCII (and the quote and
// backslash) escaped as \xNN, so a request cannot forge log lines.
std::string Printable(std::string_view text);

// ToGrpcStatus maps an absl::Status to gRPC (same code numbers).
::grpc::Status ToGrpcStatus(const absl::Status& status);

}  // namespace mra::platform::internal
