// Copyright The mra Authors.
//
// The three services in one process on 127.0.0.1:0 over the ATTESTED
// transport, in simulation mode: a sim dir (mra/attest/sim_dir.h), one fake
// "executable" per service (distinct MRENCLAVEs) signed by one enclave
// signer, a manifest naming them signed by test auditors. Covers the user
// operations end to end, refusals at the TLS handshake (storage refusing
// callers other than the frontend, enclaves not in the manifest,
// certificate-less clients, a client refusing a server that is not the
// frontend), start-up refusals and manifest reload.

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "grpcpp/channel.h"
#include "grpcpp/client_context.h"
#include "grpcpp/create_channel.h"
#include "gtest/gtest.h"
#include "src/attested/testing/sim_env.h"
#include "src/platform/internal/attested_transport.h"

#include "mra/attest/sigstruct.h"
#include "mra/base/file.h"
#include "mra/base/hex.h"
#include "mra/base/status.h"
#include "mra/crypto/digest.h"
#include "mra/crypto/keys.h"
#include "mra/crypto/signature.h"
#include "mra/grpc/credentials.h"
#include "mra/manifest/rollback_state.h"
#include "mra/manifest/trust_anchors.h"
#include "mra/manifest/verifier.h"
#include "mra/platform/access_control.h"
#include "mra/platform/config.h"
#include "mra/platform/service_main.h"
#include "mra/platform/services.h"
#include "mra/platform/transport.h"
#include "mra/testing/paths.h"
#include "mra/testing/status_matchers.h"
#include "mra/v1/frontend.grpc.pb.h"
#include "mra/v1/storage.grpc.pb.h"
#include "mra/x509/peer_identity.h"

namespace mra::platform {
namespace {

using ::mra::testing::FailsWith;
using ::mra::testing::IsOk;
using ::mra::testing::StatusIs;
using ::testing::AnyOf;

const ServiceDefinition kStorage{&kStorageAcl, &MakeStorageService};
const ServiceDefinition kAuthentication{&kAuthenticationAcl,
                                        &MakeAuthenticationService};
const ServiceDefinition kFrontend{&kFrontendAcl, &MakeFrontendService};

// An attested "authentication" enclave that tries to call storage directly
// (its real ACL has no outbound entry; this one lets it dial).
constexpr std::string_view kToStorage[] = {"storage"};
constexpr ServiceAcl kAuthenticationCallingStorage{
    .self = "authentication", .inbound = {}, .outbound = kToStorage};
// The frontend's ACL, presented by an enclave the manifest does not list.
constexpr ServiceAcl kRogueFrontend{
    .self = "frontend", .inbound = {}, .outbound = kToStorage};

std::unique_ptr<::grpc::ClientContext> Context(int seconds = 20) {
  auto context = std::make_unique<::grpc::ClientContext>();
  context->set_deadline(std::chrono::system_clock::now() +
                        std::chrono::seconds(seconds));
  return context;
}

// A handshake refused by either side fails the call before any handler runs.
auto Refused() {
  return AnyOf(::grpc::StatusCode::UNAVAILABLE,
               ::grpc::StatusCode::UNAUTHENTICATED);
}

// AcceptAnyServer lets a certificate-less test client complete its side of
// the handshake whatever the server presents.
class AcceptAnyServer final : public x509::PeerVerifier {
 public:
  absl::StatusOr<x509::PeerIdentity> Verify(
      std::string_view /*leaf_pem*/) const override {
    x509::PeerIdentity peer;
    peer.service = "anyone";
    return peer;
  }
};

// ManifestVariant changes what AttestedPlatformTest::ManifestText lists.
struct ManifestVariant {
  // The rogue enclave is also accepted as "frontend"
  // (additional_mr_enclaves).
  bool rogue_as_frontend = false;
  // Services left out of the manifest.
  std::vector<std::string> omit = {};
  // Replaces storage's mr_enclave (hex) when not empty.
  std::string storage_mr_enclave = {};
};

struct Suite {
  explicit Suite(attested::testing::SimEnv sim) : env(std::move(sim)) {}
  attested::testing::SimEnv env;
  std::map<std::string, std::string> binaries;     // name -> path
  std::map<std::string, std::string> mr_enclaves;  // name -> hex
  std::vector<crypto::PrivateKey> auditor_keys;
  std::shared_ptr<const manifest::TrustAnchors> anchors;
};

class AttestedPlatformTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    MRA_ASSERT_OK_AND_ASSIGN(
        attested::testing::SimEnv env,
        attested::testing::MakeSimEnv(::mra::testing::MakeTempDir()));
    suite_ = new Suite(std::move(env));
    for (const char* name :
         {"frontend", "authentication", "storage", "rogue"}) {
      MRA_ASSERT_OK_AND_ASSIGN(
          std::string binary,
          attested::testing::MakeSignedBinary(
              suite_->env, std::string("mra-") + name,
              std::string("simulated enclave image of ") + name));
      MRA_ASSERT_OK_AND_ASSIGN(crypto::Sha256Digest m,
                               attest::MeasureFile(binary));
      suite_->binaries[name] = binary;
      suite_->mr_enclaves[name] = HexEncode(m);
    }
    std::vector<manifest::Auditor> auditors;
    for (const char* name : {"auditor-a", "auditor-b"}) {
      MRA_ASSERT_OK_AND_ASSIGN(
          crypto::PrivateKey key,
          crypto::PrivateKey::Generate(crypto::KeyType::kEcdsaP256));
      auditors.push_back({name, key.public_key()});
      suite_->auditor_keys.push_back(std::move(key));
    }
    MRA_ASSERT_OK_AND_ASSIGN(
        manifest::TrustAnchors anchors,
        manifest::TrustAnchors::Create(std::move(auditors), 2));
    suite_->anchors =
        std::make_shared<const manifest::TrustAnchors>(std::move(anchors));
  }

