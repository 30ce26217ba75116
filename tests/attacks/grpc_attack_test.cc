// Attacks through the real mutually attested gRPC path: a storage service
// (the TestEcho service standing in for it) listens on 127.0.0.1:0 with
// credentials from mra/grpc, its peers are judged by AttestedPeerVerifier
// over the world's auditor-verified manifest, the platform's access-control
// lists and a DCAP appraiser of simulated SGX quotes; attackers connect with
// certificates made by the real attester (or forged from its parts).
//
// Each test asserts that the call fails, that the handler never ran, and the
// verdict the defending side's verifier returned (recorded by a wrapper
// around it; the same verdict is logged on "mra.grpc").

#include <atomic>
#include <chrono>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "grpcpp/security/tls_certificate_provider.h"
#include "gtest/gtest.h"
#include "src/x509/internal/cert_builder.h"
#include "src/x509/internal/evidence_codec.h"
#include "tests/attacks/attack_world.h"

#include "mra/attest/sim_dir.h"
#include "mra/base/file.h"
#include "mra/base/verify_failure.h"
#include "mra/crypto/digest.h"
#include "mra/grpc/credentials.h"
#include "mra/grpc/identity.h"
#include "mra/grpc/manifest_reloader.h"
#include "mra/manifest/trust_anchors.h"
#include "mra/testing/paths.h"
#include "mra/testing/status_matchers.h"
#include "mra/v1/test_echo.grpc.pb.h"
#include "mra/x509/parsed_cert.h"
#include "mra/x509/peer_verifier.h"

namespace mra::attacks {
namespace {

using ::mra::testing::FailsWith;
using ::mra::testing::IsOk;
using ::testing::AnyOf;
using ::testing::Each;
using ::testing::Eq;
using ::testing::IsEmpty;
using ::testing::Not;

// --- Plumbing ----------------------------------------------------------------

// RecordingVerifier passes every verification to `inner` and remembers the
// outcome, so a test can assert the defending side's verdict.
class RecordingVerifier final : public x509::PeerVerifier {
 public:
  explicit RecordingVerifier(std::shared_ptr<const x509::PeerVerifier> inner)
      : inner_(std::move(inner)) {}

  absl::StatusOr<x509::PeerIdentity> Verify(
      std::string_view leaf_pem) const override {
    absl::StatusOr<x509::PeerIdentity> r = inner_->Verify(leaf_pem);
    std::lock_guard<std::mutex> lock(mu_);
    if (r.ok()) {
      accepted_.push_back(r->service);
    } else {
      std::optional<VerifyFailure> f = GetVerifyFailure(r.status());
      refusals_.push_back(f.has_value() ? std::string(VerifyFailureName(*f))
                                        : r.status().ToString());
    }
    return r;
  }
  std::vector<std::string> refusals() const {
    std::lock_guard<std::mutex> lock(mu_);
    return refusals_;
  }
  std::vector<std::string> accepted() const {
    std::lock_guard<std::mutex> lock(mu_);
    return accepted_;
  }

 private:
  std::shared_ptr<const x509::PeerVerifier> inner_;
  mutable std::mutex mu_;
  mutable std::vector<std::string> refusals_;
  mutable std::vector<std::string> accepted_;
};

// AcceptAnyVerifier is what an attacker's client runs: it talks to anyone.
class AcceptAnyVerifier final : public x509::PeerVerifier {
 public:
  absl::StatusOr<x509::PeerIdentity> Verify(
      std::string_view /*leaf_pem*/) const override {
    x509::PeerIdentity id;
    id.service = "whoever";
    return id;
  }
};

class EchoService final : public mra::v1::TestEcho::Service {
 public:
  ::grpc::Status Echo(::grpc::ServerContext* context,
                      const mra::v1::EchoRequest* request,
                      mra::v1::EchoReply* reply) override {
    ++calls_;
    absl::StatusOr<x509::PeerIdentity> peer = grpc::PeerFromContext(*context);
    if (!peer.ok()) {
      return ::grpc::Status(::grpc::StatusCode::UNAUTHENTICATED,
                            std::string(peer.status().message()));
    }
    reply->set_peer_service(peer->service);
    reply->set_message(request->message());
    return ::grpc::Status::OK;
  }
  int calls() const { return calls_.load(); }

