// Copyright The mra Authors.
//
// Per-call authorisation and logging (see internal/call_guard.h).

#include "src/platform/internal/call_guard.h"

#include "fmt/format.h"
#include "spdlog/spdlog.h"

#include "mra/base/strings.h"

namespace mra::platform::internal {

::grpc::Status AuthorizeCaller(const Transport& transport,
                               const ::grpc::ServerContext& context,
                               const ServiceAcl& acl, std::string_view method,
                               std::string* out_peer) {
  std::optional<std::string> peer = transport.PeerService(context);
  std::string who = transport.DescribePeer(context);
  out_peer->clear();
  if (!peer.has_value()) {
    if (acl.anonymous_clients) {
      spdlog::info("call accepted service={} method={} peer={}", acl.self,
                   method, who);
      return ::grpc::Status::OK;
    }
    spdlog::warn(
        "call refused service={} method={} peer={} reason=\"no attested "
        "identity\"",
        acl.self, method, who);
    return {::grpc::StatusCode::UNAUTHENTICATED,
            "caller has no attested identity"};
  }
  if (!acl.AllowsInbound(*peer)) {
    spdlog::warn(
        "call refused service={} method={} peer={} reason=\"not in the "
        "inbound access-control list\"",
        acl.self, method, who);
    return {::grpc::StatusCode::PERMISSION_DENIED,
            StrCat("service '", *peer, "' may not call ", acl.self)};
  }
  spdlog::info("call accepted service={} method={} peer={}", acl.self, method,
               who);
  *out_peer = std::move(*peer);
  return ::grpc::Status::OK;
}

std::string Printable(std::string_view text) {
  constexpr size_t kMaxShown = 64;
  std::string out;
  for (size_t i = 0; i < text.size() && i < kMaxShown; ++i) {
    auto c = static_cast<unsigned char>(text[i]);
    if (c < 0x20 || c > 0x7e || c == '"' || c == '\\') {
      StrAppend(&out, fmt::format("\\x{:02x}", c));
    } else {
      out.push_back(static_cast<char>(c));
    }
  }
  if (text.size() > kMaxShown) {
    out += "...";
  }
  return out;
}

::grpc::Status ToGrpcStatus(const absl::Status& status) {
  if (status.ok()) {
    return ::grpc::Status::OK;
  }
  return {static_cast<::grpc::StatusCode>(status.code()),
          std::string(ToStd(status.message()))};
}

}  // namespace mra::platform::internal
