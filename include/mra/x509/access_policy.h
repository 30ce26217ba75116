// Copyright The mra Authors.
//
// File: mra/x509/access_policy.h
// -----------------------------------------------------------------------------
// AccessPolicy is the compiled-in list of who may talk to whom. Each service
// names which services may call it (inbound) and which it may call
// (outbound); the lists are constexpr data in the service's main, so they are
// part of the binary and therefore of its measurement:
//
//   constexpr std::string_view kInbound[] = {"frontend"};
//   constexpr std::string_view kOutbound[] = {"storage"};
//   constexpr mra::x509::AccessPolicy kPolicy("api", kInbound, kOutbound);
//   static_assert(kPolicy.IsValid());
//
// Names are manifest service names (table names in enclave_info.toml).

#pragma once

#include <span>
#include <string_view>

#include "absl/status/status.h"

namespace mra::x509 {

// AccessPolicy is a literal type viewing caller-owned name lists, which must
// outlive it (static constexpr arrays do). Thread-safe (immutable).
class AccessPolicy {
 public:
  constexpr AccessPolicy(std::string_view self,
                         std::span<const std::string_view> inbound,
                         std::span<const std::string_view> outbound)
      : self_(self), inbound_(inbound), outbound_(outbound) {}

  constexpr std::string_view self() const { return self_; }
  constexpr std::span<const std::string_view> inbound() const {
    return inbound_;
  }
  constexpr std::span<const std::string_view> outbound() const {
    return outbound_;
  }

  // IsValid reports whether every name (self included) is non-empty and no
  // list repeats a name. Usable in static_assert.
  constexpr bool IsValid() const {
    return !self_.empty() && ListIsValid(inbound_) && ListIsValid(outbound_);
  }

  // AllowsInbound reports whether `caller` may call this service.
  constexpr bool AllowsInbound(std::string_view caller) const {
    return Contains(inbound_, caller);
  }
  // AllowsOutbound reports whether this service may call `server`.
  constexpr bool AllowsOutbound(std::string_view server) const {
    return Contains(outbound_, server);
  }

  // CheckInbound is the server-side check on an attested client.
  // @return kPeerNotAllowed when `caller` is not in the inbound list.
  [[nodiscard]] absl::Status CheckInbound(std::string_view caller) const;

  // CheckOutbound is the client-side check on an attested server: the peer
  // must be the service the client meant to reach, and that service must be
  // in the outbound list.
  // @return kUnexpectedPeer when `server` differs from `expected`,
  //         kPeerNotAllowed when `expected` is not in the outbound list.
  [[nodiscard]] absl::Status CheckOutbound(std::string_view expected,
                                           std::string_view server) const;

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

  std::string_view self_;
  std::span<const std::string_view> inbound_;
  std::span<const std::string_view> outbound_;
};

}  // namespace mra::x509