 private:
  std::atomic<int> calls_{0};
};

// MismatchedIdentity presents a certificate with a private key that is not
// its own (a certificate copied off the wire, without its key).
class MismatchedIdentity final : public grpc::IdentitySource {
 public:
  MismatchedIdentity(std::string cert_pem, std::string key_pem)
      : cert_pem_(std::move(cert_pem)),
        provider_(std::make_shared<
                  ::grpc::experimental::StaticDataCertificateProvider>(
            std::vector<::grpc::experimental::IdentityKeyCertPair>{
                {std::move(key_pem), cert_pem_}})) {}
  std::shared_ptr<::grpc::experimental::CertificateProviderInterface>
  CertificateProvider() const override {
    return provider_;
  }
  std::string CurrentCertificatePem() const override { return cert_pem_; }
  uint64_t Generation() const override { return 1; }

 private:
  std::string cert_pem_;
  std::shared_ptr<::grpc::experimental::CertificateProviderInterface> provider_;
};

struct Server {
  EchoService service;
  std::unique_ptr<grpc::StaticIdentity> identity;
  std::shared_ptr<RecordingVerifier> verifier;
  std::unique_ptr<::grpc::Server> server;
  int port = 0;

  ~Server() {
    if (server != nullptr) {
      server->Shutdown(std::chrono::system_clock::now() +
                       std::chrono::seconds(2));
    }
  }
};

absl::StatusOr<std::unique_ptr<grpc::StaticIdentity>> IdentityOf(
    const x509::AttestedCredentials& creds) {
  absl::StatusOr<SecretBytes> key = creds.key.ToPkcs8Pem();
  if (!key.ok()) {
    return key.status();
  }
  return grpc::StaticIdentity::Create(
      grpc::IdentityPair{creds.cert_pem, *std::move(key)});
}

struct CallResult {
  ::grpc::Status status;
  std::string server_saw;  // The client service the handler saw.
};

CallResult Call(int port, grpc::IdentitySource* identity,
                std::shared_ptr<const x509::PeerVerifier> verifier) {
  CallResult result;
  absl::StatusOr<std::shared_ptr<::grpc::ChannelCredentials>> creds =
      grpc::MakeChannelCredentials(identity, std::move(verifier));
  if (!creds.ok()) {
    result.status = ::grpc::Status(::grpc::StatusCode::INTERNAL,
                                   std::string(creds.status().message()));
    return result;
  }
  ::grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  auto channel = ::grpc::CreateCustomChannel(
      "127.0.0.1:" + std::to_string(port), *creds, args);
  auto stub = mra::v1::TestEcho::NewStub(channel);
  ::grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::seconds(10));
  mra::v1::EchoRequest request;
  request.set_message("attack");
  mra::v1::EchoReply reply;
  result.status = stub->Echo(&context, request, &reply);
  result.server_saw = reply.peer_service();
  return result;
}

// --- Fixture
// -------------------------------------------------------------------

class Attack : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<const AttackWorld*> world = AttackWorld::Get();
    ASSERT_THAT(world, IsOk());
    world_ = *world;
    holder_ = world_->NewManifestHolder();
    absl::StatusOr<std::shared_ptr<const x509::EvidenceAppraiser>> dev =
        world_->DevAppraiser();
    ASSERT_THAT(dev, IsOk());
    dev_appraiser_ = *dev;
  }

  // StartStorage runs the storage service with `appraiser` (default: the
  // development appraiser) judging its clients.
  std::unique_ptr<Server> StartService(
      const Enclave& enclave, const x509::AccessPolicy& policy,
      std::shared_ptr<const x509::EvidenceAppraiser> appraiser = nullptr) {
    auto s = std::make_unique<Server>();
    absl::StatusOr<x509::AttestedCredentials> creds =
        world_->Credentials(enclave);
    EXPECT_THAT(creds, IsOk());
    if (!creds.ok()) {
      return nullptr;
    }
    absl::StatusOr<std::unique_ptr<grpc::StaticIdentity>> identity =
        IdentityOf(*creds);
    EXPECT_THAT(identity, IsOk());
    if (!identity.ok()) {
      return nullptr;
    }
    s->identity = *std::move(identity);
    absl::StatusOr<std::unique_ptr<x509::AttestedPeerVerifier>> verifier =
        x509::AttestedPeerVerifier::ForServer(
            policy, holder_, appraiser != nullptr ? appraiser : dev_appraiser_);
    EXPECT_THAT(verifier, IsOk());
    if (!verifier.ok()) {
      return nullptr;
    }
    s->verifier = std::make_shared<RecordingVerifier>(*std::move(verifier));
    absl::StatusOr<std::shared_ptr<::grpc::ServerCredentials>> server_creds =
        grpc::MakeServerCredentials(*s->identity, s->verifier);
    EXPECT_THAT(server_creds, IsOk());
    if (!server_creds.ok()) {
      return nullptr;
    }
    ::grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", *server_creds, &s->port);
    builder.RegisterService(&s->service);
    s->server = builder.BuildAndStart();
    EXPECT_NE(s->server, nullptr);
    return s;
  }

  std::unique_ptr<Server> StartStorage(
      std::shared_ptr<const x509::EvidenceAppraiser> appraiser = nullptr) {
    return StartService(world_->storage, kStoragePolicy, std::move(appraiser));
  }

  // FrontendVerifier is the real frontend's client-side verifier for
  // `target` (records its verdicts).
  std::shared_ptr<RecordingVerifier> FrontendVerifier(std::string_view target) {
    absl::StatusOr<std::unique_ptr<x509::AttestedPeerVerifier>> v =
        x509::AttestedPeerVerifier::ForClient(target, kFrontendPolicy, holder_,
                                              dev_appraiser_);
    EXPECT_THAT(v, IsOk());
    return std::make_shared<RecordingVerifier>(*std::move(v));
  }

  // CallAs connects to `server` as `enclave` (attested on `sim`) with an
  // attacker's accept-anything client verifier.
  CallResult CallAs(const Server& server, const Enclave& enclave,
                    const std::string& sim = "",
                    x509::AttestedCertOptions options = {}) {
    absl::StatusOr<x509::AttestedCredentials> creds =
        world_->Credentials(enclave, sim, options);
    EXPECT_THAT(creds, IsOk());
    if (!creds.ok()) {
      return {};
    }
    return CallWithCredentials(server, *creds);
  }
  CallResult CallWithCredentials(const Server& server,
                                 const x509::AttestedCredentials& creds) {
    absl::StatusOr<std::unique_ptr<grpc::StaticIdentity>> identity =
        IdentityOf(creds);
    EXPECT_THAT(identity, IsOk());
    if (!identity.ok()) {
      return {};
    }
    return Call(server.port, identity->get(),
                std::make_shared<AcceptAnyVerifier>());
  }
  CallResult CallWithPair(const Server& server, std::string cert_pem,
                          const crypto::PrivateKey& key) {
    absl::StatusOr<SecretBytes> key_pem = key.ToPkcs8Pem();
    EXPECT_THAT(key_pem, IsOk());
    absl::StatusOr<std::unique_ptr<grpc::StaticIdentity>> identity =
        grpc::StaticIdentity::Create(
            grpc::IdentityPair{std::move(cert_pem), *std::move(key_pem)});
    EXPECT_THAT(identity, IsOk());
    if (!identity.ok()) {
      return {};
    }
    return Call(server.port, identity->get(),
                std::make_shared<AcceptAnyVerifier>());
  }

  // ExpectRefused asserts the call failed in the handshake, the handler never
  // ran, and every verdict of the server's verifier was `verdict`.
  static void ExpectRefused(const CallResult& call, const Server& server,
                            VerifyFailure verdict) {
    EXPECT_FALSE(call.status.ok());
    EXPECT_THAT(call.status.error_code(),
                AnyOf(Eq(::grpc::StatusCode::UNAVAILABLE),
                      Eq(::grpc::StatusCode::UNAUTHENTICATED)))
        << call.status.error_message();
    EXPECT_EQ(server.service.calls(), 0) << "the handler ran";
    EXPECT_THAT(server.verifier->accepted(), IsEmpty());
    EXPECT_THAT(server.verifier->refusals(), Not(IsEmpty()));
    EXPECT_THAT(server.verifier->refusals(),
                Each(Eq(std::string(VerifyFailureName(verdict)))));
  }

  // Forged builds a self-signed certificate for `key` with `extensions`.
  static std::string Forged(const crypto::PrivateKey& key,
                            std::vector<x509::internal::ExtensionSpec> ext) {
    x509::internal::CertSpec spec;
    spec.common_name = "frontend";
    spec.not_before = absl::Now() - absl::Minutes(5);
    spec.not_after = absl::Now() + absl::Hours(1);
    spec.extensions = std::move(ext);
    absl::StatusOr<std::vector<uint8_t>> der =
        x509::internal::BuildCertificate(key.public_key(), key, spec);
    EXPECT_THAT(der, IsOk());
    return der.ok() ? x509::internal::DerToPem(*der) : "";
  }

  static crypto::PrivateKey AttackerKey() {
    absl::StatusOr<crypto::PrivateKey> k =
        crypto::PrivateKey::Generate(crypto::KeyType::kEcdsaP256);
    EXPECT_THAT(k, IsOk());
    return *std::move(k);
  }

  const AttackWorld* world_ = nullptr;
  std::shared_ptr<x509::ManifestHolder> holder_;
  std::shared_ptr<const x509::EvidenceAppraiser> dev_appraiser_;
};

