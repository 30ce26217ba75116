// Copyright The mra Authors.

#include "tools/mra-load/load_generator.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "spdlog/spdlog.h"

#include "mra/platform/access_control.h"
#include "mra/platform/config.h"
#include "mra/platform/service_main.h"
#include "mra/platform/services.h"
#include "mra/testing/paths.h"
#include "mra/testing/status_matchers.h"

namespace mra::load {
namespace {

using ::mra::testing::IsOk;
using ::mra::testing::StatusIs;
using ::testing::DoubleEq;
using ::testing::HasSubstr;

TEST(SummarizeTest, EmptyIsAllZero) {
  LatencySummary s = Summarize({});
  EXPECT_EQ(s.count, 0u);
  EXPECT_EQ(s.p50_ms, 0);
  EXPECT_EQ(s.p99_ms, 0);
}

TEST(SummarizeTest, NearestRankPercentilesOfUnsortedInput) {
  // 1..100 ms in reverse order.
  std::vector<int64_t> ns;
  for (int64_t i = 100; i >= 1; --i) {
    ns.push_back(i * 1'000'000);
  }
  LatencySummary s = Summarize(ns);
  EXPECT_EQ(s.count, 100u);
  EXPECT_THAT(s.p50_ms, DoubleEq(50));
  EXPECT_THAT(s.p99_ms, DoubleEq(99));
  EXPECT_THAT(s.max_ms, DoubleEq(100));
  EXPECT_THAT(s.mean_ms, DoubleEq(50.5));
}

TEST(SummarizeTest, OneSlowOperationInAHundredIsTheP99) {
  std::vector<int64_t> ns(99, 1'000'000);
  ns.push_back(500'000'000);
  LatencySummary s = Summarize(ns);
  EXPECT_THAT(s.p50_ms, DoubleEq(1));
  EXPECT_THAT(s.p99_ms, DoubleEq(1));
  EXPECT_THAT(s.max_ms, DoubleEq(500));
  ns.push_back(500'000'000);  // Two in 101: p99 is rank 100.
  EXPECT_THAT(Summarize(ns).p99_ms, DoubleEq(500));
}

TEST(SummarizeTest, SingleValue) {
  LatencySummary s = Summarize({2'500'000});
  EXPECT_THAT(s.p50_ms, DoubleEq(2.5));
  EXPECT_THAT(s.p99_ms, DoubleEq(2.5));
}

TEST(RunLoadTest, RefusesOptionsOutOfRange) {
  MakeFactory never =
      []() -> absl::StatusOr<std::unique_ptr<platform::ChannelFactory>> {
    return absl::InternalError("not reached");
  };
  LoadOptions options;
  options.num_clients = 0;
  EXPECT_THAT(RunLoad(never, "127.0.0.1:1", options).status(),
              StatusIs(absl::StatusCode::kInvalidArgument));
  options = {};
  options.num_keys = 0;
  EXPECT_THAT(RunLoad(never, "127.0.0.1:1", options).status(),
              StatusIs(absl::StatusCode::kInvalidArgument));
  options = {};
  options.duration = absl::ZeroDuration();
  EXPECT_THAT(RunLoad(never, "127.0.0.1:1", options).status(),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(RunLoadTest, EveryClientWhoseFactoryFailsIsAnError) {
  MakeFactory failing =
      []() -> absl::StatusOr<std::unique_ptr<platform::ChannelFactory>> {
    return absl::PermissionDeniedError("manifest refused");
  };
  LoadOptions options;
  options.num_clients = 3;
  options.duration = absl::Milliseconds(100);
  absl::StatusOr<LoadResult> r = RunLoad(failing, "127.0.0.1:1", options);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->num_clients_ready, 0);
  EXPECT_EQ(r->num_ok, 0u);
  EXPECT_EQ(r->num_errors, 3u);
  EXPECT_EQ(r->errors_by_kind.at("setup:factory"), 3u);
  ASSERT_FALSE(r->error_samples.empty());
  EXPECT_THAT(r->error_samples[0], HasSubstr("manifest refused"));
  EXPECT_EQ(r->ops_per_second, 0);
}

TEST(RunLoadTest, AnUnreachableFrontendIsCountedNotHidden) {
  MakeFactory insecure = []() {
    absl::StatusOr<std::unique_ptr<platform::Transport>> t =
        platform::MakeInsecureTransportForTests(
            "", {.i_understand_this_is_unauthenticated = true});
    if (!t.ok()) {
      return absl::StatusOr<std::unique_ptr<platform::ChannelFactory>>(
          t.status());
    }
    return absl::StatusOr<std::unique_ptr<platform::ChannelFactory>>(
        std::move(*t));
  };
  LoadOptions options;
  options.num_clients = 2;
  options.duration = absl::Milliseconds(100);
  options.op_timeout = absl::Milliseconds(500);
  absl::StatusOr<LoadResult> r = RunLoad(insecure, "127.0.0.1:1", options);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->num_clients_ready, 0);
  EXPECT_EQ(r->num_errors, 2u);
  EXPECT_EQ(r->num_ok, 0u);
  // UNAVAILABLE or DEADLINE_EXCEEDED, depending on timing; always at
  // registration, the first call.
  ASSERT_FALSE(r->errors_by_kind.empty());
  for (const auto& [kind, count] : r->errors_by_kind) {
    EXPECT_THAT(kind, HasSubstr("setup:register:"));
  }
  EXPECT_THAT(r->transport, HasSubstr("INSECURE"));
}

// The three services in this process on 127.0.0.1:0 over the insecure test
// transport (the attested and plain-mTLS paths run in the platform_load
// ctest, as separate processes).
class InProcessPlatformTest : public ::testing::Test {
 protected:
  static absl::StatusOr<std::unique_ptr<platform::ChannelFactory>>
  AnonymousClient() {
    absl::StatusOr<std::unique_ptr<platform::Transport>> t =
        platform::MakeInsecureTransportForTests(
            "", {.i_understand_this_is_unauthenticated = true});
    if (!t.ok()) {
      return t.status();
    }
    return std::unique_ptr<platform::ChannelFactory>(std::move(*t));
  }

