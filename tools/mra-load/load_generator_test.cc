// Copyright The mra Authors.

#include "tools/mra-load/load_generator.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

#include "mra/testing/status_matchers.h"

namespace mra::load {
namespace {

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
  MakeFactory never = []() -> absl::StatusOr<
                               std::unique_ptr<platform::ChannelFactory>> {
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
  MakeFactory failing = []() -> absl::StatusOr<
                                 std::unique_ptr<platform::ChannelFactory>> {
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