// --- Control
// -------------------------------------------------------------------

// The legitimate frontend reaches storage; both ends attest.
TEST_F(Attack, ControlFrontendReachesStorage) {
  std::unique_ptr<Server> storage = StartStorage();
  ASSERT_NE(storage, nullptr);
  absl::StatusOr<x509::AttestedCredentials> creds =
      world_->Credentials(world_->frontend);
  ASSERT_THAT(creds, IsOk());
  absl::StatusOr<std::unique_ptr<grpc::StaticIdentity>> identity =
      IdentityOf(*creds);
  ASSERT_THAT(identity, IsOk());
  std::shared_ptr<RecordingVerifier> client = FrontendVerifier("storage");
  CallResult call = Call(storage->port, identity->get(), client);
  ASSERT_TRUE(call.status.ok()) << call.status.error_message();
  EXPECT_EQ(call.server_saw, "frontend");
  EXPECT_THAT(client->accepted(), Each(Eq("storage")));
  EXPECT_EQ(storage->service.calls(), 1);
}

// --- Identity attacks
// ------------------------------------------------------------

// A genuine, listed service that the access-control list does not allow to
// call storage (authentication -> storage).
TEST_F(Attack, PeerOutsideAccessControlListIsRefused) {
  std::unique_ptr<Server> storage = StartStorage();
  ASSERT_NE(storage, nullptr);
  ExpectRefused(CallAs(*storage, world_->authentication), *storage,
                VerifyFailure::kPeerNotAllowed);
}

