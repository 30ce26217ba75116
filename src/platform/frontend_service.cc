// Copyright The mra Authors.
//
// The frontend service: mra.v1.Frontend, forwarding to authentication and
// storage.

#include <chrono>
#include <memory>
#include <string>

#include "grpcpp/channel.h"
#include "grpcpp/client_context.h"
#include "spdlog/spdlog.h"
#include "src/platform/internal/call_guard.h"

#include "mra/base/status.h"
#include "mra/base/strings.h"
#include "mra/platform/services.h"
#include "mra/v1/authentication.grpc.pb.h"
#include "mra/v1/frontend.grpc.pb.h"
#include "mra/v1/storage.grpc.pb.h"

namespace mra::platform {
namespace {

using internal::AuthorizeCaller;

// ForwardContext makes the context of a call on behalf of `context`'s
// caller: it inherits the deadline and cancellation, capped at
// kForwardTimeout.
std::unique_ptr<::grpc::ClientContext> ForwardContext(
    const ::grpc::ServerContext& context) {
  std::unique_ptr<::grpc::ClientContext> forward =
      ::grpc::ClientContext::FromServerContext(context);
  // gRPC takes the earlier of this and the propagated deadline.
  forward->set_deadline(std::chrono::system_clock::now() +
                        absl::ToChronoSeconds(kForwardTimeout));
  return forward;
}

// Relay passes the outcomes a client should see through unchanged and turns
// everything else (including the platform's own ACL refusing us, which is a
// deployment error) into UNAVAILABLE, logging the original.
::grpc::Status Relay(const ::grpc::Status& status, std::string_view target,
                     std::string_view method) {
  switch (status.error_code()) {
    case ::grpc::StatusCode::OK:
    case ::grpc::StatusCode::INVALID_ARGUMENT:
    case ::grpc::StatusCode::ALREADY_EXISTS:
    case ::grpc::StatusCode::UNAUTHENTICATED:
    case ::grpc::StatusCode::NOT_FOUND:
    case ::grpc::StatusCode::RESOURCE_EXHAUSTED:
    case ::grpc::StatusCode::DEADLINE_EXCEEDED:
    case ::grpc::StatusCode::CANCELLED:
      return status;
    default:
      spdlog::warn("forward failed target={} method={} code={} message=\"{}\"",
                   target, method, static_cast<int>(status.error_code()),
                   status.error_message());
      return {::grpc::StatusCode::UNAVAILABLE,
              StrCat(target, " service unavailable")};
  }
}

class FrontendService final : public v1::Frontend::Service {
 public:
  FrontendService(const ServiceContext& context,
                  const std::shared_ptr<::grpc::Channel>& authentication,
                  const std::shared_ptr<::grpc::Channel>& storage)
      : transport_(context.transport),
        acl_(context.acl),
        authentication_(v1::Authentication::NewStub(authentication)),
        storage_(v1::Storage::NewStub(storage)) {}

  ::grpc::Status Register(::grpc::ServerContext* context,
                          const v1::RegisterRequest* request,
                          v1::RegisterResponse* /*response*/) override {
    std::string peer;
    ::grpc::Status allowed =
        AuthorizeCaller(transport_, *context, acl_, "Register", &peer);
    if (!allowed.ok()) {
      return allowed;
    }
    v1::CreateUserRequest forward;
    forward.set_username(request->username());
    forward.set_password(request->password());
    v1::CreateUserResponse reply;
    auto client = ForwardContext(*context);
    return Relay(authentication_->CreateUser(client.get(), forward, &reply),
                 kAuthenticationService, "CreateUser");
  }

  ::grpc::Status Login(::grpc::ServerContext* context,
                       const v1::LoginRequest* request,
                       v1::LoginResponse* response) override {
    std::string peer;
    ::grpc::Status allowed =
        AuthorizeCaller(transport_, *context, acl_, "Login", &peer);
    if (!allowed.ok()) {
      return allowed;
    }
    v1::IssueTokenRequest forward;
    forward.set_username(request->username());
    forward.set_password(request->password());
    v1::IssueTokenResponse reply;
    auto client = ForwardContext(*context);
    ::grpc::Status s =
        Relay(authentication_->IssueToken(client.get(), forward, &reply),
              kAuthenticationService, "IssueToken");
    if (!s.ok()) {
      return s;
    }
    response->set_token(reply.token());
    response->set_expires_unix_seconds(reply.expires_unix_seconds());
    return ::grpc::Status::OK;
  }