  void SetUp() override {
    spdlog::set_level(spdlog::level::warn);  // No per-call lines.
    MRA_ASSERT_OK_AND_ASSIGN(
        config_,
        platform::ParseDeploymentConfig(R"(
[services.frontend]
listen = "127.0.0.1:0"
[services.authentication]
listen = "127.0.0.1:0"
scrypt_log2_n = 10
[services.storage]
listen = "127.0.0.1:0"
)",
                                        "test", ::mra::testing::MakeTempDir()));
    Start("storage", platform::kStorageAcl, &platform::MakeStorageService);
    Start("authentication", platform::kAuthenticationAcl,
          &platform::MakeAuthenticationService);
    Start("frontend", platform::kFrontendAcl, &platform::MakeFrontendService);
  }

  void Start(std::string_view name, const platform::ServiceAcl& acl,
             platform::ServiceFactory factory) {
    absl::StatusOr<std::unique_ptr<platform::Transport>> t =
        platform::MakeInsecureTransportForTests(
            name, {.i_understand_this_is_unauthenticated = true});
    ASSERT_THAT(t, IsOk());
    transports_.push_back(std::move(*t));
    definitions_.push_back(std::make_unique<platform::ServiceDefinition>(
        platform::ServiceDefinition{&acl, factory}));
    MRA_ASSERT_OK_AND_ASSIGN(
        auto running, platform::StartService(
                          *definitions_.back(),
                          {config_, acl, *transports_.back()}, "127.0.0.1:0"));
    config_.MutableService(name).address =
        "127.0.0.1:" + std::to_string(running->port());
    services_.push_back(std::move(running));
  }

  std::string Frontend() const { return config_.Service("frontend").address; }