// Measurement swap: the frontend binary with one byte changed (another
// binary, so another MRENCLAVE) signed by the legitimate signer.
TEST_F(Attack, MeasurementOfAnotherBinaryIsRefused) {
  std::unique_ptr<Server> storage = StartStorage();
  ASSERT_NE(storage, nullptr);
  ExpectRefused(CallAs(*storage, world_->frontend_patched), *storage,
                VerifyFailure::kMeasurementNotInManifest);
}

// MRSIGNER-only match: any enclave the legitimate signer ever signed is not
// thereby trusted; identities are matched on MRENCLAVE.
TEST_F(Attack, MrSignerOnlyMatchIsRefused) {
  std::unique_ptr<Server> storage = StartStorage();
  ASSERT_NE(storage, nullptr);
  ASSERT_EQ(world_->rogue.identity.mr_signer,
            world_->frontend.identity.mr_signer);
  ExpectRefused(CallAs(*storage, world_->rogue), *storage,
                VerifyFailure::kMeasurementNotInManifest);
}

// The listed frontend binary re-signed by an attacker's key: MRENCLAVE
// matches, MRSIGNER does not.
TEST_F(Attack, ListedBinarySignedByAnotherKeyIsRefused) {
  std::unique_ptr<Server> storage = StartStorage();
  ASSERT_NE(storage, nullptr);
  ASSERT_EQ(world_->frontend_resigned.identity.mr_enclave,
            world_->frontend.identity.mr_enclave);
  ExpectRefused(CallAs(*storage, world_->frontend_resigned), *storage,
                VerifyFailure::kSignerMismatch);
}