  ::grpc::Status Put(::grpc::ServerContext* context,
                     const v1::PutRequest* request,
                     v1::PutResponse* /*response*/) override {
    std::string peer;
    ::grpc::Status allowed =
        AuthorizeCaller(transport_, *context, acl_, "Put", &peer);
    if (!allowed.ok()) {
      return allowed;
    }
    std::string user;
    ::grpc::Status valid = UserOf(*context, request->token(), &user);
    if (!valid.ok()) {
      return valid;
    }
    v1::StoragePutRequest forward;
    forward.set_owner(user);
    forward.set_key(request->key());
    forward.set_value(request->value());
    v1::StoragePutResponse reply;
    auto client = ForwardContext(*context);
    return Relay(storage_->Put(client.get(), forward, &reply), kStorageService,
                 "Put");
  }

  ::grpc::Status Get(::grpc::ServerContext* context,
                     const v1::GetRequest* request,
                     v1::GetResponse* response) override {
    std::string peer;
    ::grpc::Status allowed =
        AuthorizeCaller(transport_, *context, acl_, "Get", &peer);
    if (!allowed.ok()) {
      return allowed;
    }
    std::string user;
    ::grpc::Status valid = UserOf(*context, request->token(), &user);
    if (!valid.ok()) {
      return valid;
    }
    v1::StorageGetRequest forward;
    forward.set_owner(user);
    forward.set_key(request->key());
    v1::StorageGetResponse reply;
    auto client = ForwardContext(*context);
    ::grpc::Status s = Relay(storage_->Get(client.get(), forward, &reply),
                             kStorageService, "Get");
    if (!s.ok()) {
      return s;
    }
    *response->mutable_value() = std::move(*reply.mutable_value());
    return ::grpc::Status::OK;
  }

 private:
  // UserOf asks authentication whose token this is.
  ::grpc::Status UserOf(const ::grpc::ServerContext& context,
                        const std::string& token, std::string* out_user) {
    v1::ValidateTokenRequest forward;
    forward.set_token(token);
    v1::ValidateTokenResponse reply;
    auto client = ForwardContext(context);
    ::grpc::Status s =
        Relay(authentication_->ValidateToken(client.get(), forward, &reply),
              kAuthenticationService, "ValidateToken");
    if (!s.ok()) {
      return s;
    }
    *out_user = reply.username();
    return ::grpc::Status::OK;
  }

  Transport& transport_;
  const ServiceAcl& acl_;
  std::unique_ptr<v1::Authentication::Stub> authentication_;
  std::unique_ptr<v1::Storage::Stub> storage_;
};

absl::StatusOr<std::shared_ptr<::grpc::Channel>> DialPeer(
    const ServiceContext& context, std::string_view target) {
  if (!context.acl.AllowsOutbound(target)) {
    return absl::PermissionDeniedError(
        StrCat(context.acl.self, " may not call ", target));
  }
  const std::string& address = context.config.Service(target).address;
  MRA_ASSIGN_OR_RETURN(std::shared_ptr<::grpc::Channel> channel,
                       context.transport.Dial(target, address));
  spdlog::info("peer channel target={} address={} transport={}", target,
               address, context.transport.Describe());
  return channel;
}

}  // namespace

absl::StatusOr<std::unique_ptr<::grpc::Service>> MakeFrontendService(
    const ServiceContext& context) {
  MRA_ASSIGN_OR_RETURN(auto authentication,
                       DialPeer(context, kAuthenticationService));
  MRA_ASSIGN_OR_RETURN(auto storage, DialPeer(context, kStorageService));
  return std::make_unique<FrontendService>(context, authentication, storage);
}

}  // namespace mra::platform
