// Copyright The mra Authors.
//
// Default methods of the transport interfaces.

#include "mra/platform/transport.h"

#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/server_context.h"

#include "mra/base/strings.h"

namespace mra::platform {

absl::StatusOr<std::shared_ptr<::grpc::Channel>> ChannelFactory::Dial(
    std::string_view target_service, const std::string& address) {
  std::shared_ptr<::grpc::ChannelCredentials> credentials =
      ChannelCredentials(target_service);
  if (credentials == nullptr) {
    return absl::PermissionDeniedError(
        StrCat(Describe(), " may not reach service '", target_service, "'"));
  }
  return ::grpc::CreateChannel(address, credentials);
}

std::string Transport::DescribePeer(
    const ::grpc::ServerContext& context) const {
  std::optional<std::string> service = PeerService(context);
  return StrCat(service.has_value() ? *service : std::string("anonymous"),
                " addr=", context.peer());
}

}  // namespace mra::platform