// A listed service posing as another: the frontend dials "storage" but the
// server is the (genuine) authentication enclave. The frontend refuses it.
TEST_F(Attack, ListedServiceImpersonatingAnotherIsRefused) {
  std::unique_ptr<Server> impostor =
      StartService(world_->authentication, kAuthenticationPolicy);
  ASSERT_NE(impostor, nullptr);
  absl::StatusOr<x509::AttestedCredentials> creds =
      world_->Credentials(world_->frontend);
  ASSERT_THAT(creds, IsOk());
  absl::StatusOr<std::unique_ptr<grpc::StaticIdentity>> identity =
      IdentityOf(*creds);
  ASSERT_THAT(identity, IsOk());
  std::shared_ptr<RecordingVerifier> client = FrontendVerifier("storage");
  CallResult call = Call(impostor->port, identity->get(), client);
  EXPECT_FALSE(call.status.ok());
  EXPECT_EQ(impostor->service.calls(), 0);
  EXPECT_THAT(client->accepted(), IsEmpty());
  EXPECT_THAT(client->refusals(), Not(IsEmpty()));
  EXPECT_THAT(
      client->refusals(),
      Each(Eq(std::string(VerifyFailureName(VerifyFailure::kUnexpectedPeer)))));
}

// A DEBUG enclave of the listed binary (same MRENCLAVE and MRSIGNER).
TEST_F(Attack, DebugEnclaveIsRefused) {
  std::unique_ptr<Server> storage = StartStorage();
  ASSERT_NE(storage, nullptr);
  ASSERT_TRUE(world_->frontend_debug.identity.Debug());
  ExpectRefused(CallAs(*storage, world_->frontend_debug), *storage,
                VerifyFailure::kDebugEnclave);
}

// --- Evidence attacks
// ------------------------------------------------------------

// The frontend's evidence extension copied verbatim into a certificate for
// the attacker's key: the claims hash another key.
TEST_F(Attack, EvidenceCopiedFromAnotherCertificateIsRefused) {
  std::unique_ptr<Server> storage = StartStorage();
  ASSERT_NE(storage, nullptr);
  absl::StatusOr<x509::AttestedCredentials> victim =
      world_->Credentials(world_->frontend);
  ASSERT_THAT(victim, IsOk());
  absl::StatusOr<x509::ParsedAttestedCert> parsed =
      x509::ParseAttestedCertificate(victim->cert_pem, absl::Now());
  ASSERT_THAT(parsed, IsOk());
  crypto::PrivateKey attacker = AttackerKey();
  std::string cert = Forged(
      attacker,
      {{std::string(x509::kTcgDiceTaggedEvidenceOid), false,
        x509::internal::EncodeTaggedEvidence(parsed->quote, parsed->claims)}});
  ExpectRefused(CallWithPair(*storage, cert, attacker), *storage,
                VerifyFailure::kKeyBindingMismatch);
}

// Evidence replay with consistent claims: the attacker writes claims for its
// own key but can only reuse the frontend's quote, whose REPORTDATA binds the
// frontend's claims.
TEST_F(Attack, QuoteReplayedUnderNewClaimsIsRefused) {
  std::unique_ptr<Server> storage = StartStorage();
  ASSERT_NE(storage, nullptr);
  absl::StatusOr<x509::AttestedCredentials> victim =
      world_->Credentials(world_->frontend);
  ASSERT_THAT(victim, IsOk());
  absl::StatusOr<x509::ParsedAttestedCert> parsed =
      x509::ParseAttestedCertificate(victim->cert_pem, absl::Now());
  ASSERT_THAT(parsed, IsOk());
  crypto::PrivateKey attacker = AttackerKey();
  std::vector<uint8_t> claims = x509::internal::EncodeClaims(
      crypto::Sha256(attacker.public_key().SpkiDer()));
  std::string cert =
      Forged(attacker,
             {{std::string(x509::kTcgDiceTaggedEvidenceOid), false,
               x509::internal::EncodeTaggedEvidence(parsed->quote, claims)}});
  ExpectRefused(CallWithPair(*storage, cert, attacker), *storage,
                VerifyFailure::kKeyBindingMismatch);
}

