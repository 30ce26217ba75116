// Copyright The mra Authors.
//
// InsecureTransportForTests: plaintext gRPC where the caller's service name
// is a claim carried in metadata. For tests and local development only.

#include "src/platform/internal/insecure_transport.h"

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server_context.h"
#include "grpcpp/support/client_interceptor.h"
#include "spdlog/spdlog.h"

#include "mra/base/strings.h"
#include "mra/platform/transport.h"

namespace mra::platform {
namespace {

constexpr std::string_view kDescription =
    "INSECURE-FOR-TESTS (no attestation, no encryption)";
constexpr size_t kMaxClaimLen = 64;

// ClaimInterceptor adds the caller's claimed service name to every call.
class ClaimInterceptor final : public ::grpc::experimental::Interceptor {
 public:
  explicit ClaimInterceptor(std::string self) : self_(std::move(self)) {}

  void Intercept(
      ::grpc::experimental::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(
            ::grpc::experimental::InterceptionHookPoints::
                PRE_SEND_INITIAL_METADATA)) {
      methods->GetSendInitialMetadata()->emplace(
          std::string(kInsecurePeerServiceMetadata), self_);
    }
    methods->Proceed();
  }

 private:
  const std::string self_;
};

class ClaimInterceptorFactory final
    : public ::grpc::experimental::ClientInterceptorFactoryInterface {
 public:
  explicit ClaimInterceptorFactory(std::string self) : self_(std::move(self)) {}

  ::grpc::experimental::Interceptor* CreateClientInterceptor(
      ::grpc::experimental::ClientRpcInfo* /*info*/) override {
    return new ClaimInterceptor(self_);
  }

 private:
  const std::string self_;
};

class InsecureTransportForTests final : public Transport {
 public:
  explicit InsecureTransportForTests(std::string self)
      : self_(std::move(self)) {}

  std::string_view Describe() const override { return kDescription; }

  std::shared_ptr<::grpc::ChannelCredentials> ChannelCredentials(
      std::string_view /*target_service*/) override {
    return ::grpc::InsecureChannelCredentials();
  }

  absl::StatusOr<std::shared_ptr<::grpc::Channel>> Dial(
      std::string_view /*target_service*/,
      const std::string& address) override {
    std::vector<std::unique_ptr<
        ::grpc::experimental::ClientInterceptorFactoryInterface>>
        interceptors;
    if (!self_.empty()) {
      interceptors.push_back(std::make_unique<ClaimInterceptorFactory>(self_));
    }
    return ::grpc::experimental::CreateCustomChannelWithInterceptors(
        address, ::grpc::InsecureChannelCredentials(),
        ::grpc::ChannelArguments(), std::move(interceptors));
  }

  std::shared_ptr<::grpc::ServerCredentials> ServerCredentials() override {
    return ::grpc::InsecureServerCredentials();
  }

  std::optional<std::string> PeerService(
      const ::grpc::ServerContext& context) const override {
    const auto& metadata = context.client_metadata();
    auto range = metadata.equal_range(
        ::grpc::string_ref(kInsecurePeerServiceMetadata.data(),
                           kInsecurePeerServiceMetadata.size()));
    if (range.first == range.second || std::next(range.first) != range.second) {
      return std::nullopt;  // No claim, or an ambiguous one.
    }
    const ::grpc::string_ref& value = range.first->second;
    if (value.empty() || value.size() > kMaxClaimLen) {
      return std::nullopt;
    }
    return std::string(value.data(), value.size());
  }

  std::string DescribePeer(
      const ::grpc::ServerContext& context) const override {
    std::optional<std::string> service = PeerService(context);
    return StrCat(service.has_value() ? *service : std::string("anonymous"),
                  " (UNVERIFIED claim) addr=", context.peer());
  }

 private:
  const std::string self_;
};

class InsecureTransportBuilder final : public TransportBuilder {
 public:
  explicit InsecureTransportBuilder(std::string self)
      : self_(std::move(self)) {}

  std::string_view Describe() const override { return kDescription; }

  absl::Status AttestSelf() override {
    spdlog::warn(
        "attest: SKIPPED service={} transport=insecure-for-tests: this "
        "process proves nothing about its identity and trusts any caller's "
        "claim. Never use outside tests.",
        self_);
    return absl::OkStatus();
  }

  absl::StatusOr<std::unique_ptr<Transport>> Build(
      std::shared_ptr<const manifest::VerifiedManifest> /*manifest*/) override {
    return MakeInsecureTransportForTests(
        self_, {.i_understand_this_is_unauthenticated = true});
  }

 private:
  const std::string self_;
};

absl::Status CheckOptIn(InsecureTransportForTestsOptIn opt_in) {
  if (!opt_in.i_understand_this_is_unauthenticated) {
    return absl::FailedPreconditionError(
        "the insecure test transport needs an explicit opt-in");
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<Transport>> MakeInsecureTransportForTests(
    std::string_view self, InsecureTransportForTestsOptIn opt_in) {
  if (absl::Status s = CheckOptIn(opt_in); !s.ok()) {
    return s;
  }
  return std::make_unique<InsecureTransportForTests>(std::string(self));
}

namespace internal {

absl::StatusOr<std::unique_ptr<TransportBuilder>>
MakeInsecureTransportBuilderForTests(std::string_view self,
                                     InsecureTransportForTestsOptIn opt_in) {
  if (absl::Status s = CheckOptIn(opt_in); !s.ok()) {
    return s;
  }
  return std::make_unique<InsecureTransportBuilder>(std::string(self));
}

}  // namespace internal
}  // namespace mra::platform
