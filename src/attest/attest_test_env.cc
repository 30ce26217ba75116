#include "src/attest/attest_test_env.h"

#include <fstream>

#include "gtest/gtest.h"

#include "mra/attest/sim_dir.h"
#include "mra/base/file.h"
#include "mra/testing/paths.h"

namespace mra::attest::testing {

const crypto::PrivateKey& SignerKey() {
  static const crypto::PrivateKey* key = [] {
    absl::StatusOr<crypto::PrivateKey> k = GenerateEnclaveSignerKey();
    if (!k.ok()) {
      ADD_FAILURE() << k.status();
      std::abort();
    }
    return new crypto::PrivateKey(*std::move(k));
  }();
  return *key;
}

const std::string& SharedSimDir() {
  static const std::string* dir = [] {
    auto* d = new std::string(mra::testing::MakeTempDir() + "/sim");
    absl::StatusOr<SimDirInfo> info = InitSimDir(*d);
    if (!info.ok()) {
      ADD_FAILURE() << info.status();
      std::abort();
    }
    return d;
  }();
  return *dir;
}

void WriteFile(const std::string& path, std::string_view content) {
  absl::Status s = WriteFileAtomic(path, content, 0755);
  ASSERT_TRUE(s.ok()) << s;
}

std::string MakeSignedBinary(const std::string& dir, std::string_view name,
                             std::string_view content,
                             const EnclaveSignOptions& opts) {
  std::string binary = dir + "/" + std::string(name);
  WriteFile(binary, content);
  absl::StatusOr<std::string> sidecar =
      SignSigstruct(binary, SignerKey(), opts);
  EXPECT_TRUE(sidecar.ok()) << sidecar.status();
  if (sidecar.ok()) {
    WriteFile(SigstructPathFor(binary), *sidecar);
  }
  return binary;
}

}  // namespace mra::attest::testing
