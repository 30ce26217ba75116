// Copyright The mra Authors.

#include "mra/platform/config.h"

#include <filesystem>
#include <fstream>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include "mra/testing/paths.h"
#include "mra/testing/status_matchers.h"

namespace mra::platform {
namespace {

using ::mra::testing::IsOk;
using ::mra::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

absl::StatusOr<DeploymentConfig> Parse(std::string_view text) {
  return ParseDeploymentConfig(text, "test.toml", "/etc/mra");
}

// ExpectError checks the message names the file, line and the offending key.
void ExpectError(std::string_view text, std::string_view needle) {
  absl::StatusOr<DeploymentConfig> config = Parse(text);
  ASSERT_THAT(config, StatusIs(absl::StatusCode::kInvalidArgument)) << text;
  EXPECT_THAT(std::string(config.status().message()),
              HasSubstr(std::string(needle)))
      << text;
  EXPECT_THAT(std::string(config.status().message()), HasSubstr("test.toml"));
}

TEST(ConfigTest, DefaultsNeedNoFile) {
  DeploymentConfig c = DefaultDeploymentConfig();
  EXPECT_EQ(c.deployment, "demo");
  EXPECT_EQ(c.data_dir, "mra-data");
  EXPECT_EQ(c.Service("frontend").listen, "127.0.0.1:7700");
  EXPECT_EQ(c.Service("authentication").listen, "127.0.0.1:7701");
  EXPECT_EQ(c.Service("storage").listen, "127.0.0.1:7702");
  EXPECT_EQ(c.Service("storage").address, "127.0.0.1:7702");
  EXPECT_EQ(c.Service("storage").data_dir, "mra-data/storage");
  EXPECT_EQ(c.Service("storage").rollback_state,
            "mra-data/storage/manifest-state.json");
  EXPECT_EQ(c.manifest.path, "mra-data/enclave_info.toml");
  EXPECT_EQ(c.manifest.signature_dir, "mra-data/signatures");
  EXPECT_TRUE(c.manifest.require_version);
  EXPECT_EQ(c.attester.kind, "sim");
  EXPECT_EQ(c.attester.sim_dir, "mra-data/sim");
  EXPECT_THAT(c.policy.accepted_tcb_statuses, ElementsAre("UpToDate"));
  EXPECT_FALSE(c.policy.allow_debug);
  EXPECT_EQ(c.policy.cert_lifetime, absl::Hours(1));
  EXPECT_FALSE(c.policy.allow_simulation);
  EXPECT_EQ(c.policy.simulation_root, "mra-data/sim/root.pem");
  EXPECT_EQ(c.authentication.scrypt_log2_n, 15u);
  EXPECT_EQ(c.storage.max_value_bytes, 1024u * 1024u);
}

TEST(ConfigTest, EmptyFileGivesDefaultsRelativeToTheFile) {
  MRA_ASSERT_OK_AND_ASSIGN(DeploymentConfig c, Parse(""));
  EXPECT_EQ(c.data_dir, "/etc/mra/mra-data");
  EXPECT_EQ(c.Service("frontend").data_dir, "/etc/mra/mra-data/frontend");
  EXPECT_EQ(c.manifest.path, "/etc/mra/mra-data/enclave_info.toml");
}

TEST(ConfigTest, FullFile) {
  MRA_ASSERT_OK_AND_ASSIGN(DeploymentConfig c, Parse(R"(
deployment = "prod-eu"
data_dir = "/var/lib/mra"
log_level = "debug"

[manifest]
path = "manifest/enclave_info.toml"
signatures = ["a.sig", "/abs/b.sig"]
require_version = false
require_expires = false

[attester]
kind = "gramine"
sim_dir = "sim"

[collateral]
path = "collateral.json"

[policy]
accepted_tcb_statuses = ["UpToDate", "SWHardeningNeeded"]
allow_debug = true
cert_lifetime = "15m"
max_collateral_age = "240h"
max_evidence_age = "2h"
allow_simulation = true
simulation_root = "dev/root.pem"

[services.frontend]
listen = "0.0.0.0:443"
address = "frontend.internal:443"

[services.authentication]
listen = "[::1]:9001"
data_dir = "auth-state"
token_lifetime = "30m"
max_sessions = 10
scrypt_log2_n = 12

[services.storage]
listen = "unix:/run/mra/storage.sock"
rollback_state = "/var/lib/mra/storage.state"
max_key_bytes = 256
max_value_bytes = 4096
)"));
  EXPECT_EQ(c.deployment, "prod-eu");
  EXPECT_EQ(c.data_dir, "/var/lib/mra");
  EXPECT_EQ(c.log_level, "debug");
  EXPECT_EQ(c.manifest.path, "/etc/mra/manifest/enclave_info.toml");
  EXPECT_THAT(c.manifest.signatures,
              ElementsAre("/etc/mra/a.sig", "/abs/b.sig"));
  EXPECT_EQ(c.manifest.signature_dir, "/etc/mra/manifest/signatures");
  EXPECT_FALSE(c.manifest.require_version);
  EXPECT_FALSE(c.manifest.require_expires);
  EXPECT_EQ(c.attester.kind, "gramine");
  EXPECT_EQ(c.attester.sim_dir, "/etc/mra/sim");
  EXPECT_EQ(c.collateral.path, "/etc/mra/collateral.json");
  EXPECT_THAT(c.policy.accepted_tcb_statuses,
              ElementsAre("UpToDate", "SWHardeningNeeded"));
  EXPECT_TRUE(c.policy.allow_debug);
  EXPECT_EQ(c.policy.cert_lifetime, absl::Minutes(15));
  EXPECT_EQ(c.policy.max_collateral_age, absl::Hours(240));
  EXPECT_EQ(c.policy.max_evidence_age, absl::Hours(2));
  EXPECT_TRUE(c.policy.allow_simulation);
  EXPECT_EQ(c.policy.simulation_root, "/etc/mra/dev/root.pem");
  EXPECT_EQ(c.Service("frontend").listen, "0.0.0.0:443");
  EXPECT_EQ(c.Service("frontend").address, "frontend.internal:443");
  EXPECT_EQ(c.Service("frontend").data_dir, "/var/lib/mra/frontend");
  EXPECT_EQ(c.Service("authentication").address, "[::1]:9001");
  EXPECT_EQ(c.Service("authentication").data_dir, "/etc/mra/auth-state");
  EXPECT_EQ(c.Service("authentication").rollback_state,
            "/etc/mra/auth-state/manifest-state.json");
  EXPECT_EQ(c.authentication.token_lifetime, absl::Minutes(30));
  EXPECT_EQ(c.authentication.max_sessions, 10u);
  EXPECT_EQ(c.authentication.scrypt_log2_n, 12u);
  EXPECT_EQ(c.Service("storage").listen, "unix:/run/mra/storage.sock");
  EXPECT_EQ(c.Service("storage").rollback_state, "/var/lib/mra/storage.state");
  EXPECT_EQ(c.storage.max_key_bytes, 256u);
  EXPECT_EQ(c.storage.max_value_bytes, 4096u);
}

TEST(ConfigTest, FormatRoundTrips) {
  MRA_ASSERT_OK_AND_ASSIGN(DeploymentConfig c, Parse(R"(
deployment = "x"
[policy]
cert_lifetime = "1h30m"
max_evidence_age = "36h"
accepted_tcb_statuses = ["OutOfDate", "UpToDate"]
allow_simulation = true
[services.storage]
max_value_bytes = 77
[collateral]
path = "/c.json"
)"));
  std::string text = FormatDeploymentConfig(c);
  MRA_ASSERT_OK_AND_ASSIGN(DeploymentConfig back, Parse(text));
  EXPECT_EQ(FormatDeploymentConfig(back), text);
  EXPECT_EQ(back.policy.cert_lifetime, absl::Minutes(90));
  EXPECT_EQ(back.policy.max_evidence_age, absl::Hours(36));
  EXPECT_FALSE(back.policy.max_collateral_age.has_value());
  EXPECT_EQ(back.storage.max_value_bytes, 77u);
  EXPECT_EQ(back.collateral.path, "/c.json");
  EXPECT_TRUE(back.policy.allow_simulation);
  EXPECT_EQ(back.policy.simulation_root, c.policy.simulation_root);
  EXPECT_THAT(back.policy.accepted_tcb_statuses,
              ElementsAre("OutOfDate", "UpToDate"));
}

TEST(ConfigTest, DefaultsFormatAndParseBack) {
  std::string text = FormatDeploymentConfig(DefaultDeploymentConfig());
  MRA_ASSERT_OK_AND_ASSIGN(DeploymentConfig back,
                           ParseDeploymentConfig(text, "defaults", ""));
  EXPECT_EQ(FormatDeploymentConfig(back), text);
}

TEST(ConfigTest, UnknownKeysAreNamed) {
  ExpectError("deploymnet = \"x\"\n", "unknown key 'deploymnet' in the top");
  ExpectError("\n[manifest]\npaht = \"x\"\n",
              "test.toml:3: unknown key 'paht' in [manifest]");
  ExpectError("[services.frontend]\nlisten = \"a:1\"\nlistn = \"b:2\"\n",
              "unknown key 'listn' in [services.frontend]");
  ExpectError("[services.gateway]\nlisten = \"a:1\"\n",
              "unknown key 'gateway' in [services]");
  ExpectError("[policy]\nallow_debugging = true\n",
              "unknown key 'allow_debugging' in [policy]");
  ExpectError("[attester]\nkind = \"sim\"\nsimdir = \"x\"\n",
              "unknown key 'simdir' in [attester]");
  ExpectError("[collateral]\nurl = \"https://x\"\n",
              "unknown key 'url' in [collateral]");
  ExpectError("[logging]\nlevel = \"info\"\n", "unknown key 'logging'");
  // Service-specific keys only in their own service's table.
  ExpectError("[services.storage]\ntoken_lifetime = \"1h\"\n",
              "unknown key 'token_lifetime' in [services.storage]");
  ExpectError("[services.frontend]\nmax_value_bytes = 1\n",
              "unknown key 'max_value_bytes' in [services.frontend]");
}

TEST(ConfigTest, WrongTypesAndValues) {
  ExpectError("deployment = 7\n", "deployment: expected a string");
  ExpectError("deployment = \"a b\"\n", "deployment: expected 1..64");
  ExpectError("log_level = \"verbose\"\n", "log_level: expected one of");
  ExpectError("manifest = 3\n", "manifest: expected a table");
  ExpectError("[manifest]\nsignatures = \"a.sig\"\n",
              "manifest.signatures: expected an array of strings");
  ExpectError("[manifest]\nsignatures = [\"a.sig\", \"a.sig\"]\n",
              "listed twice");
  ExpectError("[manifest]\nrequire_version = \"yes\"\n",
              "manifest.require_version: expected true or false");
  ExpectError("[manifest]\npath = \"\"\n", "manifest.path: expected a path");
  ExpectError("[attester]\nkind = \"sgx\"\n",
              "attester.kind: expected one of sim, gramine, tsm");
  ExpectError("[policy]\naccepted_tcb_statuses = [\"Revoked\"]\n",
              "'Revoked' is not an acceptable TCB status");
  ExpectError("[policy]\naccepted_tcb_statuses = []\n",
              "must accept at least one status");
  ExpectError("[policy]\ncert_lifetime = 3600\n",
              "policy.cert_lifetime: expected a string");
  ExpectError("[policy]\ncert_lifetime = \"soon\"\n", "expected a duration");
  ExpectError("[policy]\ncert_lifetime = \"-1h\"\n", "must be positive");
  ExpectError("[policy]\ncert_lifetime = \"1000h\"\n", "at most 720h");
  ExpectError("[policy]\nmax_collateral_age = \"0s\"\n",
              "policy.max_collateral_age: must be positive");
  ExpectError("[policy]\nmax_evidence_age = \"forever\"\n",
              "policy.max_evidence_age: expected a duration");
  ExpectError("[policy]\ncert_lifetime = \"2h\"\nmax_evidence_age = \"2h\"\n",
              "policy.max_evidence_age: must be at least cert_lifetime + 5m "
              "(2h5m)");
  ExpectError("[services.frontend]\nlisten = \"localhost\"\n",
              "services.frontend.listen: 'localhost' is not host:port");
  ExpectError("[services.frontend]\nlisten = \"a:70000\"\n",
              "port must be 0..65535");
  ExpectError("[services.frontend]\nlisten = \"[::1:80\"\n",
              "unterminated IPv6");
  ExpectError("[services.authentication]\nscrypt_log2_n = 8\n",
              "services.authentication.scrypt_log2_n: must be 10..20");
  ExpectError("[services.storage]\nmax_value_bytes = 5000000\n",
              "must be 1..4000000");
  ExpectError("[services.storage]\nmax_key_bytes = \"1k\"\n",
              "expected an integer");
  ExpectError("services = [1]\n", "services: expected a table");
}

TEST(ConfigTest, InconsistentServices) {
  ExpectError(
      "[services.frontend]\nlisten = \"127.0.0.1:9\"\n"
      "[services.storage]\nlisten = \"127.0.0.1:9\"\n",
      "both listen on 127.0.0.1:9");
  ExpectError(
      "[services.frontend]\nrollback_state = \"/s.json\"\n"
      "[services.storage]\nrollback_state = \"/s.json\"\n",
      "share the rollback state file");
  // Port 0 (tests) may repeat.
  EXPECT_THAT(Parse("[services.frontend]\nlisten = \"127.0.0.1:0\"\n"
                    "[services.storage]\nlisten = \"127.0.0.1:0\"\n"),
              IsOk());
}

TEST(ConfigTest, SyntaxErrorsNameTheLine) {
  ExpectError("deployment = \"x\"\n[manifest\n", "test.toml:2:");
  ExpectError("a = 1\na = 2\n", "test.toml:2:");
  EXPECT_THAT(Parse(std::string("deployment = \"x\0\"", 17)),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(Parse(std::string(kMaxConfigLen + 1, '#')),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(ConfigTest, LoadResolvesRelativeToTheFile) {
  std::string dir = ::mra::testing::MakeTempDir();
  std::string path = dir + "/deploy.toml";
  std::ofstream(path) << "data_dir = \"state\"\n";
  MRA_ASSERT_OK_AND_ASSIGN(DeploymentConfig c, LoadDeploymentConfig(path));
  EXPECT_EQ(c.data_dir, dir + "/state");
  EXPECT_EQ(c.Service("storage").data_dir, dir + "/state/storage");
  EXPECT_THAT(LoadDeploymentConfig(dir + "/missing.toml"),
              StatusIs(absl::StatusCode::kNotFound));
}

TEST(ConfigTest, ExampleFileIsTheDefaults) {
  std::string path =
      ::mra::testing::SourceDir() + "/config/deployment.example.toml";
  MRA_ASSERT_OK_AND_ASSIGN(DeploymentConfig example,
                           LoadDeploymentConfig(path));
  // Same as no file at all, once both are anchored in the same directory.
  std::string dir = std::filesystem::path(path).parent_path().string();
  MRA_ASSERT_OK_AND_ASSIGN(DeploymentConfig defaults,
                           ParseDeploymentConfig("", "empty", dir));
  EXPECT_EQ(FormatDeploymentConfig(example), FormatDeploymentConfig(defaults));
}

TEST(ConfigTest, SignatureFilesFromDirectory) {
  std::string dir = ::mra::testing::MakeTempDir();
  ManifestConfig m;
  m.signature_dir = dir + "/sigs";
  MRA_ASSERT_OK_AND_ASSIGN(auto none, ResolveSignatureFiles(m));
  EXPECT_TRUE(none.empty());
  std::filesystem::create_directory(m.signature_dir);
  std::ofstream(m.signature_dir + "/b.sig") << "x";
  std::ofstream(m.signature_dir + "/a.sig") << "x";
  std::ofstream(m.signature_dir + "/notes.txt") << "x";
  std::filesystem::create_directory(m.signature_dir + "/dir.sig");
  MRA_ASSERT_OK_AND_ASSIGN(auto files, ResolveSignatureFiles(m));
  EXPECT_THAT(files, ElementsAre(m.signature_dir + "/a.sig",
                                 m.signature_dir + "/b.sig"));
  m.signatures = {"/explicit.sig"};
  MRA_ASSERT_OK_AND_ASSIGN(auto explicit_files, ResolveSignatureFiles(m));
  EXPECT_THAT(explicit_files, ElementsAre("/explicit.sig"));
}

}  // namespace
}  // namespace mra::platform