  static void TearDownTestSuite() {
    delete suite_;
    suite_ = nullptr;
  }

  void SetUp() override {
    ASSERT_NE(suite_, nullptr);
    dir_ = ::mra::testing::MakeTempDir();
    MRA_ASSERT_OK_AND_ASSIGN(
        config_, ParseDeploymentConfig(ConfigText(true), "test", dir_));
    std::filesystem::create_directories(config_.manifest.signature_dir);
    Publish(ManifestText(1), 2);
  }

  static std::string ConfigText(bool allow_simulation) {
    return "deployment = \"demo\"\n"
           "[attester]\nkind = \"sim\"\nsim_dir = \"" +
           suite_->env.sim_dir +
           "\"\n"
           "[policy]\nallow_simulation = " +
           (allow_simulation ? "true" : "false") +
           "\ncert_lifetime = \"10m\"\n"
           "[services.frontend]\nlisten = \"127.0.0.1:0\"\n"
           "[services.authentication]\nlisten = \"127.0.0.1:0\"\n"
           "scrypt_log2_n = 10\n"
           "[services.storage]\nlisten = \"127.0.0.1:0\"\n";
  }

  static std::string ManifestText(int version,
                                  const ManifestVariant& variant = {}) {
    std::string text = "version = " + std::to_string(version) +
                       "\nexpires = 2099-01-01T00:00:00Z\n"
                       "deployment = \"demo\"\n";
    for (const char* name : {"frontend", "authentication", "storage"}) {
      if (std::find(variant.omit.begin(), variant.omit.end(), name) !=
          variant.omit.end()) {
        continue;
      }
      std::string mr_enclave = suite_->mr_enclaves[name];
      if (std::string_view(name) == "storage" &&
          !variant.storage_mr_enclave.empty()) {
        mr_enclave = variant.storage_mr_enclave;
      }
      text += std::string("\n[") + name + "]\nmr_enclave = \"" + mr_enclave +
              "\"\nmr_signer = \"" + HexEncode(suite_->env.mr_signer) + "\"\n";
      if (std::string_view(name) == "frontend" && variant.rogue_as_frontend) {
        text += "additional_mr_enclaves = [\"" + suite_->mr_enclaves["rogue"] +
                "\"]\n";
      }
    }
    return text;
  }

