// CachingProvider rules that need no network (the HTTP ones are in
// pcs_http_test.cc): option checks, untrusted cache entries, rollback.
#include "mra/collateral/cache.h"

#include <atomic>
#include <filesystem>

#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

#include "mra/base/file.h"
#include "mra/testing/paths.h"
#include "mra/testing/status_matchers.h"

namespace mra::collateral {
namespace {

using ::mra::testing::FailsWith;
using ::mra::testing::IsOk;
using ::mra::testing::StatusIs;
using ::testing::HasSubstr;
using Json = nlohmann::json;

constexpr char kSgxBundle[] = "dcap-qvl/sample/sgx_quote_collateral.json";
constexpr char kTdxBundle[] = "dcap-qvl/sample/tdx_quote_collateral.json";

std::string Read(const std::string& rel) {
  auto text = ReadFileBounded(testing::SharedPath("testdata/dcap/" + rel),
                              kMaxCollateralLen);
  EXPECT_THAT(text, IsOk()) << rel;
  return text.ok() ? *text : "";
}

std::string ReadOrEmpty(const std::string& path) {
  auto text = ReadFileBounded(path, 16 << 20);
  return text.ok() ? *text : "";
}

// A clock the test moves.
class TestClock final : public Clock {
 public:
  explicit TestClock(absl::Time now) : now_(absl::ToUnixNanos(now)) {}
  absl::Time Now() const override { return absl::FromUnixNanos(now_.load()); }
  void Set(absl::Time t) { now_ = absl::ToUnixNanos(t); }

 private:
  std::atomic<int64_t> now_;
};

// Counts the calls that reach the wrapped provider.
class CountingProvider final : public CollateralProvider {
 public:
  CountingProvider(std::unique_ptr<CollateralProvider> inner, int* calls)
      : inner_(std::move(inner)), calls_(calls) {}
  absl::StatusOr<std::string> Fetch(const CollateralRequest& r) override {
    ++*calls_;
    return inner_->Fetch(r);
  }
  std::string Name() const override { return inner_->Name(); }

 private:
  std::unique_ptr<CollateralProvider> inner_;
  int* calls_;
};

absl::Time Utc(int y, int mo, int d, int h = 0, int mi = 0, int s = 0) {
  return absl::FromCivil(absl::CivilSecond(y, mo, d, h, mi, s),
                         absl::UTCTimeZone());
}

CollateralRequest SgxRequest() {
  return *MakeCollateralRequest("00a067110000", TeeType::kSgx,
                                PckCaType::kProcessor);
}
CollateralRequest TdxRequest() {
  return *MakeCollateralRequest("b0c06f000000", TeeType::kTdx,
                                PckCaType::kPlatform);
}

class CacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    upstream_dir_ = testing::MakeTempDir();
    cache_dir_ = testing::MakeTempDir() + "/cache";
    ASSERT_THAT(WriteFileAtomic(upstream_dir_ + "/sgx.json", Read(kSgxBundle)),
                IsOk());
    ASSERT_THAT(WriteFileAtomic(upstream_dir_ + "/tdx.json", Read(kTdxBundle)),
                IsOk());
    auto cache = CachingProvider::Create(
        std::make_unique<CountingProvider>(
            std::make_unique<DirectoryProvider>(upstream_dir_), &calls_),
        CachingOptions{.dir = cache_dir_}, clock_);
    ASSERT_THAT(cache, IsOk());
    cache_ = *std::move(cache);
  }
  void TearDown() override {
    std::filesystem::remove_all(upstream_dir_);
    std::filesystem::remove_all(cache_dir_);
  }

  TestClock clock_{Utc(2025, 6, 20)};
  int calls_ = 0;
  std::string upstream_dir_;
  std::string cache_dir_;
  std::unique_ptr<CachingProvider> cache_;
};

