#include "mra/grpc/manifest_reloader.h"

#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include "mra/base/file.h"
#include "mra/base/verify_failure.h"
#include "mra/testing/status_matchers.h"

namespace mra::grpc {
namespace {

using ::mra::testing::IsOk;
using ::mra::testing::StatusIs;
using ::testing::ElementsAre;

bool WaitFor(const std::function<bool()>& pred, absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  while (absl::Now() < deadline) {
    if (pred()) {
      return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return pred();
}

// A stand-in for VerifyManifest + ManifestHolder: a manifest is accepted
// when its first signature file holds "ok:" + the manifest bytes; the
// accepted bytes become the manifest in force.
class FakeHolder {
 public:
  ManifestReloader::VerifyAndSwap Callback() {
    return [this](std::string bytes,
                  std::vector<manifest::DetachedSignature> sigs) {
      std::lock_guard<std::mutex> lock(mu_);
      ++calls_;
      std::vector<std::string> labels;
      for (const auto& s : sigs) {
        labels.push_back(s.label);
      }
      last_labels_ = labels;
      std::string expected = "ok:" + bytes;
      if (sigs.empty() ||
          std::string(sigs[0].bytes.begin(), sigs[0].bytes.end()) != expected) {
        return VerifyError(VerifyFailure::kThresholdNotMet,
                           "no valid signature");
      }
      in_force_ = bytes;
      return absl::OkStatus();
    };
  }
  std::string in_force() {
    std::lock_guard<std::mutex> lock(mu_);
    return in_force_;
  }
  int calls() {
    std::lock_guard<std::mutex> lock(mu_);
    return calls_;
  }
  std::vector<std::string> last_labels() {
    std::lock_guard<std::mutex> lock(mu_);
    return last_labels_;
  }

 private:
  std::mutex mu_;
  std::string in_force_;
  int calls_ = 0;
  std::vector<std::string> last_labels_;
};

class ManifestReloaderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string templ = ::testing::TempDir() + "/mra-reload-XXXXXX";
    ASSERT_NE(::mkdtemp(templ.data()), nullptr);
    dir_ = templ;
    manifest_ = dir_ + "/enclave_info.toml";
    sig1_ = dir_ + "/enclave_info.toml.sig1";
    sig2_ = dir_ + "/enclave_info.toml.sig2";
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  void Write(const std::string& path, const std::string& data) {
    ASSERT_THAT(WriteFileAtomic(path, data), IsOk());
  }
  void Publish(const std::string& manifest, bool good_signature = true) {
    Write(manifest_, manifest);
    Write(sig1_, (good_signature ? "ok:" : "bad:") + manifest);
  }

  ManifestReloaderOptions FastPolling() {
    ManifestReloaderOptions options;
    options.poll_interval = absl::Milliseconds(20);
    options.signal_latency = absl::Milliseconds(10);
    return options;
  }

  std::string dir_, manifest_, sig1_, sig2_;
  FakeHolder holder_;
};

TEST_F(ManifestReloaderTest, FirstLoadRunsCallbackWithAllSignatures) {
  Publish("version = 1");
  Write(sig2_, "another auditor");
  auto reloader = ManifestReloader::Create(manifest_, {sig1_, sig2_},
                                           holder_.Callback(), FastPolling());
  ASSERT_THAT(reloader, IsOk());
  EXPECT_EQ(holder_.in_force(), "version = 1");
  EXPECT_EQ(holder_.calls(), 1);
  EXPECT_THAT(holder_.last_labels(), ElementsAre(sig1_, sig2_));
  ManifestReloader::Stats stats = (*reloader)->GetStats();
  EXPECT_EQ(stats.accepted, 1U);
  EXPECT_EQ(stats.rejected, 0U);
}

TEST_F(ManifestReloaderTest, FirstLoadFailureFailsCreate) {
  Publish("version = 1", /*good_signature=*/false);
  EXPECT_THAT(ManifestReloader::Create(manifest_, {sig1_}, holder_.Callback(),
                                       FastPolling()),
              StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_THAT(ManifestReloader::Create(dir_ + "/missing.toml", {sig1_},
                                       holder_.Callback(), FastPolling()),
              StatusIs(absl::StatusCode::kNotFound));
}

TEST_F(ManifestReloaderTest, RefusesBadArguments) {
  EXPECT_THAT(ManifestReloader::Create("", {}, holder_.Callback()),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ManifestReloader::Create(manifest_, {sig1_}, nullptr),
              StatusIs(absl::StatusCode::kInvalidArgument));
  std::vector<std::string> too_many(manifest::kMaxSignatures + 1, sig1_);
  EXPECT_THAT(ManifestReloader::Create(manifest_, too_many, holder_.Callback()),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_F(ManifestReloaderTest, ChangedFilesAreOfferedAndAccepted) {
  Publish("version = 1");
  auto reloader = ManifestReloader::Create(manifest_, {sig1_},
                                           holder_.Callback(), FastPolling());
  ASSERT_THAT(reloader, IsOk());
  Publish("version = 2");
  ASSERT_TRUE(WaitFor([&] { return holder_.in_force() == "version = 2"; },
                      absl::Seconds(5)));
  EXPECT_EQ((*reloader)->GetStats().accepted, 2U);
}

TEST_F(ManifestReloaderTest, BadReloadKeepsTheOldManifest) {
  Publish("version = 1");
  auto reloader = ManifestReloader::Create(manifest_, {sig1_},
                                           holder_.Callback(), FastPolling());
  ASSERT_THAT(reloader, IsOk());
  Publish("version = 2", /*good_signature=*/false);
  ASSERT_TRUE(WaitFor([&] { return (*reloader)->GetStats().rejected >= 1; },
                      absl::Seconds(5)));
  EXPECT_EQ(holder_.in_force(), "version = 1");
  EXPECT_THAT((*reloader)->GetStats().last_error,
              ::testing::HasSubstr("no valid signature"));
  // The signature lands later: now the new manifest is accepted.
  Write(sig1_, "ok:version = 2");
  ASSERT_TRUE(WaitFor([&] { return holder_.in_force() == "version = 2"; },
                      absl::Seconds(5)));
}

TEST_F(ManifestReloaderTest, RejectedBytesAreRetriedAtTheNextCheck) {
  Publish("version = 1");
  ManifestReloaderOptions options = FastPolling();
  options.poll_interval = absl::ZeroDuration();  // Checks only on demand.
  auto reloader =
      ManifestReloader::Create(manifest_, {sig1_}, holder_.Callback(), options);
  ASSERT_THAT(reloader, IsOk());
  Publish("version = 2", /*good_signature=*/false);
  EXPECT_THAT((*reloader)->CheckNow(),
              StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_EQ(holder_.calls(), 2);
  // Nothing changed: the next check offers the rejected bytes again (the
  // cause may have been transient).
  EXPECT_THAT((*reloader)->CheckNow(),
              StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_EQ(holder_.calls(), 3);
  EXPECT_EQ(holder_.in_force(), "version = 1");
  // Once accepted, content is not offered again until it changes.
  Write(sig1_, "ok:version = 2");
  EXPECT_THAT((*reloader)->CheckNow(), IsOk());
  EXPECT_EQ(holder_.calls(), 4);
  EXPECT_EQ(holder_.in_force(), "version = 2");
  EXPECT_THAT((*reloader)->CheckNow(), IsOk());
  // Rewritten with identical bytes: stat changes, content does not.
  Publish("version = 2");
  EXPECT_THAT((*reloader)->CheckNow(), IsOk());
  EXPECT_EQ(holder_.calls(), 4);
  // An operator asks again: re-offered even though unchanged.
  (*reloader)->RequestReload();
  ASSERT_TRUE(WaitFor([&] { return holder_.calls() == 5; }, absl::Seconds(5)));
}

// A rejection for a transient reason (here: the callback fails once, as when
// the rollback state cannot be written) is retried at the next poll although
// the files did not change.
TEST_F(ManifestReloaderTest, FailedCallbackIsRetriedAtTheNextPoll) {
  Publish("version = 1");
  std::mutex mu;
  int calls = 0;
  std::string in_force;
  auto callback = [&](std::string bytes,
                      std::vector<manifest::DetachedSignature> /*sigs*/) {
    std::lock_guard<std::mutex> lock(mu);
    if (++calls == 2) {
      return absl::UnavailableError("rollback state: disk full");
    }
    in_force = bytes;
    return absl::OkStatus();
  };
  auto reloader =
      ManifestReloader::Create(manifest_, {sig1_}, callback, FastPolling());
  ASSERT_THAT(reloader, IsOk());
  Publish("version = 2");
  ASSERT_TRUE(WaitFor(
      [&] {
        std::lock_guard<std::mutex> lock(mu);
        return in_force == "version = 2";
      },
      absl::Seconds(5)));
  ManifestReloader::Stats stats = (*reloader)->GetStats();
  EXPECT_EQ(stats.rejected, 1U);
  EXPECT_EQ(stats.accepted, 2U);
  // Once accepted, unchanged files are not offered again.
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  std::lock_guard<std::mutex> lock(mu);
  EXPECT_EQ(calls, 3);
}

TEST_F(ManifestReloaderTest, MissingSignatureFileIsSkipped) {
  Publish("version = 1");
  auto reloader = ManifestReloader::Create(manifest_, {sig1_, sig2_},
                                           holder_.Callback(), FastPolling());
  ASSERT_THAT(reloader, IsOk());
  EXPECT_THAT(holder_.last_labels(), ElementsAre(sig1_));
  Write(sig2_, "second auditor");
  ASSERT_TRUE(WaitFor([&] { return holder_.calls() == 2; }, absl::Seconds(5)));
  EXPECT_THAT(holder_.last_labels(), ElementsAre(sig1_, sig2_));
}

// With list_signatures the files are listed at every check: a signature
// file that appears later (under a new name) is read.
TEST_F(ManifestReloaderTest, ListedSignatureFilesAddedLaterAreRead) {
  const std::string sig_dir = dir_ + "/signatures";
  std::filesystem::create_directories(sig_dir);
  Write(manifest_, "version = 1");
  Write(sig_dir + "/a.sig", "ok:version = 1");
  ManifestReloaderOptions options = FastPolling();
  options.list_signatures =
      [sig_dir]() -> absl::StatusOr<std::vector<std::string>> {
    std::vector<std::string> files;
    for (const auto& entry : std::filesystem::directory_iterator(sig_dir)) {
      files.push_back(entry.path().string());
    }
    std::sort(files.begin(), files.end());
    return files;
  };
  auto reloader =
      ManifestReloader::Create(manifest_, {}, holder_.Callback(), options);
  ASSERT_THAT(reloader, IsOk());
  EXPECT_THAT(holder_.last_labels(), ElementsAre(sig_dir + "/a.sig"));
  Write(sig_dir + "/b.sig", "second auditor");
  ASSERT_TRUE(WaitFor([&] { return holder_.calls() == 2; }, absl::Seconds(5)));
  EXPECT_THAT(holder_.last_labels(),
              ElementsAre(sig_dir + "/a.sig", sig_dir + "/b.sig"));
  // Fixed paths and a lister together are ambiguous.
  EXPECT_THAT(
      ManifestReloader::Create(manifest_, {sig1_}, holder_.Callback(), options),
      StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_F(ManifestReloaderTest, OversizedManifestIsAReadError) {
  Publish("version = 1");
  ManifestReloaderOptions options = FastPolling();
  options.max_manifest_len = 64;
  auto reloader =
      ManifestReloader::Create(manifest_, {sig1_}, holder_.Callback(), options);
  ASSERT_THAT(reloader, IsOk());
  Publish(std::string(65, '#'));
  ASSERT_TRUE(WaitFor([&] { return (*reloader)->GetStats().read_errors >= 1; },
                      absl::Seconds(5)));
  EXPECT_EQ(holder_.in_force(), "version = 1");
  EXPECT_EQ(holder_.calls(), 1);
}

TEST_F(ManifestReloaderTest, SighupForcesAReload) {
  Publish("version = 1");
  ManifestReloaderOptions options = FastPolling();
  options.poll_interval = absl::ZeroDuration();
  options.reload_on_sighup = true;
  auto reloader =
      ManifestReloader::Create(manifest_, {sig1_}, holder_.Callback(), options);
  ASSERT_THAT(reloader, IsOk());
  Publish("version = 2");
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_EQ(holder_.in_force(), "version = 1");  // No polling.
  ASSERT_EQ(::raise(SIGHUP), 0);
  ASSERT_TRUE(WaitFor([&] { return holder_.in_force() == "version = 2"; },
                      absl::Seconds(5)));
}

}  // namespace
}  // namespace mra::grpc
