// Copyright The mra Authors.
//
// The three services in one process on 127.0.0.1:0 over the insecure test
// transport: the client's user operations end to end, the per-handler
// access-control checks, and storage durability across a service restart.

#include <chrono>
#include <memory>
#include <string>

#include "gmock/gmock.h"
#include "grpcpp/channel.h"
#include "grpcpp/client_context.h"
#include "gtest/gtest.h"

#include "mra/platform/access_control.h"
#include "mra/platform/config.h"
#include "mra/platform/service_main.h"
#include "mra/platform/services.h"
#include "mra/platform/transport.h"
#include "mra/testing/paths.h"
#include "mra/testing/status_matchers.h"
#include "mra/v1/authentication.grpc.pb.h"
#include "mra/v1/frontend.grpc.pb.h"
#include "mra/v1/storage.grpc.pb.h"

namespace mra::platform {
namespace {

using ::mra::testing::IsOk;
using ::mra::testing::StatusIs;

constexpr InsecureTransportForTestsOptIn kOptIn{
    .i_understand_this_is_unauthenticated = true};

constexpr ServiceDefinition kStorage{&kStorageAcl, &MakeStorageService};
constexpr ServiceDefinition kAuthentication{&kAuthenticationAcl,
                                            &MakeAuthenticationService};
constexpr ServiceDefinition kFrontend{&kFrontendAcl, &MakeFrontendService};

std::unique_ptr<Transport> InsecureAs(std::string_view self) {
  absl::StatusOr<std::unique_ptr<Transport>> t =
      MakeInsecureTransportForTests(self, kOptIn);
  EXPECT_THAT(t, IsOk());
  return t.ok() ? std::move(*t) : nullptr;
}

std::unique_ptr<::grpc::ClientContext> Context() {
  auto context = std::make_unique<::grpc::ClientContext>();
  context->set_deadline(std::chrono::system_clock::now() +
                        std::chrono::seconds(20));
  return context;
}

class PlatformTest : public ::testing::Test {
 protected:
  void SetUp() override {
    MRA_ASSERT_OK_AND_ASSIGN(
        config_, ParseDeploymentConfig(R"(
[services.frontend]
listen = "127.0.0.1:0"
[services.authentication]
listen = "127.0.0.1:0"
scrypt_log2_n = 10
[services.storage]
listen = "127.0.0.1:0"
max_value_bytes = 1000
)",
                                       "test", ::mra::testing::MakeTempDir()));
    storage_transport_ = InsecureAs("storage");
    auth_transport_ = InsecureAs("authentication");
    frontend_transport_ = InsecureAs("frontend");
    ASSERT_NO_FATAL_FAILURE(StartStorage());
    MRA_ASSERT_OK_AND_ASSIGN(
        auth_, StartService(kAuthentication,
                            {config_, kAuthenticationAcl, *auth_transport_},
                            "127.0.0.1:0"));
    config_.MutableService("authentication").address =
        "127.0.0.1:" + std::to_string(auth_->port());
    MRA_ASSERT_OK_AND_ASSIGN(
        frontend_,
        StartService(kFrontend, {config_, kFrontendAcl, *frontend_transport_},
                     "127.0.0.1:0"));
    client_transport_ = InsecureAs("");  // Anonymous, like mra-client.
    MRA_ASSERT_OK_AND_ASSIGN(
        auto channel,
        client_transport_->Dial(
            "frontend", "127.0.0.1:" + std::to_string(frontend_->port())));
    client_ = v1::Frontend::NewStub(channel);
  }

  void StartStorage() {
    MRA_ASSERT_OK_AND_ASSIGN(
        storage_,
        StartService(kStorage, {config_, kStorageAcl, *storage_transport_},
                     "127.0.0.1:0"));
    config_.MutableService("storage").address =
        "127.0.0.1:" + std::to_string(storage_->port());
  }

  // StorageAs is a direct storage client claiming to be `who`.
  std::unique_ptr<v1::Storage::Stub> StorageAs(std::string_view who) {
    callers_.push_back(InsecureAs(who));
    auto channel =
        callers_.back()->Dial("storage", config_.Service("storage").address);
    EXPECT_THAT(channel, IsOk());
    return v1::Storage::NewStub(*channel);
  }

  std::unique_ptr<v1::Authentication::Stub> AuthenticationAs(
      std::string_view who) {
    callers_.push_back(InsecureAs(who));
    auto channel = callers_.back()->Dial(
        "authentication", config_.Service("authentication").address);
    EXPECT_THAT(channel, IsOk());
    return v1::Authentication::NewStub(*channel);
  }

