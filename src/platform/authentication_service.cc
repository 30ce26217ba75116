// Copyright The mra Authors.
//
// The authentication service: mra.v1.Authentication over Authenticator.

#include <memory>
#include <string>

#include "spdlog/spdlog.h"
#include "src/platform/internal/authenticator.h"
#include "src/platform/internal/call_guard.h"

#include "mra/base/status.h"
#include "mra/platform/services.h"
#include "mra/v1/authentication.grpc.pb.h"

namespace mra::platform {
namespace {

using internal::AuthorizeCaller;
using internal::ToGrpcStatus;

// Expected outcomes are returned as they are; anything else is logged and
// reported without detail.
::grpc::Status Answer(const absl::Status& status, std::string_view method) {
  if (status.ok() || absl::IsInvalidArgument(status) ||
      absl::IsAlreadyExists(status) || absl::IsUnauthenticated(status) ||
      absl::IsResourceExhausted(status)) {
    return ToGrpcStatus(status);
  }
  spdlog::error("authentication {} failed status={}", method,
                status.ToString());
  return {::grpc::StatusCode::INTERNAL, "internal error"};
}

class AuthenticationService final : public v1::Authentication::Service {
 public:
  AuthenticationService(const ServiceContext& context,
                        std::unique_ptr<internal::Authenticator> auth)
      : transport_(context.transport),
        acl_(context.acl),
        auth_(std::move(auth)) {}

  ::grpc::Status CreateUser(::grpc::ServerContext* context,
                            const v1::CreateUserRequest* request,
                            v1::CreateUserResponse* /*response*/) override {
    std::string peer;
    ::grpc::Status allowed =
        AuthorizeCaller(transport_, *context, acl_, "CreateUser", &peer);
    if (!allowed.ok()) {
      return allowed;
    }
    absl::Status s =
        auth_->CreateUser(request->username(), request->password());
    if (s.ok()) {
      spdlog::info("user created username={}",
                   internal::Printable(request->username()));
    }
    return Answer(s, "CreateUser");
  }

  ::grpc::Status IssueToken(::grpc::ServerContext* context,
                            const v1::IssueTokenRequest* request,
                            v1::IssueTokenResponse* response) override {
    std::string peer;
    ::grpc::Status allowed =
        AuthorizeCaller(transport_, *context, acl_, "IssueToken", &peer);
    if (!allowed.ok()) {
      return allowed;
    }
    absl::StatusOr<internal::IssuedToken> token =
        auth_->IssueToken(request->username(), request->password());
    if (!token.ok()) {
      if (absl::IsUnauthenticated(token.status())) {
        spdlog::info("login refused username={}",
                     internal::Printable(request->username()));
      }
      return Answer(token.status(), "IssueToken");
    }
    spdlog::info("login accepted username={}",
                 internal::Printable(request->username()));
    response->set_token(std::move(token->token));
    response->set_expires_unix_seconds(absl::ToUnixSeconds(token->expires));
    return ::grpc::Status::OK;
  }

  ::grpc::Status ValidateToken(::grpc::ServerContext* context,
                               const v1::ValidateTokenRequest* request,
                               v1::ValidateTokenResponse* response) override {
    std::string peer;
    ::grpc::Status allowed =
        AuthorizeCaller(transport_, *context, acl_, "ValidateToken", &peer);
    if (!allowed.ok()) {
      return allowed;
    }
    absl::StatusOr<internal::Session> session =
        auth_->ValidateToken(request->token());
    if (!session.ok()) {
      return Answer(session.status(), "ValidateToken");
    }
    response->set_username(std::move(session->username));
    response->set_expires_unix_seconds(absl::ToUnixSeconds(session->expires));
    return ::grpc::Status::OK;
  }

 private:
  Transport& transport_;
  const ServiceAcl& acl_;
  std::unique_ptr<internal::Authenticator> auth_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<::grpc::Service>> MakeAuthenticationService(
    const ServiceContext& context) {
  const ServiceConfig& self = context.config.Service(kAuthenticationService);
  std::string path = self.data_dir + "/users.db";
  const AuthenticationConfig& config = context.config.authentication;
  internal::AuthenticatorOptions options{
      .token_lifetime = config.token_lifetime,
      .max_sessions = config.max_sessions,
      .scrypt = {.log2_n = config.scrypt_log2_n},
      .clock = &context.clock};
  MRA_ASSIGN_OR_RETURN(std::unique_ptr<internal::Authenticator> auth,
                       internal::Authenticator::Open(path, options));
  spdlog::info("user database open path={} token_lifetime={} scrypt_ln={}",
               path, absl::FormatDuration(config.token_lifetime),
               config.scrypt_log2_n);
  return std::make_unique<AuthenticationService>(context, std::move(auth));
}

}  // namespace mra::platform