TEST_F(CacheTest, CreateChecksOptionsAndMakesThePrivateDirectory) {
  EXPECT_EQ(std::filesystem::status(cache_dir_).permissions() &
                std::filesystem::perms::all,
            std::filesystem::perms::owner_all);
  EXPECT_THAT(
      CachingProvider::Create(nullptr, CachingOptions{.dir = "x"}, clock_),
      StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(CachingProvider::Create(
                  std::make_unique<DirectoryProvider>(upstream_dir_),
                  CachingOptions{}, clock_),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(
      CachingProvider::Create(
          std::make_unique<DirectoryProvider>(upstream_dir_),
          CachingOptions{.dir = cache_dir_, .refresh_margin = absl::Hours(-1)},
          clock_),
      StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(cache_->EntryPath(SgxRequest()),
            cache_dir_ + "/sgx-00a067110000-processor.json");
}

TEST_F(CacheTest, EntryIsTheEnvelopeAroundTheExactBundle) {
  MRA_ASSERT_OK_AND_ASSIGN(FetchResult r, cache_->FetchDetailed(SgxRequest()));
  EXPECT_EQ(r.source, CollateralSource::kUpstream);
  EXPECT_THAT(r.cache_write_error, IsOk());
  Json entry = Json::parse(ReadOrEmpty(cache_->EntryPath(SgxRequest())));
  EXPECT_EQ(entry["format"], "mra-collateral-cache-v1");
  EXPECT_EQ(entry["tee"], "sgx");
  EXPECT_EQ(entry["fmspc"], "00a067110000");
  EXPECT_EQ(entry["ca"], "processor");
  EXPECT_EQ(entry["fetched_at"], "2025-06-20T00:00:00Z");
  EXPECT_EQ(entry["bundle"], Read(kSgxBundle));
}

TEST_F(CacheTest, AnEntryCopiedToAnotherRequestsPathIsNotUsed) {
  ASSERT_THAT(cache_->Fetch(SgxRequest()), IsOk());
  std::string sgx_entry = ReadOrEmpty(cache_->EntryPath(SgxRequest()));
  ASSERT_THAT(WriteFileAtomic(cache_->EntryPath(TdxRequest()), sgx_entry),
              IsOk());
  MRA_ASSERT_OK_AND_ASSIGN(FetchResult r, cache_->FetchDetailed(TdxRequest()));
  EXPECT_EQ(r.source, CollateralSource::kUpstream);
  EXPECT_EQ(r.bundle, Read(kTdxBundle));
  EXPECT_EQ(calls_, 2);
}

TEST_F(CacheTest, AnEntryWhoseBundleWasEditedIsNotUsed) {
  ASSERT_THAT(cache_->Fetch(SgxRequest()), IsOk());
  const std::string path = cache_->EntryPath(SgxRequest());
  // Same envelope, but the bundle is the TDX one: fails CheckCollateralMatches.
  Json entry = Json::parse(ReadOrEmpty(path));
  entry["bundle"] = Read(kTdxBundle);
  ASSERT_THAT(WriteFileAtomic(path, entry.dump()), IsOk());
  MRA_ASSERT_OK_AND_ASSIGN(FetchResult r, cache_->FetchDetailed(SgxRequest()));
  EXPECT_EQ(r.source, CollateralSource::kUpstream);
  EXPECT_EQ(calls_, 2);
  EXPECT_EQ(Json::parse(ReadOrEmpty(path))["bundle"], Read(kSgxBundle));

  // Unparseable entry and no upstream: the error names both problems.
  ASSERT_THAT(WriteFileAtomic(path, "{\"format\":"), IsOk());
  std::filesystem::remove(upstream_dir_ + "/sgx.json");
  absl::StatusOr<FetchResult> none = cache_->FetchDetailed(SgxRequest());
  EXPECT_THAT(none, StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(std::string(none.status().message()),
              HasSubstr("cache entry '" + path + "': not a JSON object"));
}

TEST_F(CacheTest, AnOlderEvaluationDataNumberFromUpstreamIsRefused) {
  ASSERT_THAT(cache_->Fetch(SgxRequest()), IsOk());
  const std::string path = cache_->EntryPath(SgxRequest());
  const std::string before = ReadOrEmpty(path);
  // The upstream now serves TCB info with evaluation data number 16 (< 17).
  Json bundle = Json::parse(Read(kSgxBundle));
  Json tcb = Json::parse(bundle["tcb_info"].get<std::string>());
  ASSERT_EQ(tcb["tcbEvaluationDataNumber"], 17);
  tcb["tcbEvaluationDataNumber"] = 16;
  bundle["tcb_info"] = tcb.dump();
  ASSERT_THAT(WriteFileAtomic(upstream_dir_ + "/sgx.json", bundle.dump()),
              IsOk());
  clock_.Set(Utc(2025, 6, 22));  // Past max_age: refresh.
  MRA_ASSERT_OK_AND_ASSIGN(FetchResult r, cache_->FetchDetailed(SgxRequest()));
  EXPECT_EQ(r.source, CollateralSource::kStaleCache);
  EXPECT_THAT(r.refresh_error, FailsWith(VerifyFailure::kCollateralTooOld));
  EXPECT_THAT(std::string(r.refresh_error.message()),
              HasSubstr("tcb_info 16 vs cached 17"));
  EXPECT_EQ(ReadOrEmpty(path), before);
}

TEST_F(CacheTest, ExpiredUpstreamCollateralIsNeitherCachedNorServed) {
  clock_.Set(Utc(2025, 7, 20));  // After the sample's QE identity nextUpdate.
  absl::StatusOr<FetchResult> r = cache_->FetchDetailed(SgxRequest());
  EXPECT_THAT(r, FailsWith(VerifyFailure::kCollateralTooOld));
  EXPECT_THAT(std::string(r.status().message()),
              HasSubstr("expired at 2025-07-19T10:01:18Z (qe_identity "
                        "nextUpdate)"));
  EXPECT_FALSE(std::filesystem::exists(cache_->EntryPath(SgxRequest())));
}

TEST_F(CacheTest, FetchedAtInTheFutureForcesARefresh) {
  ASSERT_THAT(cache_->Fetch(SgxRequest()), IsOk());
  clock_.Set(Utc(2025, 6, 19, 23));  // The clock went back an hour.
  MRA_ASSERT_OK_AND_ASSIGN(FetchResult r, cache_->FetchDetailed(SgxRequest()));
  EXPECT_EQ(r.source, CollateralSource::kUpstream);
  EXPECT_EQ(calls_, 2);
}

}  // namespace
}  // namespace mra::collateral
