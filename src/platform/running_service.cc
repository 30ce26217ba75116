// Copyright The mra Authors.
//
// StartService / RunningService (see mra/platform/service_main.h).

#include <chrono>

#include "grpcpp/impl/service_type.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server.h"
#include "grpcpp/server_builder.h"
#include "spdlog/spdlog.h"

#include "mra/base/status.h"
#include "mra/base/strings.h"
#include "mra/platform/service_main.h"

namespace mra::platform {

absl::StatusOr<std::unique_ptr<RunningService>> StartService(
    const ServiceDefinition& definition, const ServiceContext& context,
    const std::string& listen) {
  std::shared_ptr<::grpc::ServerCredentials> credentials =
      context.transport.ServerCredentials();
  if (credentials == nullptr) {
    return absl::InternalError(StrCat("transport ",
                                      context.transport.Describe(),
                                      " returned no server credentials"));
  }
  std::unique_ptr<RunningService> running(new RunningService());
  MRA_ASSIGN_OR_RETURN(running->service_, definition.make_service(context));

  ::grpc::ServerBuilder builder;
  builder.AddListeningPort(listen, credentials, &running->port_);
  builder.RegisterService(running->service_.get());
  context.transport.ConfigureServer(builder);
  running->server_ = builder.BuildAndStart();
  if (running->server_ == nullptr || running->port_ == 0) {
    return absl::UnavailableError(StrCat("cannot listen on ", listen));
  }
  return running;
}

void RunningService::Shutdown(absl::Duration grace) {
  if (shut_down_ || server_ == nullptr) {
    return;
  }
  shut_down_ = true;
  server_->Shutdown(std::chrono::system_clock::now() +
                    absl::ToChronoMilliseconds(grace));
  server_->Wait();
}

RunningService::~RunningService() {
  Shutdown(absl::Seconds(1));
  server_.reset();
  service_.reset();
}

}  // namespace mra::platform