  platform::DeploymentConfig config_;
  std::vector<std::unique_ptr<platform::Transport>> transports_;
  std::vector<std::unique_ptr<platform::ServiceDefinition>> definitions_;
  std::vector<std::unique_ptr<platform::RunningService>> services_;
};

TEST_F(InProcessPlatformTest, MaxOpsBoundsTheRunAndEveryReadBackMatches) {
  LoadOptions options;
  options.num_clients = 3;
  options.duration = absl::Seconds(60);  // The op budget ends it first.
  options.max_ops = 41;
  options.num_keys = 2;
  options.user_prefix = "bounded";
  absl::StatusOr<LoadResult> r = RunLoad(&AnonymousClient, Frontend(), options);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->num_errors, 0u) << r->error_samples.front();
  EXPECT_EQ(r->num_clients_ready, 3);
  EXPECT_EQ(r->num_ok, 41u);
  EXPECT_EQ(r->put.count + r->get.count, 41u);
  EXPECT_GT(r->get.count, 0u);
  EXPECT_LT(r->elapsed_seconds, 60);
  EXPECT_GT(r->ops_per_second, 0);
  EXPECT_GT(r->all.p50_ms, 0);
}

TEST_F(InProcessPlatformTest, TimeBoundsTheRun) {
  LoadOptions options;
  options.num_clients = 2;
  options.duration = absl::Milliseconds(500);
  options.user_prefix = "timed";
  absl::StatusOr<LoadResult> r = RunLoad(&AnonymousClient, Frontend(), options);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->num_errors, 0u);
  EXPECT_GT(r->num_ok, 0u);
  EXPECT_GE(r->elapsed_seconds, 0.5);
  EXPECT_LT(r->elapsed_seconds, 30);
}

TEST_F(InProcessPlatformTest, AUserThatExistsIsASetUpErrorNotASilentSkip) {
  LoadOptions options;
  options.num_clients = 2;
  options.max_ops = 4;
  options.user_prefix = "same";
  ASSERT_THAT(RunLoad(&AnonymousClient, Frontend(), options), IsOk());
  absl::StatusOr<LoadResult> again =
      RunLoad(&AnonymousClient, Frontend(), options);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->num_clients_ready, 0);
  EXPECT_EQ(again->num_ok, 0u);
  EXPECT_EQ(again->num_errors, 2u);
  EXPECT_EQ(again->errors_by_kind.at("setup:register:ALREADY_EXISTS"), 2u);
}

TEST(FormatTest, JsonRoundTripsTheNumbers) {
  LoadResult r;
  r.label = "attested";
  r.transport = "attested-tls (sim)";
  r.num_clients = 4;
  r.num_clients_ready = 4;
  r.elapsed_seconds = 3.0;
  r.num_ok = 300;
  r.ops_per_second = 100;
  r.num_errors = 1;
  r.errors_by_kind["put:UNAVAILABLE"] = 1;
  r.all = Summarize({1'000'000, 2'000'000, 3'000'000});
  nlohmann::json j = nlohmann::json::parse(ToJson(r), nullptr, false);
  ASSERT_FALSE(j.is_discarded());
  EXPECT_EQ(j["label"], "attested");
  EXPECT_EQ(j["clients"], 4);
  EXPECT_EQ(j["ops"], 300);
  EXPECT_EQ(j["errors"], 1);
  EXPECT_EQ(j["errors_by_kind"]["put:UNAVAILABLE"], 1);
  EXPECT_THAT(j["latency"]["p50_ms"].get<double>(), DoubleEq(2));
  EXPECT_THAT(j["ops_per_second"].get<double>(), DoubleEq(100));

  std::string table = FormatTable({r});
  EXPECT_THAT(table, HasSubstr("ops/s"));
  EXPECT_THAT(table, HasSubstr("attested-tls (sim)"));
  EXPECT_THAT(table, HasSubstr("100.0"));
}

}  // namespace
}  // namespace mra::load