// The same with Gramine legacy evidence (raw quote bound to the SPKI hash).
TEST_F(Attack, LegacyQuoteReplayedFromAnotherCertificateIsRefused) {
  std::unique_ptr<Server> storage = StartStorage();
  ASSERT_NE(storage, nullptr);
  x509::AttestedCertOptions legacy;
  legacy.format = x509::EvidenceFormat::kGramineLegacy;
  absl::StatusOr<x509::AttestedCredentials> victim =
      world_->Credentials(world_->frontend, "", legacy);
  ASSERT_THAT(victim, IsOk());
  absl::StatusOr<x509::ParsedAttestedCert> parsed =
      x509::ParseAttestedCertificate(victim->cert_pem, absl::Now());
  ASSERT_THAT(parsed, IsOk());
  crypto::PrivateKey attacker = AttackerKey();
  std::string cert = Forged(
      attacker,
      {{std::string(x509::kGramineLegacyQuoteOid), false, parsed->quote}});
  ExpectRefused(CallWithPair(*storage, cert, attacker), *storage,
                VerifyFailure::kKeyBindingMismatch);
}

// Measurement swap inside the quote: an unlisted enclave (same signer) quotes
// for the attacker's key, then overwrites MRENCLAVE with the frontend's.
TEST_F(Attack, MrEnclavePatchedIntoQuoteIsRefused) {
  std::unique_ptr<Server> storage = StartStorage();
  ASSERT_NE(storage, nullptr);
  crypto::PrivateKey attacker = AttackerKey();
  std::vector<uint8_t> claims = x509::internal::EncodeClaims(
      crypto::Sha256(attacker.public_key().SpkiDer()));
  absl::StatusOr<std::unique_ptr<attest::SimAttester>> rogue =
      world_->Attester(world_->rogue);
  ASSERT_THAT(rogue, IsOk());
  absl::StatusOr<std::vector<uint8_t>> quote =
      (*rogue)->Quote(x509::ReportDataForClaims(claims));
  ASSERT_THAT(quote, IsOk());
  constexpr size_t kMrEnclaveOffset = 112;  // SGX quote v3.
  std::copy(world_->frontend.identity.mr_enclave.begin(),
            world_->frontend.identity.mr_enclave.end(),
            quote->begin() + kMrEnclaveOffset);
  std::string cert = Forged(
      attacker, {{std::string(x509::kTcgDiceTaggedEvidenceOid), false,
                  x509::internal::EncodeTaggedEvidence(*quote, claims)}});
  ExpectRefused(CallWithPair(*storage, cert, attacker), *storage,
                VerifyFailure::kQuoteSignatureInvalid);
}

// A certificate past its notAfter (its evidence is as old).
TEST_F(Attack, StaleCertificateIsRefused) {
  std::unique_ptr<Server> storage = StartStorage();
  ASSERT_NE(storage, nullptr);
  FixedClock earlier(absl::Now() - absl::Hours(3));
  x509::AttestedCertOptions options;
  options.clock = &earlier;
  options.validity = absl::Hours(1);
  ExpectRefused(CallAs(*storage, world_->frontend, "", options), *storage,
                VerifyFailure::kCertExpired);
}

// A certificate copied off the wire, presented without its private key: TLS
// proof of possession fails, nothing is served.
TEST_F(Attack, StolenCertificateWithoutItsKeyCannotConnect) {
  std::unique_ptr<Server> storage = StartStorage();
  ASSERT_NE(storage, nullptr);
  absl::StatusOr<x509::AttestedCredentials> victim =
      world_->Credentials(world_->frontend);
  ASSERT_THAT(victim, IsOk());
  crypto::PrivateKey attacker = AttackerKey();
  absl::StatusOr<SecretBytes> key_pem = attacker.ToPkcs8Pem();
  ASSERT_THAT(key_pem, IsOk());
  MismatchedIdentity stolen(
      victim->cert_pem, std::string(key_pem->UnsafeView(SecretAccess::Get())));
  CallResult call =
      Call(storage->port, &stolen, std::make_shared<AcceptAnyVerifier>());
  EXPECT_FALSE(call.status.ok());
  EXPECT_EQ(storage->service.calls(), 0);
}

