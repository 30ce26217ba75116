#include "mra/grpc/identity.h"

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <string>
#include <thread>

#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "src/grpc/testing/test_peers.h"

#include "mra/testing/status_matchers.h"

namespace mra::grpc {
namespace {

using ::mra::testing::IsOk;
using ::mra::testing::StatusIs;
using ::testing::HasSubstr;
using testing::MakeTestIdentity;
using testing::TestCertOptions;

IdentityPair MakePair(const std::string& cn, absl::Duration lifetime,
                      absl::Duration skew = absl::Seconds(60)) {
  TestCertOptions options;
  options.common_name = cn;
  options.lifetime = lifetime;
  options.not_before_skew = skew;
  absl::StatusOr<IdentityPair> pair = MakeTestIdentity(options);
  EXPECT_THAT(pair, IsOk());
  return *std::move(pair);
}

std::string ReadAll(const std::string& path) {
  std::string text;
  FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) {
    return text;
  }
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof(buf), f)) > 0) {
    text.append(buf, n);
  }
  std::fclose(f);
  return text;
}

bool WaitFor(const std::function<bool()>& pred, absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  while (absl::Now() < deadline) {
    if (pred()) {
      return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return pred();
}

TEST(StaticIdentityTest, ServesTheGivenPair) {
  IdentityPair pair = MakePair("svc:a", absl::Hours(1));
  const std::string cert = pair.certificate_pem;
  absl::StatusOr<std::unique_ptr<StaticIdentity>> identity =
      StaticIdentity::Create(std::move(pair));
  ASSERT_THAT(identity, IsOk());
  EXPECT_EQ((*identity)->CurrentCertificatePem(), cert);
  EXPECT_EQ((*identity)->Generation(), 1U);
  EXPECT_NE((*identity)->CertificateProvider(), nullptr);
}

TEST(StaticIdentityTest, RefusesKeyOfAnotherCertificate) {
  IdentityPair a = MakePair("svc:a", absl::Hours(1));
  IdentityPair b = MakePair("svc:b", absl::Hours(1));
  IdentityPair mixed{a.certificate_pem, b.private_key_pem};
  EXPECT_THAT(StaticIdentity::Create(std::move(mixed)),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(StaticIdentityTest, RefusesGarbageAndEmpty) {
  IdentityPair a = MakePair("svc:a", absl::Hours(1));
  EXPECT_THAT(StaticIdentity::Create(IdentityPair{"", a.private_key_pem}),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(StaticIdentity::Create(IdentityPair{"-----BEGIN CERTIFICATE-----"
                                                  "\nxx\n",
                                                  a.private_key_pem}),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(StaticIdentity::Create(
                  IdentityPair{a.certificate_pem, SecretBytes("not a key")}),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(RotatingIdentityTest, RenewalTimePolicy) {
  RotatingIdentityOptions options;  // 2/3, watch 1 s, margin 0.5 s.
  const absl::Time t = absl::FromUnixSeconds(1'700'000'000);
  // Long lifetime: the fraction decides.
  EXPECT_EQ(RotatingIdentity::RenewalTime(t, t + absl::Hours(3), options),
            t + absl::Hours(2));
  // Short lifetime: the handover time decides (3 s - 1.5 s).
  EXPECT_EQ(RotatingIdentity::RenewalTime(t, t + absl::Seconds(3), options),
            t + absl::Milliseconds(1500));
  // Never before it was issued.
  EXPECT_EQ(RotatingIdentity::RenewalTime(t, t + absl::Seconds(1), options), t);
}

TEST(RotatingIdentityTest, RefusesBadOptions) {
  auto factory = [] {
    return absl::StatusOr<IdentityPair>(MakePair("svc:a", absl::Hours(1)));
  };
  auto with = [&](const std::function<void(RotatingIdentityOptions&)>& edit) {
    RotatingIdentityOptions options;
    edit(options);
    return RotatingIdentity::Create(factory, options).status();
  };
  EXPECT_THAT(with([](auto& o) { o.lifetime = absl::ZeroDuration(); }),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(with([](auto& o) { o.renew_fraction = 1.0; }),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(with([](auto& o) { o.watch_interval = absl::Milliseconds(500); }),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(
      with([](auto& o) { o.watch_interval = absl::Milliseconds(1500); }),
      StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(with([](auto& o) { o.lifetime = absl::Milliseconds(1400); }),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(with([](auto& o) { o.directory = "/nonexistent/mra"; }),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(RotatingIdentity::Create(nullptr, RotatingIdentityOptions{}),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(RotatingIdentityTest, FirstFactoryFailureFailsCreate) {
  auto factory = []() -> absl::StatusOr<IdentityPair> {
    return absl::UnavailableError("no attestation device");
  };
  EXPECT_THAT(RotatingIdentity::Create(factory, RotatingIdentityOptions{}),
              StatusIs(absl::StatusCode::kUnavailable));
}

TEST(RotatingIdentityTest, RefusesCertificateExpiringTooSoon) {
  // The certificate says 1 s although the options say 1 h: no time to hand
  // it over to gRPC.
  auto factory = [] {
    return absl::StatusOr<IdentityPair>(
        MakePair("svc:a", absl::Seconds(1), absl::ZeroDuration()));
  };
  absl::Status status =
      RotatingIdentity::Create(factory, RotatingIdentityOptions{}).status();
  EXPECT_THAT(status, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(std::string(status.message()), HasSubstr("too soon"));
}

TEST(RotatingIdentityTest, RotatesBeforeExpiryAndCleansUp) {
  std::atomic<int> calls{0};
  auto factory = [&calls] {
    ++calls;
    return absl::StatusOr<IdentityPair>(
        MakePair("svc:rot", absl::Seconds(3), absl::ZeroDuration()));
  };
  RotatingIdentityOptions options;
  options.lifetime = absl::Seconds(3);
  absl::StatusOr<std::unique_ptr<RotatingIdentity>> identity =
      RotatingIdentity::Create(factory, options);
  ASSERT_THAT(identity, IsOk());
  RotatingIdentity& rot = **identity;
  const std::string dir = rot.Directory();
  const std::string first = rot.CurrentCertificatePem();

  struct stat st {};
  ASSERT_EQ(::stat(dir.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700U);
  ASSERT_EQ(::stat((dir + "/current/key.pem").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600U);

  // Certificates live 2-3 s and are renewed 1.5 s before expiry at the
  // latest: three generations within about 3 s.
  ASSERT_TRUE(WaitFor([&] { return rot.Generation() >= 3; }, absl::Seconds(6)))
      << "generation " << rot.Generation();
  EXPECT_NE(rot.CurrentCertificatePem(), first);
  RotatingIdentity::Stats stats = rot.GetStats();
  EXPECT_EQ(stats.factory_failures, 0U);
  EXPECT_GT(stats.current_expiry, absl::Now());
  EXPECT_LT(stats.next_renewal, stats.current_expiry);

  // At most two generations are on disk (the current one and the one gRPC
  // may still be reading).
  int generation_dirs = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().filename().string().rfind("gen-", 0) == 0) {
      ++generation_dirs;
    }
  }
  EXPECT_LE(generation_dirs, 2);

  identity->reset();
  EXPECT_FALSE(std::filesystem::exists(dir)) << dir;
}

TEST(RotatingIdentityTest, FailedRenewalKeepsOldPairAndCounts) {
  std::atomic<bool> fail{false};
  auto factory = [&fail]() -> absl::StatusOr<IdentityPair> {
    if (fail) {
      return absl::UnavailableError("quote service down");
    }
    return MakePair("svc:a", absl::Hours(1));
  };
  RotatingIdentityOptions options;
  options.lifetime = absl::Hours(1);
  absl::StatusOr<std::unique_ptr<RotatingIdentity>> identity =
      RotatingIdentity::Create(factory, options);
  ASSERT_THAT(identity, IsOk());
  const std::string first = (*identity)->CurrentCertificatePem();
  fail = true;
  EXPECT_THAT((*identity)->RotateNow(),
              StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_EQ((*identity)->Generation(), 1U);
  EXPECT_EQ((*identity)->CurrentCertificatePem(), first);
  EXPECT_EQ((*identity)->GetStats().factory_failures, 1U);
  // The retry is scheduled soon, not at 2/3 of an hour.
  EXPECT_LT((*identity)->GetStats().next_renewal,
            absl::Now() + absl::Seconds(5));
  fail = false;
  EXPECT_THAT((*identity)->RotateNow(), IsOk());
  EXPECT_EQ((*identity)->Generation(), 2U);
  // What gRPC reads through `current` is the new generation.
  EXPECT_EQ(ReadAll((*identity)->Directory() + "/current/cert.pem"),
            (*identity)->CurrentCertificatePem());
  EXPECT_NE((*identity)->CurrentCertificatePem(), first);
}

TEST(RotatingIdentityTest, MismatchedPairFromFactoryIsRefused) {
  IdentityPair a = MakePair("svc:a", absl::Hours(1));
  IdentityPair b = MakePair("svc:b", absl::Hours(1));
  std::atomic<int> calls{0};
  auto factory = [&]() -> absl::StatusOr<IdentityPair> {
    if (calls++ == 0) {
      return a;
    }
    return IdentityPair{a.certificate_pem, b.private_key_pem};
  };
  absl::StatusOr<std::unique_ptr<RotatingIdentity>> identity =
      RotatingIdentity::Create(factory, RotatingIdentityOptions{});
  ASSERT_THAT(identity, IsOk());
  EXPECT_THAT((*identity)->RotateNow(),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ((*identity)->Generation(), 1U);
}

TEST(RotatingIdentityTest, GenerationMtimesStrictlyIncrease) {
  auto factory = [] {
    return absl::StatusOr<IdentityPair>(MakePair("svc:a", absl::Hours(1)));
  };
  absl::StatusOr<std::unique_ptr<RotatingIdentity>> identity =
      RotatingIdentity::Create(factory, RotatingIdentityOptions{});
  ASSERT_THAT(identity, IsOk());
  const std::string key = (*identity)->Directory() + "/current/key.pem";
  const std::string cert = (*identity)->Directory() + "/current/cert.pem";
  struct stat st {};
  ASSERT_EQ(::stat(key.c_str(), &st), 0);
  time_t previous = st.st_mtime;
  for (int i = 0; i < 3; ++i) {
    ASSERT_THAT((*identity)->RotateNow(), IsOk());
    ASSERT_EQ(::stat(key.c_str(), &st), 0);
    EXPECT_GT(st.st_mtime, previous);
    struct stat cert_st {};
    ASSERT_EQ(::stat(cert.c_str(), &cert_st), 0);
    EXPECT_EQ(cert_st.st_mtime, st.st_mtime);
    previous = st.st_mtime;
  }
}

TEST(RotatingIdentityTest, GivenDirectoryIsCleanedOfLeftovers) {
  std::string dir = ::testing::TempDir() + "/mra-rot-XXXXXX";
  ASSERT_NE(::mkdtemp(dir.data()), nullptr);
  // What a crashed predecessor leaves behind.
  ASSERT_EQ(::mkdir((dir + "/gen-1").c_str(), 0700), 0);
  std::FILE* f = std::fopen((dir + "/gen-1/key.pem").c_str(), "wb");
  ASSERT_NE(f, nullptr);
  std::fputs("stale key", f);
  std::fclose(f);
  ASSERT_EQ(::symlink("gen-1", (dir + "/current").c_str()), 0);
  ASSERT_EQ(::mkdir((dir + "/unrelated").c_str(), 0700), 0);

  auto factory = [] {
    return absl::StatusOr<IdentityPair>(MakePair("svc:a", absl::Hours(1)));
  };
  RotatingIdentityOptions options;
  options.directory = dir;
  absl::StatusOr<std::unique_ptr<RotatingIdentity>> identity =
      RotatingIdentity::Create(factory, options);
  ASSERT_THAT(identity, IsOk());
  EXPECT_EQ(ReadAll(dir + "/current/cert.pem"),
            (*identity)->CurrentCertificatePem());
  identity->reset();
  // Ours is gone, the directory and what is not ours stay.
  EXPECT_TRUE(std::filesystem::exists(dir + "/unrelated"));
  EXPECT_FALSE(std::filesystem::exists(dir + "/gen-1"));
  EXPECT_FALSE(std::filesystem::is_symlink(dir + "/current"));
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace mra::grpc