  ::grpc::Status Register(const std::string& user, const std::string& pw) {
    v1::RegisterRequest req;
    req.set_username(user);
    req.set_password(pw);
    v1::RegisterResponse resp;
    return client_->Register(Context().get(), req, &resp);
  }

  ::grpc::Status Login(const std::string& user, const std::string& pw,
                       std::string* token) {
    v1::LoginRequest req;
    req.set_username(user);
    req.set_password(pw);
    v1::LoginResponse resp;
    ::grpc::Status s = client_->Login(Context().get(), req, &resp);
    *token = resp.token();
    return s;
  }

  ::grpc::Status Put(const std::string& token, const std::string& key,
                     const std::string& value) {
    v1::PutRequest req;
    req.set_token(token);
    req.set_key(key);
    req.set_value(value);
    v1::PutResponse resp;
    return client_->Put(Context().get(), req, &resp);
  }

  ::grpc::Status Get(const std::string& token, const std::string& key,
                     std::string* value) {
    v1::GetRequest req;
    req.set_token(token);
    req.set_key(key);
    v1::GetResponse resp;
    ::grpc::Status s = client_->Get(Context().get(), req, &resp);
    *value = resp.value();
    return s;
  }

  std::string RegisterAndLogin(const std::string& user) {
    EXPECT_TRUE(Register(user, "password-of-" + user).ok());
    std::string token;
    EXPECT_TRUE(Login(user, "password-of-" + user, &token).ok());
    return token;
  }