// A client that presents no certificate at all.
TEST_F(Attack, ClientWithoutCertificateIsRefused) {
  std::unique_ptr<Server> storage = StartStorage();
  ASSERT_NE(storage, nullptr);
  CallResult call =
      Call(storage->port, nullptr, std::make_shared<AcceptAnyVerifier>());
  EXPECT_FALSE(call.status.ok());
  EXPECT_EQ(storage->service.calls(), 0);
  EXPECT_THAT(storage->verifier->accepted(), IsEmpty());
}

// --- Platform (DCAP) attacks
// -----------------------------------------------------

// A simulated quote presented to a production verifier (Intel's root only,
// default policy).
TEST_F(Attack, SimulationRootIsRefusedByProductionVerifier) {
  absl::StatusOr<std::shared_ptr<const x509::EvidenceAppraiser>> production =
      world_->ProductionAppraiser();
  ASSERT_THAT(production, IsOk());
  std::unique_ptr<Server> storage = StartStorage(*production);
  ASSERT_NE(storage, nullptr);
  ExpectRefused(CallAs(*storage, world_->frontend), *storage,
                VerifyFailure::kRootCaUntrusted);
}

// A verifier that knows the development root but whose policy does not allow
// simulation (the default).
TEST_F(Attack, SimulationIsRefusedUnlessPolicyAllowsIt) {
  AppraiserSpec spec;
  spec.collateral_path =
      attest::SimFilePath(world_->sim_dir, attest::kSimCollateralFile);
  spec.simulation_roots = {world_->sim_root_pem};
  absl::StatusOr<std::shared_ptr<const x509::EvidenceAppraiser>> strict =
      AttackWorld::Appraiser(spec);
  ASSERT_THAT(strict, IsOk());
  std::unique_ptr<Server> storage = StartStorage(*strict);
  ASSERT_NE(storage, nullptr);
  ExpectRefused(CallAs(*storage, world_->frontend), *storage,
                VerifyFailure::kSimulationNotTrusted);
}

// The listed frontend, attested by an attacker's own development PKI.
TEST_F(Attack, QuoteFromAnotherDevelopmentPkiIsRefused) {
  std::unique_ptr<Server> storage = StartStorage();
  ASSERT_NE(storage, nullptr);
  ExpectRefused(CallAs(*storage, world_->frontend, world_->rogue_sim_dir),
                *storage, VerifyFailure::kRootCaUntrusted);
}

// The platform's PCK certificate has been revoked (the PCK CRL in the
// collateral lists it).
TEST_F(Attack, RevokedPckIsRefused) {
  const std::string dir = ::mra::testing::MakeTempDir();
  const std::string revoked = dir + "/revoked-collateral.json";
  ASSERT_THAT(world_->WriteRevokedPckCollateral(revoked), IsOk());
  absl::StatusOr<std::shared_ptr<const x509::EvidenceAppraiser>> appraiser =
      world_->DevAppraiser(revoked);
  ASSERT_THAT(appraiser, IsOk());
  std::unique_ptr<Server> storage = StartStorage(*appraiser);
  ASSERT_NE(storage, nullptr);
  ExpectRefused(CallAs(*storage, world_->frontend), *storage,
                VerifyFailure::kPckRevoked);
  std::filesystem::remove_all(dir);
}

// A platform whose TCB is out of date, under the default policy (UpToDate
// only).
TEST_F(Attack, OutOfDateTcbIsRefusedWhenPolicyRequiresUpToDate) {
  absl::StatusOr<std::string> root = ReadFileBounded(
      attest::SimFilePath(world_->outdated_sim_dir, attest::kSimRootCertFile),
      64 * 1024);
  ASSERT_THAT(root, IsOk());
  AppraiserSpec spec;
  spec.collateral_path =
      attest::SimFilePath(world_->outdated_sim_dir, attest::kSimCollateralFile);
  spec.simulation_roots = {*root};
  spec.policy.allow_simulation = true;
  absl::StatusOr<std::shared_ptr<const x509::EvidenceAppraiser>> appraiser =
      AttackWorld::Appraiser(spec);
  ASSERT_THAT(appraiser, IsOk());
  std::unique_ptr<Server> storage = StartStorage(*appraiser);
  ASSERT_NE(storage, nullptr);
  ExpectRefused(CallAs(*storage, world_->frontend, world_->outdated_sim_dir),
                *storage, VerifyFailure::kTcbStatusNotAccepted);
}

// --- Manifest attacks at run time
// --------------------------------------------------