  // Publish writes the manifest and signatures by the first `signers`
  // auditors.
  void Publish(const std::string& text, size_t signers) {
    PublishTo(config_, text, signers);
  }

  static void PublishTo(const DeploymentConfig& config, const std::string& text,
                        size_t signers) {
    ASSERT_THAT(WriteFileAtomic(config.manifest.path, text), IsOk());
    for (size_t i = 0; i < suite_->auditor_keys.size(); ++i) {
      std::string path = config.manifest.signature_dir + "/auditor" +
                         std::to_string(i) + ".sig";
      if (i >= signers) {
        std::filesystem::remove(path);
        continue;
      }
      MRA_ASSERT_OK_AND_ASSIGN(
          std::vector<uint8_t> sig,
          crypto::SignDetached(suite_->auditor_keys[i], crypto::AsBytes(text)));
      ASSERT_THAT(WriteFileAtomic(path, std::string(sig.begin(), sig.end())),
                  IsOk());
    }
  }

  internal::AttestedTransportOptions Options(const std::string& binary) const {
    return {.anchors = suite_->anchors,
            .sim_executable = suite_->binaries.at(binary),
            .manifest_poll_interval = absl::Milliseconds(100)};
  }

  // Attested runs start-up steps 1-3 for `acl` presenting `binary`'s
  // identity and returns the transport.
  absl::StatusOr<std::unique_ptr<Transport>> Attested(
      const ServiceAcl& acl, const std::string& binary,
      const DeploymentConfig* config = nullptr) {
    const DeploymentConfig& c = config != nullptr ? *config : config_;
    MRA_ASSIGN_OR_RETURN(
        std::unique_ptr<TransportBuilder> builder,
        internal::MakeAttestedTransportBuilder(c, acl, Options(binary)));
    MRA_RETURN_IF_ERROR(builder->AttestSelf());
    MRA_ASSIGN_OR_RETURN(
        manifest::VerifiedManifest verified,
        LoadAndVerifyManifest(c, acl, *suite_->anchors, Clock::Real()));
    return builder->Build(std::make_shared<const manifest::VerifiedManifest>(
        std::move(verified)));
  }

  void StartPlatform() {
    MRA_ASSERT_OK_AND_ASSIGN(storage_transport_,
                             Attested(kStorageAcl, "storage"));
    MRA_ASSERT_OK_AND_ASSIGN(auth_transport_,
                             Attested(kAuthenticationAcl, "authentication"));
    MRA_ASSERT_OK_AND_ASSIGN(frontend_transport_,
                             Attested(kFrontendAcl, "frontend"));
    MRA_ASSERT_OK_AND_ASSIGN(
        storage_,
        StartService(kStorage, {config_, kStorageAcl, *storage_transport_},
                     "127.0.0.1:0"));
    config_.MutableService("storage").address =
        "127.0.0.1:" + std::to_string(storage_->port());
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
    config_.MutableService("frontend").address =
        "127.0.0.1:" + std::to_string(frontend_->port());
    MRA_ASSERT_OK_AND_ASSIGN(client_factory_,
                             internal::MakeAttestedClientChannelFactory(
                                 config_, {.anchors = suite_->anchors}));
    MRA_ASSERT_OK_AND_ASSIGN(
        auto channel,
        client_factory_->Dial("frontend", config_.Service("frontend").address));
    client_ = v1::Frontend::NewStub(channel);
  }