  DeploymentConfig config_;
  std::unique_ptr<Transport> storage_transport_;
  std::unique_ptr<Transport> auth_transport_;
  std::unique_ptr<Transport> frontend_transport_;
  std::unique_ptr<Transport> client_transport_;
  std::vector<std::unique_ptr<Transport>> callers_;
  // Declared after the transports and config they use: destroyed first.
  std::unique_ptr<RunningService> storage_;
  std::unique_ptr<RunningService> auth_;
  std::unique_ptr<RunningService> frontend_;
  std::unique_ptr<v1::Frontend::Stub> client_;
};

TEST_F(PlatformTest, RegisterLoginPutGet) {
  ASSERT_TRUE(Register("alice", "correct horse").ok());
  std::string token;
  ::grpc::Status login = Login("alice", "correct horse", &token);
  ASSERT_TRUE(login.ok()) << login.error_message();
  EXPECT_EQ(token.size(), 64u);
  ::grpc::Status put = Put(token, "greeting", "hello, world");
  ASSERT_TRUE(put.ok()) << put.error_message();
  std::string value;
  ::grpc::Status get = Get(token, "greeting", &value);
  ASSERT_TRUE(get.ok()) << get.error_message();
  EXPECT_EQ(value, "hello, world");
}

TEST_F(PlatformTest, UserErrorsReachTheClient) {
  std::string token = RegisterAndLogin("alice");
  EXPECT_EQ(Register("alice", "another password").error_code(),
            ::grpc::StatusCode::ALREADY_EXISTS);
  EXPECT_EQ(Register("no spaces", "correct horse").error_code(),
            ::grpc::StatusCode::INVALID_ARGUMENT);
  std::string ignored;
  EXPECT_EQ(Login("alice", "wrong password", &ignored).error_code(),
            ::grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(Login("nobody", "wrong password", &ignored).error_code(),
            ::grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(Put(std::string(64, '0'), "k", "v").error_code(),
            ::grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(Get("not-a-token", "k", &ignored).error_code(),
            ::grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(Get(token, "missing", &ignored).error_code(),
            ::grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(Put(token, "", "v").error_code(),
            ::grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(Put(token, "big", std::string(1001, 'x')).error_code(),
            ::grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(PlatformTest, UsersCannotReadEachOthersKeys) {
  std::string alice = RegisterAndLogin("alice");
  std::string bob = RegisterAndLogin("bob");
  ASSERT_TRUE(Put(alice, "secret", "alice's").ok());
  ASSERT_TRUE(Put(bob, "secret", "bob's").ok());
  std::string value;
  ASSERT_TRUE(Get(alice, "secret", &value).ok());
  EXPECT_EQ(value, "alice's");
  ASSERT_TRUE(Get(bob, "secret", &value).ok());
  EXPECT_EQ(value, "bob's");
  ASSERT_TRUE(Put(bob, "only-bob", "x").ok());
  EXPECT_EQ(Get(alice, "only-bob", &value).error_code(),
            ::grpc::StatusCode::NOT_FOUND);
}

TEST_F(PlatformTest, StorageRefusesCallersOtherThanFrontend) {
  v1::StoragePutRequest req;
  req.set_owner("alice");
  req.set_key("k");
  req.set_value("planted");
  v1::StoragePutResponse resp;
  EXPECT_EQ(StorageAs("authentication")
                ->Put(Context().get(), req, &resp)
                .error_code(),
            ::grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(StorageAs("storage")->Put(Context().get(), req, &resp).error_code(),
            ::grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(StorageAs("")->Put(Context().get(), req, &resp).error_code(),
            ::grpc::StatusCode::UNAUTHENTICATED);
  v1::StorageGetRequest get;
  get.set_owner("alice");
  get.set_key("k");
  v1::StorageGetResponse got;
  EXPECT_EQ(
      StorageAs("authentication")->Get(Context().get(), get, &got).error_code(),
      ::grpc::StatusCode::PERMISSION_DENIED);
  // Nothing was written by the refused callers.
  EXPECT_EQ(StorageAs("frontend")->Get(Context().get(), get, &got).error_code(),
            ::grpc::StatusCode::NOT_FOUND);
}

TEST_F(PlatformTest, AuthenticationRefusesCallersOtherThanFrontend) {
  v1::CreateUserRequest req;
  req.set_username("mallory");
  req.set_password("password123");
  v1::CreateUserResponse resp;
  EXPECT_EQ(AuthenticationAs("storage")
                ->CreateUser(Context().get(), req, &resp)
                .error_code(),
            ::grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(AuthenticationAs("")
                ->CreateUser(Context().get(), req, &resp)
                .error_code(),
            ::grpc::StatusCode::UNAUTHENTICATED);
  v1::ValidateTokenRequest validate;
  validate.set_token(std::string(64, 'a'));
  v1::ValidateTokenResponse validated;
  EXPECT_EQ(AuthenticationAs("storage")
                ->ValidateToken(Context().get(), validate, &validated)
                .error_code(),
            ::grpc::StatusCode::PERMISSION_DENIED);
}

TEST_F(PlatformTest, StoredValuesSurviveAStorageRestart) {
  std::string token = RegisterAndLogin("alice");
  ASSERT_TRUE(Put(token, "durable", "still here").ok());
  storage_.reset();  // Shut down and close the database.
  ASSERT_NO_FATAL_FAILURE(StartStorage());
  v1::StorageGetRequest get;
  get.set_owner("alice");
  get.set_key("durable");
  v1::StorageGetResponse got;
  ::grpc::Status s = StorageAs("frontend")->Get(Context().get(), get, &got);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(got.value(), "still here");
}

TEST_F(PlatformTest, StorageDownIsUnavailable) {
  std::string token = RegisterAndLogin("alice");
  storage_.reset();
  std::string value;
  EXPECT_EQ(Get(token, "k", &value).error_code(),
            ::grpc::StatusCode::UNAVAILABLE);
}

TEST(TransportSelectionTest, AttestedUnlessTheInsecureOptIn) {
  EXPECT_THAT(MakeInsecureTransportForTests("storage", {}),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  DeploymentConfig config = DefaultDeploymentConfig();
  config.data_dir = ::mra::testing::MakeTempDir() + "/nothing-here";
  config.attester.sim_dir = config.data_dir + "/sim";
  config.manifest.path = config.data_dir + "/enclave_info.toml";
  // Without the opt-in: the attested transport, which cannot attest without
  // a sim dir and cannot build before attesting.
  MRA_ASSERT_OK_AND_ASSIGN(auto attested,
                           SelectTransportBuilder(config, kStorageAcl, {}));
  EXPECT_THAT(std::string(attested->Describe()),
              ::testing::HasSubstr("attested-tls"));
  EXPECT_THAT(attested->Build(nullptr),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_FALSE(attested->AttestSelf().ok());
  // The attested client needs a verified manifest.
  EXPECT_THAT(SelectClientChannelFactory(config, {}),
              StatusIs(absl::StatusCode::kNotFound));
  MRA_ASSERT_OK_AND_ASSIGN(
      auto builder, SelectTransportBuilder(config, kStorageAcl,
                                           {.insecure_for_tests = true}));
  EXPECT_THAT(builder->AttestSelf(), IsOk());
  EXPECT_THAT(builder->Build(nullptr), IsOk());
  EXPECT_THAT(SelectClientChannelFactory(config, {.insecure_for_tests = true}),
              IsOk());
}

}  // namespace
}  // namespace mra::platform