// The auditors drop the frontend (v2); an attacker who controls the host's
// files puts the old v1 manifest (and its genuine signatures) back. The
// reload is refused, v2 stays in force, and the frontend stays locked out.
TEST_F(Attack, ReloadedOldManifestCannotReadmitRevokedIdentity) {
  absl::StatusOr<manifest::TrustAnchors> anchors =
      manifest::CompiledTrustAnchors();
  ASSERT_THAT(anchors, IsOk());
  const std::string dir = ::mra::testing::MakeTempDir();
  manifest::RollbackStateFile state(dir + "/state.json");
  manifest::VerifyOptions options;
  options.expected_deployment = std::string(kDeployment);
  options.state = &state;
  options.require_version = true;
  options.require_expires = true;

  ManifestSpec spec;
  spec.expires = absl::Now() + absl::Hours(24);
  spec.version = 1;
  const std::string v1 = world_->RenderManifest(spec);
  // v2: the frontend table renamed away, i.e. its identity no longer listed.
  spec.version = 2;
  std::string v2 = world_->RenderManifest(spec);
  const size_t at = v2.find("[frontend]");
  ASSERT_NE(at, std::string::npos);
  v2.replace(at, 10, "[retired-frontend-placeholder]");
  const size_t enclave = v2.find("mr_enclave = \"", at);
  ASSERT_NE(enclave, std::string::npos);
  v2.replace(enclave + 14, 64, std::string(64, '0'));

  const std::string manifest_path = dir + "/enclave_info.toml";
  std::vector<std::string> sig_paths;
  auto publish = [&](const std::string& toml) {
    ASSERT_THAT(WriteFileAtomic(manifest_path, toml), IsOk());
    absl::StatusOr<std::vector<manifest::DetachedSignature>> sigs =
        SignManifest(toml, {1, 2, 3});
    ASSERT_THAT(sigs, IsOk());
    sig_paths.clear();
    for (size_t i = 0; i < sigs->size(); ++i) {
      const std::string p = dir + "/auditor" + std::to_string(i + 1) + ".sig";
      ASSERT_THAT(WriteFileAtomic(p, std::string((*sigs)[i].bytes.begin(),
                                                 (*sigs)[i].bytes.end())),
                  IsOk());
      sig_paths.push_back(p);
    }
  };
  publish(v1);
  std::optional<VerifyFailure> last_refusal;
  auto holder = world_->NewManifestHolder();
  absl::StatusOr<std::unique_ptr<grpc::ManifestReloader>> reloader =
      grpc::ManifestReloader::Create(
          manifest_path, sig_paths,
          [&](std::string bytes,
              std::vector<manifest::DetachedSignature> sigs) -> absl::Status {
            absl::StatusOr<manifest::VerifiedManifest> v =
                manifest::VerifyManifest(bytes, sigs, *anchors, options);
            if (!v.ok()) {
              last_refusal = GetVerifyFailure(v.status());
              return v.status();
            }
            return holder->Replace(
                std::make_shared<const manifest::VerifiedManifest>(
                    *std::move(v)));
          },
          [] {
            grpc::ManifestReloaderOptions o;
            o.poll_interval = absl::ZeroDuration();
            return o;
          }());
  ASSERT_THAT(reloader, IsOk());
  holder_ = holder;  // The storage server judges against this holder.
  std::unique_ptr<Server> storage = StartStorage();
  ASSERT_NE(storage, nullptr);

  // The auditors publish v2.
  publish(v2);
  ASSERT_THAT((*reloader)->CheckNow(true), IsOk());
  ASSERT_EQ(holder->Get()->manifest.version, 2u);
  ExpectRefused(CallAs(*storage, world_->frontend), *storage,
                VerifyFailure::kMeasurementNotInManifest);

  // The attacker restores v1 with its genuine signatures.
  publish(v1);
  EXPECT_THAT((*reloader)->CheckNow(true),
              FailsWith(VerifyFailure::kManifestRollback));
  EXPECT_EQ(last_refusal, VerifyFailure::kManifestRollback);
  EXPECT_EQ(holder->Get()->manifest.version, 2u);
  ExpectRefused(CallAs(*storage, world_->frontend), *storage,
                VerifyFailure::kMeasurementNotInManifest);
  reloader->reset();
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace mra::attacks