  // RogueFrontend builds a transport for the rogue enclave acting as
  // "frontend" from the attacker's own copy of the files: a manifest (signed
  // by both auditors, version 99) that lists the rogue as an additional
  // frontend enclave, and its own rollback state. The rogue's side of a
  // handshake therefore accepts storage: whether a call gets through is
  // decided by storage's manifest in force alone.
  absl::StatusOr<std::unique_ptr<Transport>> RogueFrontend() {
    rogue_config_ = std::make_unique<DeploymentConfig>(config_);
    std::string rogue_dir = dir_ + "/rogue";
    rogue_config_->manifest.path = rogue_dir + "/enclave_info.toml";
    rogue_config_->manifest.signature_dir = rogue_dir + "/signatures";
    rogue_config_->manifest.signatures.clear();
    rogue_config_->MutableService("frontend").rollback_state =
        rogue_dir + "/state/frontend.json";
    std::filesystem::create_directories(rogue_config_->manifest.signature_dir);
    PublishTo(*rogue_config_, ManifestText(99, {.rogue_as_frontend = true}), 2);
    return Attested(kRogueFrontend, "rogue", rogue_config_.get());
  }

  // WaitForState waits until `service`'s rollback state records `version`.
  bool WaitForState(const std::string& service, uint64_t version) {
    manifest::RollbackStateFile state(config_.Service(service).rollback_state);
    for (int i = 0; i < 100; ++i) {
      absl::StatusOr<std::optional<manifest::RollbackRecord>> record =
          state.Load();
      if (record.ok() && record->has_value() &&
          (*record)->highest_version == version) {
        return true;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
  }

  // StateOf returns `service`'s rollback record (nullopt: no file).
  std::optional<manifest::RollbackRecord> StateOf(const std::string& service) {
    manifest::RollbackStateFile state(config_.Service(service).rollback_state);
    absl::StatusOr<std::optional<manifest::RollbackRecord>> record =
        state.Load();
    EXPECT_THAT(record.status(), IsOk());
    return record.ok() ? *record : std::nullopt;
  }

  // SeveralPolls lets every reloader (100 ms poll) look at the files.
  static void SeveralPolls() {
    std::this_thread::sleep_for(std::chrono::milliseconds(800));
  }

  ::grpc::Status StoragePut(Transport& caller, const std::string& owner) {
    absl::StatusOr<std::shared_ptr<::grpc::Channel>> channel =
        caller.Dial("storage", config_.Service("storage").address);
    if (!channel.ok()) {
      return ::grpc::Status(::grpc::StatusCode::INTERNAL,
                            std::string(channel.status().message()));
    }
    v1::StoragePutRequest req;
    req.set_owner(owner);
    req.set_key("k");
    req.set_value("planted");
    v1::StoragePutResponse resp;
    return v1::Storage::NewStub(*channel)->Put(Context(10).get(), req, &resp);
  }

  static Suite* suite_;
  std::string dir_;
  DeploymentConfig config_;
  std::unique_ptr<Transport> storage_transport_;
  std::unique_ptr<Transport> auth_transport_;
  std::unique_ptr<Transport> frontend_transport_;
  std::vector<std::unique_ptr<Transport>> callers_;
  std::unique_ptr<DeploymentConfig> rogue_config_;
  std::unique_ptr<Transport> rogue_;
  std::unique_ptr<ChannelFactory> client_factory_;
  // Declared after the transports and config they use: destroyed first.
  std::unique_ptr<RunningService> storage_;
  std::unique_ptr<RunningService> auth_;
  std::unique_ptr<RunningService> frontend_;
  std::unique_ptr<v1::Frontend::Stub> client_;
};

Suite* AttestedPlatformTest::suite_ = nullptr;

TEST_F(AttestedPlatformTest, RegisterLoginPutGet) {
  ASSERT_NO_FATAL_FAILURE(StartPlatform());
  EXPECT_THAT(std::string(frontend_transport_->Describe()),
              ::testing::HasSubstr("attested-tls (sim"));

  v1::RegisterRequest reg;
  reg.set_username("alice");
  reg.set_password("correct horse");
  v1::RegisterResponse reg_resp;
  auto reg_context = Context();
  ::grpc::Status s = client_->Register(reg_context.get(), reg, &reg_resp);
  ASSERT_TRUE(s.ok()) << s.error_message();
  // The client attested the frontend (one-way).
  MRA_ASSERT_OK_AND_ASSIGN(x509::PeerIdentity server,
                           grpc::PeerFromContext(*reg_context));
  EXPECT_EQ(server.service, "frontend");
  EXPECT_EQ(HexEncode(server.mr_enclave), suite_->mr_enclaves["frontend"]);
  EXPECT_TRUE(server.simulation);
  EXPECT_EQ(server.manifest_version, 1u);

  v1::LoginRequest login;
  login.set_username("alice");
  login.set_password("correct horse");
  v1::LoginResponse login_resp;
  s = client_->Login(Context().get(), login, &login_resp);
  ASSERT_TRUE(s.ok()) << s.error_message();
  ASSERT_EQ(login_resp.token().size(), 64u);

  v1::PutRequest put;
  put.set_token(login_resp.token());
  put.set_key("greeting");
  put.set_value("hello, attested world");
  v1::PutResponse put_resp;
  s = client_->Put(Context().get(), put, &put_resp);
  ASSERT_TRUE(s.ok()) << s.error_message();

  v1::GetRequest get;
  get.set_token(login_resp.token());
  get.set_key("greeting");
  v1::GetResponse get_resp;
  s = client_->Get(Context().get(), get, &get_resp);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(get_resp.value(), "hello, attested world");
}

TEST_F(AttestedPlatformTest, StorageRefusesEveryCallerButTheFrontend) {
  ASSERT_NO_FATAL_FAILURE(StartPlatform());
  // mra-client's factory reaches the frontend only.
  EXPECT_THAT(
      client_factory_->Dial("storage", config_.Service("storage").address),
      StatusIs(absl::StatusCode::kPermissionDenied));
  // The real authentication transport may not dial storage at all.
  EXPECT_EQ(auth_transport_->ChannelCredentials("storage"), nullptr);

  // An attested authentication enclave whose (rogue) ACL lets it dial:
  // storage's verifier refuses it in the handshake (PEER_NOT_ALLOWED).
  MRA_ASSERT_OK_AND_ASSIGN(
      std::unique_ptr<Transport> auth_caller,
      Attested(kAuthenticationCallingStorage, "authentication"));
  EXPECT_THAT(StoragePut(*auth_caller, "alice").error_code(), Refused());

  // A certificate-less TLS client: storage requires a client certificate.
  MRA_ASSERT_OK_AND_ASSIGN(auto anonymous,
                           grpc::MakeChannelCredentials(
                               nullptr, std::make_shared<AcceptAnyServer>()));
  v1::StoragePutRequest req;
  req.set_owner("alice");
  req.set_key("k");
  req.set_value("planted");
  v1::StoragePutResponse resp;
  EXPECT_THAT(
      v1::Storage::NewStub(
          ::grpc::CreateChannel(config_.Service("storage").address, anonymous))
          ->Put(Context(10).get(), req, &resp)
          .error_code(),
      Refused());

  // A plaintext client does not get through either.
  EXPECT_THAT(v1::Storage::NewStub(
                  ::grpc::CreateChannel(config_.Service("storage").address,
                                        ::grpc::InsecureChannelCredentials()))
                  ->Put(Context(10).get(), req, &resp)
                  .error_code(),
              Refused());

  // The frontend's own identity may call storage directly; nothing was
  // planted by the refused callers.
  MRA_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Transport> frontend_caller,
                           Attested(kFrontendAcl, "frontend"));
  MRA_ASSERT_OK_AND_ASSIGN(
      auto channel,
      frontend_caller->Dial("storage", config_.Service("storage").address));
  v1::StorageGetRequest get;
  get.set_owner("alice");
  get.set_key("k");
  v1::StorageGetResponse got;
  EXPECT_EQ(v1::Storage::NewStub(channel)
                ->Get(Context().get(), get, &got)
                .error_code(),
            ::grpc::StatusCode::NOT_FOUND);
}

TEST_F(AttestedPlatformTest, EnclaveNotInTheManifestIsRefused) {
  ASSERT_NO_FATAL_FAILURE(StartPlatform());
  // The rogue enclave cannot even build a transport as "frontend": its
  // identity is not the manifest's entry (every peer would refuse it).
  absl::StatusOr<std::unique_ptr<Transport>> rogue =
      Attested(kRogueFrontend, "rogue");
  EXPECT_THAT(rogue, FailsWith(VerifyFailure::kMeasurementNotInManifest));
}

TEST_F(AttestedPlatformTest, ClientRefusesAServerThatIsNotTheFrontend) {
  ASSERT_NO_FATAL_FAILURE(StartPlatform());
  // mra-client pointed at storage's port: storage is attested, but it is not
  // the frontend (UNEXPECTED_PEER), so the client refuses the handshake.
  MRA_ASSERT_OK_AND_ASSIGN(
      auto channel,
      client_factory_->Dial("frontend", config_.Service("storage").address));
  v1::RegisterRequest reg;
  reg.set_username("bob");
  reg.set_password("correct horse");
  v1::RegisterResponse resp;
  EXPECT_THAT(v1::Frontend::NewStub(channel)
                  ->Register(Context(10).get(), reg, &resp)
                  .error_code(),
              Refused());
}

TEST_F(AttestedPlatformTest, SimulationRefusedUnlessTheConfigAllowsIt) {
  MRA_ASSERT_OK_AND_ASSIGN(
      DeploymentConfig strict,
      ParseDeploymentConfig(ConfigText(false), "strict", dir_));
  MRA_ASSERT_OK_AND_ASSIGN(std::unique_ptr<TransportBuilder> builder,
                           internal::MakeAttestedTransportBuilder(
                               strict, kStorageAcl, Options("storage")));
  // Without allow_simulation the development root is not even loaded.
  absl::Status s = builder->AttestSelf();
  EXPECT_THAT(s, FailsWith(VerifyFailure::kRootCaUntrusted));
  EXPECT_THAT(std::string(s.message()),
              ::testing::HasSubstr("allow_simulation = true"));
  EXPECT_THAT(builder->Build(nullptr),
              StatusIs(absl::StatusCode::kFailedPrecondition));
}

// [policy] max_collateral_age reaches the appraisal policy: the sim
// collateral was issued a day before `mra sim init`, so a service's check of
// its own evidence refuses it under 1h and accepts it under 48h.
TEST_F(AttestedPlatformTest, MaxCollateralAgeFromTheConfigIsEnforced) {
  for (const std::string age : {"1h", "48h"}) {
    SCOPED_TRACE(age);
    std::string text = ConfigText(true);
    text.insert(text.find("cert_lifetime"),
                "max_collateral_age = \"" + age + "\"\n");
    MRA_ASSERT_OK_AND_ASSIGN(DeploymentConfig aged,
                             ParseDeploymentConfig(text, "aged", dir_));
    MRA_ASSERT_OK_AND_ASSIGN(std::unique_ptr<TransportBuilder> builder,
                             internal::MakeAttestedTransportBuilder(
                                 aged, kStorageAcl, Options("storage")));
    if (age == "1h") {
      EXPECT_THAT(builder->AttestSelf(),
                  FailsWith(VerifyFailure::kCollateralTooOld));
    } else {
      EXPECT_THAT(builder->AttestSelf(), IsOk());
    }
  }
}

TEST_F(AttestedPlatformTest, ClientRefusesAnUnsignedManifest) {
  Publish(ManifestText(1), 1);  // One of the two required auditors.
  EXPECT_THAT(internal::MakeAttestedClientChannelFactory(
                  config_, {.anchors = suite_->anchors}),
              FailsWith(VerifyFailure::kThresholdNotMet));
}

TEST_F(AttestedPlatformTest, ManifestReloadVerifiesBeforeSwapping) {
  ASSERT_NO_FATAL_FAILURE(StartPlatform());
  manifest::RollbackStateFile state(config_.Service("storage").rollback_state);
  auto wait_for_version = [&](uint64_t want) {
    for (int i = 0; i < 100; ++i) {
      absl::StatusOr<std::optional<manifest::RollbackRecord>> record =
          state.Load();
      if (record.ok() && record->has_value() &&
          (*record)->highest_version == want) {
        return true;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
  };
  ASSERT_TRUE(wait_for_version(1));
  // Version 2 signed by both auditors: accepted and recorded.
  Publish(ManifestText(2), 2);
  EXPECT_TRUE(wait_for_version(2));
  // Version 3 signed by one: refused, version 2 stays in force.
  Publish(ManifestText(3), 1);
  EXPECT_FALSE(wait_for_version(3));
  // The platform keeps working.
  v1::RegisterRequest reg;
  reg.set_username("carol");
  reg.set_password("correct horse");
  v1::RegisterResponse resp;
  ::grpc::Status s = client_->Register(Context().get(), reg, &resp);
  EXPECT_TRUE(s.ok()) << s.error_message();
}

// The host deletes storage's rollback state (or writes a valid record of an
// older version) and drops in an older, validly signed manifest that still
// admitted an enclave the newer one revoked. The production reload path must
// refuse it: the manifest in force is a rollback floor too.
TEST_F(AttestedPlatformTest, ReloadNeverRollsBackBelowTheManifestInForce) {
  // v1 admitted the rogue as a frontend enclave; v2 revoked it.
  const std::string v1 = ManifestText(1, {.rogue_as_frontend = true});
  Publish(ManifestText(2), 2);
  ASSERT_NO_FATAL_FAILURE(StartPlatform());
  ASSERT_TRUE(WaitForState("storage", 2));
  MRA_ASSERT_OK_AND_ASSIGN(rogue_, RogueFrontend());
  EXPECT_THAT(StoragePut(*rogue_, "alice").error_code(), Refused());

  // 1. The state file is deleted, v1 dropped in.
  std::filesystem::remove(config_.Service("storage").rollback_state);
  Publish(v1, 2);
  SeveralPolls();
  EXPECT_THAT(StoragePut(*rogue_, "alice").error_code(), Refused());
  EXPECT_FALSE(StateOf("storage").has_value());  // Nothing was accepted.

  // 2. The state file says v1 (a valid record of it), v1 in place.
  manifest::RollbackStateFile state(config_.Service("storage").rollback_state);
  ASSERT_THAT(state.Store({.highest_version = 1,
                           .manifest_sha256 =
                               HexEncode(crypto::Sha256(crypto::AsBytes(v1))),
                           .deployment = "demo"}),
              IsOk());
  Publish(v1, 2);  // Touch the files again: a new check.
  SeveralPolls();
  EXPECT_THAT(StoragePut(*rogue_, "alice").error_code(), Refused());

  // 3. The same version as the one in force with other content.
  Publish(ManifestText(2, {.rogue_as_frontend = true}), 2);
  SeveralPolls();
  EXPECT_THAT(StoragePut(*rogue_, "alice").error_code(), Refused());

  // A newer manifest is still accepted, and the platform works.
  Publish(ManifestText(3), 2);
  EXPECT_TRUE(WaitForState("storage", 3));
  v1::RegisterRequest reg;
  reg.set_username("dave");
  reg.set_password("correct horse");
  v1::RegisterResponse resp;
  ::grpc::Status s = client_->Register(Context().get(), reg, &resp);
  EXPECT_TRUE(s.ok()) << s.error_message();
}

// A reloaded manifest the service refuses leaves its rollback floor and its
// manifest in force: first one that lacks a service the frontend calls, then
// one whose entry for storage no longer lists storage's own measurement (the
// self-listed check Build runs) and that admits the rogue as a frontend.
TEST_F(AttestedPlatformTest, RefusedReloadLeavesTheFloorAndTheManifestInForce) {
  ASSERT_NO_FATAL_FAILURE(StartPlatform());
  ASSERT_TRUE(WaitForState("frontend", 1));
  MRA_ASSERT_OK_AND_ASSIGN(rogue_, RogueFrontend());
  EXPECT_THAT(StoragePut(*rogue_, "alice").error_code(), Refused());

  Publish(ManifestText(2, {.omit = {"authentication"}}), 2);
  ASSERT_TRUE(WaitForState("storage", 2));  // Storage does not need it.
  SeveralPolls();
  std::optional<manifest::RollbackRecord> frontend = StateOf("frontend");
  ASSERT_TRUE(frontend.has_value());
  EXPECT_EQ(frontend->highest_version, 1u);

  Publish(ManifestText(3, {.rogue_as_frontend = true,
                           .storage_mr_enclave = std::string(64, 'e')}),
          2);
  ASSERT_TRUE(WaitForState("frontend", 3));
  SeveralPolls();
  std::optional<manifest::RollbackRecord> storage = StateOf("storage");
  ASSERT_TRUE(storage.has_value());
  EXPECT_EQ(storage->highest_version, 2u);
  EXPECT_THAT(StoragePut(*rogue_, "alice").error_code(), Refused());
}

// A reload refused for a reason outside the manifest files (here the
// rollback state cannot be read) is retried at the next poll once that is
// repaired, although the manifest files did not change again.
TEST_F(AttestedPlatformTest, RefusedReloadIsRetriedOnceTheCauseIsRepaired) {
  ASSERT_NO_FATAL_FAILURE(StartPlatform());
  ASSERT_TRUE(WaitForState("storage", 1));
  const std::string state_path = config_.Service("storage").rollback_state;
  MRA_ASSERT_OK_AND_ASSIGN(std::string saved,
                           ReadFileBounded(state_path, 64 * 1024));
  std::filesystem::remove(state_path);
  std::filesystem::create_directory(state_path);  // Unreadable as a file.
  Publish(ManifestText(2), 2);
  SeveralPolls();
  ASSERT_TRUE(std::filesystem::is_directory(state_path));  // Refused.
  std::filesystem::remove(state_path);
  ASSERT_THAT(WriteFileAtomic(state_path, saved), IsOk());
  EXPECT_TRUE(WaitForState("storage", 2));
}

// Signatures read from signature_dir: a signature file that appears after
// the service started (another name than the ones there at start) counts.
TEST_F(AttestedPlatformTest, ReloadReadsSignatureFilesAddedLater) {
  ASSERT_NO_FATAL_FAILURE(StartPlatform());
  ASSERT_TRUE(WaitForState("storage", 1));
  const std::string v2 = ManifestText(2);
  ASSERT_THAT(WriteFileAtomic(config_.manifest.path, v2), IsOk());
  for (size_t i = 0; i < suite_->auditor_keys.size(); ++i) {
    std::filesystem::remove(config_.manifest.signature_dir + "/auditor" +
                            std::to_string(i) + ".sig");
    MRA_ASSERT_OK_AND_ASSIGN(
        std::vector<uint8_t> sig,
        crypto::SignDetached(suite_->auditor_keys[i], crypto::AsBytes(v2)));
    ASSERT_THAT(WriteFileAtomic(config_.manifest.signature_dir + "/v2-auditor" +
                                    std::to_string(i) + ".sig",
                                std::string(sig.begin(), sig.end())),
                IsOk());
  }
  EXPECT_TRUE(WaitForState("storage", 2));
}

}  // namespace
}  // namespace mra::platform
