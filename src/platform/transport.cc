// Copyright The mra Authors.
//
// Default methods of the transport interfaces.

#include "mra/platform/transport.h"

#include "absl/time/time.h"
#include "grpc/grpc.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/server_context.h"
#include "grpcpp/support/channel_arguments.h"

#include "mra/base/strings.h"

namespace mra::platform {
namespace {

constexpr absl::Duration kMaxReconnectBackoff = absl::Seconds(2);

}  // namespace

absl::StatusOr<std::shared_ptr<::grpc::Channel>> ChannelFactory::Dial(
    std::string_view target_service, const std::string& address) {
  std::shared_ptr<::grpc::ChannelCredentials> credentials =
      ChannelCredentials(target_service);
  if (credentials == nullptr) {
    return absl::PermissionDeniedError(
        StrCat(Describe(), " may not reach service '", target_service, "'"));
  }
  // gRPC's default reconnect backoff grows to 120 s, so a peer restarted
  // after an outage of a minute could stay unreachable for up to two more
  // (tests/faults measured 11 s after a 30 s storage outage). Peers are few
  // and on a private network: retry at least every kMaxReconnectBackoff.
  ::grpc::ChannelArguments args;
  args.SetInt(
      GRPC_ARG_MAX_RECONNECT_BACKOFF_MS,
      static_cast<int>(absl::ToInt64Milliseconds(kMaxReconnectBackoff)));
  return ::grpc::CreateCustomChannel(address, credentials, args);
}

std::string Transport::DescribePeer(
    const ::grpc::ServerContext& context) const {
  std::optional<std::string> service = PeerService(context);
  return StrCat(service.has_value() ? *service : std::string("anonymous"),
                " addr=", context.peer());
}

}  // namespace mra::platform
