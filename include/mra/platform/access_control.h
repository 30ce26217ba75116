// Copyright The mra Authors.
//
// File: mra/platform/access_control.h
// -----------------------------------------------------------------------------
// The platform's compiled-in access-control lists: who may call whom. Each
// service binary passes its own list (kFrontendAcl, kAuthenticationAcl,
// kStorageAcl) to ServiceMain, so the list is part of the binary and thus of
// its measurement. The lists are enforced twice:
//   1. by the transport (the attested TLS layer refuses a peer whose manifest
//      service name is not allowed, before any handler runs), and
//   2. by every handler, through Transport::PeerService (AuthorizeCaller in
//      src/platform/internal/call_guard.h).
//
//   frontend        <- anonymous clients (they attest the frontend one-way)
//                   -> authentication, storage
//   authentication  <- frontend
//   storage         <- frontend
//
// ServiceAcl has the same shape as mra::x509::AccessPolicy (self, inbound,
// outbound), so the security layer can be handed
//   x509::AccessPolicy(acl.self, acl.inbound, acl.outbound)
// plus `anonymous_clients`, which maps to the server's
// grpc::ClientCertificatePolicy::kOptional.

#pragma once

#include <span>
#include <string_view>

namespace mra::platform {

// ServiceAcl is a literal type viewing static name lists. Thread-safe
// (immutable).
struct ServiceAcl {
  std::string_view self;
  std::span<const std::string_view> inbound;   // Services that may call us.
  std::span<const std::string_view> outbound;  // Services we may call.
  // Whether clients without an attested identity (mra-client) may call.
  bool anonymous_clients = false;

  // AllowsInbound reports whether the attested service `caller` may call.
  constexpr bool AllowsInbound(std::string_view caller) const {
    return Contains(inbound, caller);
  }
  // AllowsOutbound reports whether this service may call `server`.
  constexpr bool AllowsOutbound(std::string_view server) const {
    return Contains(outbound, server);
  }
  // IsValid: non-empty distinct names, and self in neither list.
  constexpr bool IsValid() const {
    return !self.empty() && ListIsValid(inbound) && ListIsValid(outbound) &&
           !Contains(inbound, self) && !Contains(outbound, self);
  }

 private:
  static constexpr bool Contains(std::span<const std::string_view> list,
                                 std::string_view name) {
    for (std::string_view entry : list) {
      if (entry == name) {
        return true;
      }
    }
    return false;
  }
  static constexpr bool ListIsValid(std::span<const std::string_view> list) {
    for (size_t i = 0; i < list.size(); ++i) {
      if (list[i].empty()) {
        return false;
      }
      for (size_t j = 0; j < i; ++j) {
        if (list[i] == list[j]) {
          return false;
        }
      }
    }
    return true;
  }
};

namespace acl_internal {
inline constexpr std::string_view kFrontendOutbound[] = {"authentication",
                                                         "storage"};
inline constexpr std::string_view kFromFrontend[] = {"frontend"};
}  // namespace acl_internal

// kFrontendAcl: clients reach only the frontend; it calls the two others.
inline constexpr ServiceAcl kFrontendAcl{
    .self = "frontend",
    .inbound = {},
    .outbound = acl_internal::kFrontendOutbound,
    .anonymous_clients = true,
};

// kAuthenticationAcl: only the frontend may call authentication.
inline constexpr ServiceAcl kAuthenticationAcl{
    .self = "authentication",
    .inbound = acl_internal::kFromFrontend,
    .outbound = {},
    .anonymous_clients = false,
};

// kStorageAcl: only the frontend may call storage; nobody else.
inline constexpr ServiceAcl kStorageAcl{
    .self = "storage",
    .inbound = acl_internal::kFromFrontend,
    .outbound = {},
    .anonymous_clients = false,
};

static_assert(kFrontendAcl.IsValid());
static_assert(kAuthenticationAcl.IsValid());
static_assert(kStorageAcl.IsValid());
static_assert(kStorageAcl.AllowsInbound("frontend"));
static_assert(!kStorageAcl.AllowsInbound("authentication"));

}  // namespace mra::platform
