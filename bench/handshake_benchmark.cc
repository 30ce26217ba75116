// Copyright The mra Authors.
//
// File: bench/handshake_benchmark.cc
// -----------------------------------------------------------------------------
// Google Benchmark for what a NEW connection costs with mra/grpc credentials
// (issue 4): each iteration creates a channel with its own subchannel pool
// (so it opens and handshakes its own TCP + TLS connection to a loopback
// server) and makes one unary call; both ends verify each other.
//
// Benchmarks (all ECDSA P-256 leaf keys):
//   handshake/plain_mtls           gRPC's SslCredentials, client certificate
//                                  required and verified against a test CA:
//                                  the baseline.
//   handshake/plain_mtls_tls_api   the same through gRPC's TLS credentials
//                                  API (StaticDataCertificateProvider with
//                                  the CA as root), which mra/grpc builds on.
//   handshake/mra/trivial          MakeServerCredentials /
//                                  MakeChannelCredentials, self-signed
//                                  certificates, a verifier that accepts
//                                  everything: the cost of our plumbing.
//   handshake/mra/marker           ...with the test MarkerPeerVerifier (parses
//                                  the certificate, checks dates and a CN
//                                  marker): a cheap real verifier.
//   handshake/mra/trivial_offload  VerifyMode::kOffload (a thread per check).
//   handshake/mra/attested_warm    the production path: RA-TLS certificates
//                                  (CreateAttestedCertificate, sim attester,
//                                  one certificate per identity, made before
//                                  timing) judged on both ends by
//                                  AttestedPeerVerifier (ForServer/ForClient
//                                  with access policies) over the production
//                                  DcapEvidenceAppraiser trusting the sim dir's
//                                  root (policy allow_simulation), an
//                                  auditor-verified manifest listing both
//                                  services, and a VerificationCache that is
//                                  warm (each end verified its peer once
//                                  before timing). Inline verification, as
//                                  credentials.h recommends for a warm cache.
//   handshake/mra/attested_warm_offload  the same with VerifyMode::kOffload
//                                  (what the platform's services use).
//   handshake/mra/attested_cold    the same without a verification cache:
//                                  every handshake parses both certificates
//                                  and verifies and appraises both quotes
//                                  (collateral verification stays cached in
//                                  the appraiser, as in a running service).
//
// The verifier and the identities are parameters (MraCase). Before timing,
// each end's verifier checks the other end's certificate once: that fails
// the case early if they would refuse each other, and warms a verification
// cache. Time is wall-clock (UseRealTime): the work is spread over gRPC's
// threads; process_cpu_us/iter adds up the CPU of all threads (client and
// server both run in this process), the fairer cost measure on a busy host.
// bench/compare_handshake.sh runs plain_mtls and the attested cases in
// interleaved rounds and checks the issue-4 target (warm / plain <= 1.3).

#include <stdlib.h>
#include <sys/resource.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "benchmark/benchmark.h"
#include "grpcpp/grpcpp.h"
#include "spdlog/sinks/stdout_color_sinks.h"
#include "spdlog/spdlog.h"
#include "src/attested/testing/sim_env.h"
#include "src/grpc/testing/test_peers.h"

#include "mra/attest/sigstruct.h"
#include "mra/attest/sim.h"
#include "mra/attest/sim_dir.h"
#include "mra/attested/dcap_appraiser.h"
#include "mra/base/file.h"
#include "mra/base/hex.h"
#include "mra/base/secret_bytes.h"
#include "mra/base/status.h"
#include "mra/base/strings.h"
#include "mra/crypto/keys.h"
#include "mra/crypto/signature.h"
#include "mra/grpc/credentials.h"
#include "mra/grpc/identity.h"
#include "mra/manifest/trust_anchors.h"
#include "mra/manifest/verifier.h"
#include "mra/sgx/verify.h"
#include "mra/v1/test_echo.grpc.pb.h"
#include "mra/x509/access_policy.h"
#include "mra/x509/attested_cert.h"
#include "mra/x509/cleansed_string.h"
#include "mra/x509/manifest_holder.h"
#include "mra/x509/peer_identity.h"
#include "mra/x509/peer_verifier.h"
#include "mra/x509/verification_cache.h"

namespace mra::bench {
namespace {

using grpc::IdentityPair;

// --- Plumbing
// ------------------------------------------------------------------

class EchoService final : public mra::v1::TestEcho::Service {
 public:
  ::grpc::Status Echo(::grpc::ServerContext* /*context*/,
                      const mra::v1::EchoRequest* request,
                      mra::v1::EchoReply* reply) override {
    reply->set_message(request->message());
    return ::grpc::Status::OK;
  }
};

struct Server {
  EchoService service;
  std::unique_ptr<::grpc::Server> server;
  int port = 0;
  ~Server() {
    if (server != nullptr) {
      server->Shutdown(std::chrono::system_clock::now() +
                       std::chrono::seconds(1));
    }
  }
};

std::unique_ptr<Server> StartServer(
    const std::shared_ptr<::grpc::ServerCredentials>& creds) {
  auto s = std::make_unique<Server>();
  ::grpc::ServerBuilder builder;
  builder.AddListeningPort("127.0.0.1:0", creds, &s->port);
  builder.RegisterService(&s->service);
  s->server = builder.BuildAndStart();
  if (s->server == nullptr || s->port == 0) {
    return nullptr;
  }
  return s;
}

// ProcessCpuSeconds is the user + system CPU time of all threads.
double ProcessCpuSeconds() {
  struct rusage usage {};
  ::getrusage(RUSAGE_SELF, &usage);
  auto seconds = [](const struct timeval& tv) {
    return static_cast<double>(tv.tv_sec) +
           static_cast<double>(tv.tv_usec) / 1e6;
  };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

// RunHandshakes is the timed loop shared by every case.
void RunHandshakes(benchmark::State& state, int port,
                   const std::shared_ptr<::grpc::ChannelCredentials>& creds,
                   const ::grpc::ChannelArguments& base_args) {
  mra::v1::EchoRequest request;
  request.set_message("ping");
  const double cpu_before = ProcessCpuSeconds();
  for (auto _ : state) {
    ::grpc::ChannelArguments args = base_args;
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);  // Own connection.
    auto channel = ::grpc::CreateCustomChannel(
        "127.0.0.1:" + std::to_string(port), creds, args);
    auto stub = mra::v1::TestEcho::NewStub(channel);
    ::grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() +
                         std::chrono::seconds(10));
    mra::v1::EchoReply reply;
    ::grpc::Status status = stub->Echo(&context, request, &reply);
    if (!status.ok()) {
      state.SkipWithError(("call failed: " + status.error_message()).c_str());
      break;
    }
  }
  state.counters["handshakes/s"] = benchmark::Counter(
      static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
  // Client and server run in this process: their CPU per handshake.
  state.counters["process_cpu_us/iter"] =
      benchmark::Counter((ProcessCpuSeconds() - cpu_before) * 1e6,
                         benchmark::Counter::kAvgIterations);
}

absl::StatusOr<IdentityPair> TestIdentity(const std::string& cn,
                                          const IdentityPair* issuer = nullptr,
                                          bool is_ca = false) {
  grpc::testing::TestCertOptions options;
  options.common_name = cn;
  options.issuer = issuer;
  options.is_ca = is_ca;
  return grpc::testing::MakeTestIdentity(options);
}

// --- mra credentials, verifier as a parameter
// ----------------------------------

// MraCase describes one mra/grpc configuration to time.
struct MraCase {
  std::string name;
  // Returns the identity for "server" or "client".
  std::function<absl::StatusOr<IdentityPair>(const std::string& role)>
      make_identity;
  // Returns the verifier of the end playing `role` ("server" verifies the
  // client, "client" the server); called once per end.
  std::function<absl::StatusOr<std::shared_ptr<const x509::PeerVerifier>>(
      const std::string& role)>
      make_verifier;
  grpc::VerifyMode verify_mode = grpc::VerifyMode::kInline;
};

// TrivialVerifier accepts every certificate with a fixed identity: it
// isolates the cost of the credentials plumbing from verification.
class TrivialVerifier final : public x509::PeerVerifier {
 public:
  absl::StatusOr<x509::PeerIdentity> Verify(
      std::string_view /*leaf_pem*/) const override {
    x509::PeerIdentity id;
    id.service = "peer";
    id.tcb_status = "UpToDate";
    return id;
  }
};

// CountingVerifier counts the verifications it delegates, so the benchmark
// can show that every iteration really handshakes (two per iteration).
class CountingVerifier final : public x509::PeerVerifier {
 public:
  explicit CountingVerifier(std::shared_ptr<const x509::PeerVerifier> inner)
      : inner_(std::move(inner)) {}
  absl::StatusOr<x509::PeerIdentity> Verify(
      std::string_view leaf_pem) const override {
    calls_.fetch_add(1, std::memory_order_relaxed);
    return inner_->Verify(leaf_pem);
  }
  uint64_t calls() const { return calls_.load(); }

 private:
  const std::shared_ptr<const x509::PeerVerifier> inner_;
  mutable std::atomic<uint64_t> calls_{0};
};

void RunMraCase(benchmark::State& state, const MraCase& c) {
  auto fail = [&state](const std::string& what) {
    state.SkipWithError(what.c_str());
    for (auto _ : state) {
    }
  };
  absl::StatusOr<IdentityPair> server_pair = c.make_identity("server");
  absl::StatusOr<IdentityPair> client_pair = c.make_identity("client");
  if (!server_pair.ok() || !client_pair.ok()) {
    return fail("identity: " +
                (server_pair.ok() ? client_pair.status() : server_pair.status())
                    .ToString());
  }
  absl::StatusOr<std::shared_ptr<const x509::PeerVerifier>> server_inner =
      c.make_verifier("server");
  absl::StatusOr<std::shared_ptr<const x509::PeerVerifier>> client_inner =
      c.make_verifier("client");
  if (!server_inner.ok() || !client_inner.ok()) {
    return fail("verifier: " + (server_inner.ok() ? client_inner.status()
                                                  : server_inner.status())
                                   .ToString());
  }
  // Each end checks the other's certificate once before timing: a case whose
  // ends would refuse each other fails here, and a cache gets warm.
  absl::StatusOr<x509::PeerIdentity> client_seen =
      (*server_inner)->Verify(client_pair->certificate_pem);
  absl::StatusOr<x509::PeerIdentity> server_seen =
      (*client_inner)->Verify(server_pair->certificate_pem);
  if (!client_seen.ok() || !server_seen.ok()) {
    return fail("warm-up verification: " + (client_seen.ok()
                                                ? server_seen.status()
                                                : client_seen.status())
                                               .ToString());
  }
  auto server_id = grpc::StaticIdentity::Create(*std::move(server_pair));
  auto client_id = grpc::StaticIdentity::Create(*std::move(client_pair));
  if (!server_id.ok() || !client_id.ok()) {
    return fail("static identity refused");
  }
  grpc::ServerCredentialsOptions server_options;
  server_options.verify_mode = c.verify_mode;
  grpc::ChannelCredentialsOptions channel_options;
  channel_options.verify_mode = c.verify_mode;
  auto server_verifier =
      std::make_shared<CountingVerifier>(*std::move(server_inner));
  auto client_verifier =
      std::make_shared<CountingVerifier>(*std::move(client_inner));
  auto server_creds =
      grpc::MakeServerCredentials(**server_id, server_verifier, server_options);
  auto channel_creds = grpc::MakeChannelCredentials(
      client_id->get(), client_verifier, channel_options);
  if (!server_creds.ok() || !channel_creds.ok()) {
    return fail("credentials refused");
  }
  std::unique_ptr<Server> server = StartServer(*server_creds);
  if (server == nullptr) {
    return fail("server did not start");
  }
  const uint64_t before = server_verifier->calls() + client_verifier->calls();
  RunHandshakes(state, server->port, *channel_creds, {});
  state.counters["verifies/iter"] =
      benchmark::Counter(static_cast<double>(server_verifier->calls() +
                                             client_verifier->calls() - before),
                         benchmark::Counter::kAvgIterations);
}

// RegisterMraCase adds handshake/mra/<name>.
void RegisterMraCase(MraCase c) {
  const std::string name = "handshake/mra/" + c.name;
  benchmark::RegisterBenchmark(
      name.c_str(),
      [c = std::move(c)](benchmark::State& state) { RunMraCase(state, c); })
      ->UseRealTime()
      ->Unit(benchmark::kMicrosecond);
}

// --- The attested world: sim platform, two enclaves, verified manifest
// -------------------------------------------------------------------------

// The two services of the attested cases and their access-control lists:
// the server accepts the client; the client may call the server only.
constexpr std::string_view kServerService = "bench-server";
constexpr std::string_view kClientService = "bench-client";
constexpr std::string_view kServerInbound[] = {kClientService};
constexpr std::string_view kClientOutbound[] = {kServerService};
constexpr x509::AccessPolicy kServerPolicy(kServerService, kServerInbound, {});
constexpr x509::AccessPolicy kClientPolicy(kClientService, {},
                                           kClientOutbound);
static_assert(kServerPolicy.IsValid() && kClientPolicy.IsValid());

// AttestedWorld is a sim dir (development PKI + collateral, as `mra sim
// init` makes), one signed fake "enclave" binary per service, and a manifest
// naming both, signed by a generated auditor and verified against it.
struct AttestedWorld {
  explicit AttestedWorld(attested::testing::SimEnv sim) : env(std::move(sim)) {}
  attested::testing::SimEnv env;
  std::map<std::string, std::string, std::less<>> binaries;  // role -> path
  std::string root_pem;  // The sim dir's development root.
  std::shared_ptr<const manifest::VerifiedManifest> manifest;

  ~AttestedWorld() {
    std::error_code ec;
    std::filesystem::remove_all(env.dir, ec);
  }
};

// BuildAttestedWorldIn builds the world in the fresh directory `dir`.
absl::StatusOr<std::unique_ptr<AttestedWorld>> BuildAttestedWorldIn(
    const std::string& dir) {
  MRA_ASSIGN_OR_RETURN(attested::testing::SimEnv env,
                       attested::testing::MakeSimEnv(dir));
  auto world = std::make_unique<AttestedWorld>(std::move(env));
  MRA_ASSIGN_OR_RETURN(
      world->root_pem,
      ReadFileBounded(world->env.sim_dir + "/" +
                          std::string(attest::kSimRootCertFile),
                      64 * 1024));
  std::string manifest_text =
      "version = 1\nexpires = 2099-01-01T00:00:00Z\n"
      "deployment = \"bench\"\n";
  for (std::string_view service : {kServerService, kClientService}) {
    MRA_ASSIGN_OR_RETURN(
        std::string binary,
        attested::testing::MakeSignedBinary(
            world->env, service,
            StrCat("simulated enclave image of ", service)));
    MRA_ASSIGN_OR_RETURN(crypto::Sha256Digest mr_enclave,
                         attest::MeasureFile(binary));
    world->binaries.emplace(std::string(service), std::move(binary));
    manifest_text += StrCat("\n[", service, "]\nmr_enclave = \"",
                            HexEncode(mr_enclave), "\"\nmr_signer = \"",
                            HexEncode(world->env.mr_signer), "\"\n");
  }
  MRA_ASSIGN_OR_RETURN(
      crypto::PrivateKey auditor,
      crypto::PrivateKey::Generate(crypto::KeyType::kEcdsaP256));
  MRA_ASSIGN_OR_RETURN(
      std::vector<uint8_t> signature,
      crypto::SignDetached(auditor, crypto::AsBytes(manifest_text)));
  std::vector<manifest::Auditor> auditors;
  auditors.push_back({"bench-auditor", auditor.public_key()});
  MRA_ASSIGN_OR_RETURN(manifest::TrustAnchors anchors,
                       manifest::TrustAnchors::Create(std::move(auditors), 1));
  const manifest::DetachedSignature signatures[] = {
      {.label = "bench-auditor.sig", .bytes = std::move(signature)}};
  MRA_ASSIGN_OR_RETURN(
      manifest::VerifiedManifest verified,
      manifest::VerifyManifest(manifest_text, signatures, anchors,
                               {.expected_deployment = "bench"}));
  world->manifest =
      std::make_shared<const manifest::VerifiedManifest>(std::move(verified));
  return world;
}

absl::StatusOr<std::unique_ptr<AttestedWorld>> BuildAttestedWorld() {
  std::string dir =
      (std::filesystem::temp_directory_path() / "mra-handshake-bench-XXXXXX")
          .string();
  if (::mkdtemp(dir.data()) == nullptr) {
    return absl::InternalError("mkdtemp failed");
  }
  absl::StatusOr<std::unique_ptr<AttestedWorld>> world =
      BuildAttestedWorldIn(dir);
  if (!world.ok()) {
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
  return world;
}

// WorldSlot holds the process's attested world once built (or why it could
// not be). Benchmarks run one after another on the main thread.
struct WorldSlot {
  bool built = false;
  absl::Status status;
  std::unique_ptr<AttestedWorld> world;
};

WorldSlot& Slot() {
  static WorldSlot* const slot = new WorldSlot();
  return *slot;
}

// GetAttestedWorld builds the world once per process (RSA-3072 signer key,
// development PKI: about a second) for every attested case.
absl::StatusOr<const AttestedWorld*> GetAttestedWorld() {
  WorldSlot& slot = Slot();
  if (!slot.built) {
    slot.built = true;
    absl::StatusOr<std::unique_ptr<AttestedWorld>> world = BuildAttestedWorld();
    if (world.ok()) {
      slot.world = *std::move(world);
    } else {
      slot.status = world.status();
    }
  }
  if (!slot.status.ok()) {
    return slot.status;
  }
  return slot.world.get();
}

// RemoveAttestedWorld deletes the world's temporary directory.
void RemoveAttestedWorld() { Slot().world.reset(); }

// AttestedIdentity makes the RA-TLS identity of the service playing `role`,
// exactly as a service's RotatingIdentity factory does: the sim attester
// measuring that service's binary, a fresh P-256 key, its quote in the
// certificate.
absl::StatusOr<IdentityPair> AttestedIdentity(const std::string& role) {
  MRA_ASSIGN_OR_RETURN(const AttestedWorld* world, GetAttestedWorld());
  const std::string_view service =
      role == "server" ? kServerService : kClientService;
  attest::SimAttesterOptions attester_options;
  attester_options.sim_dir = world->env.sim_dir;
  attester_options.executable = world->binaries.find(service)->second;
  MRA_ASSIGN_OR_RETURN(std::unique_ptr<attest::SimAttester> attester,
                       attest::SimAttester::Create(attester_options));
  x509::AttestedCertOptions options;
  options.common_name = std::string(service);
  MRA_ASSIGN_OR_RETURN(x509::AttestedCredentials credentials,
                       x509::CreateAttestedCertificate(*attester, options));
  MRA_ASSIGN_OR_RETURN(x509::CleansedString key_pem,
                       credentials.PrivateKeyPem());
  return IdentityPair{
      .certificate_pem = std::move(credentials.cert_pem),
      .private_key_pem =
          SecretBytes(key_pem.UnsafeString(SecretAccess::Get()))};
}

// AttestedVerifier makes the production verifier of the end playing `role`:
// its own DcapEvidenceAppraiser (as each service has) over the sim dir's
// collateral, trusting the development root explicitly with simulation
// allowed by policy, and a VerificationCache when `cached`.
absl::StatusOr<std::shared_ptr<const x509::PeerVerifier>> AttestedVerifier(
    const std::string& role, bool cached) {
  MRA_ASSIGN_OR_RETURN(const AttestedWorld* world, GetAttestedWorld());
  attested::DcapAppraiserOptions appraiser_options;
  const std::string roots[] = {world->root_pem};
  MRA_ASSIGN_OR_RETURN(appraiser_options.verifier.trust_store,
                       sgx::TrustStore::Create(roots));
  appraiser_options.policy.allow_simulation = true;
  MRA_ASSIGN_OR_RETURN(
      std::unique_ptr<attested::DcapEvidenceAppraiser> appraiser,
      attested::DcapEvidenceAppraiser::Create(
          attested::MakeBundleFileCollateralSource(
              world->env.sim_dir + "/" +
              std::string(attest::kSimCollateralFile)),
          std::move(appraiser_options)));
  auto manifests = std::make_shared<const x509::ManifestHolder>(world->manifest);
  x509::PeerVerifierOptions options;
  if (cached) {
    options.cache = std::make_shared<x509::VerificationCache>();
  }
  std::shared_ptr<const x509::EvidenceAppraiser> shared_appraiser =
      std::move(appraiser);
  if (role == "server") {
    MRA_ASSIGN_OR_RETURN(std::unique_ptr<x509::AttestedPeerVerifier> verifier,
                         x509::AttestedPeerVerifier::ForServer(
                             kServerPolicy, std::move(manifests),
                             std::move(shared_appraiser), std::move(options)));
    return std::shared_ptr<const x509::PeerVerifier>(std::move(verifier));
  }
  MRA_ASSIGN_OR_RETURN(
      std::unique_ptr<x509::AttestedPeerVerifier> verifier,
      x509::AttestedPeerVerifier::ForClient(
          kServerService, kClientPolicy, std::move(manifests),
          std::move(shared_appraiser), std::move(options)));
  return std::shared_ptr<const x509::PeerVerifier>(std::move(verifier));
}

// --- Baseline: plain gRPC mutual TLS
// ------------------------------------------

void BM_PlainMutualTls(benchmark::State& state) {
  auto fail = [&state](const std::string& what) {
    state.SkipWithError(what.c_str());
    for (auto _ : state) {
    }
  };
  absl::StatusOr<IdentityPair> ca = TestIdentity("bench CA", nullptr, true);
  if (!ca.ok()) {
    return fail(ca.status().ToString());
  }
  absl::StatusOr<IdentityPair> server_pair = TestIdentity("localhost", &*ca);
  absl::StatusOr<IdentityPair> client_pair = TestIdentity("client", &*ca);
  if (!server_pair.ok() || !client_pair.ok()) {
    return fail("leaf certificates");
  }
  // The key text gRPC's SSL options need; cleansed with the pairs.
  const SecretAccess access = SecretAccess::Get();
  ::grpc::SslServerCredentialsOptions server_options(
      GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
  server_options.pem_root_certs = ca->certificate_pem;
  server_options.pem_key_cert_pairs.push_back(
      {std::string(server_pair->private_key_pem.UnsafeView(access)),
       server_pair->certificate_pem});
  std::unique_ptr<Server> server =
      StartServer(::grpc::SslServerCredentials(server_options));
  internal::Cleanse(server_options.pem_key_cert_pairs[0].private_key.data(),
                    server_options.pem_key_cert_pairs[0].private_key.size());
  if (server == nullptr) {
    return fail("server did not start");
  }
  ::grpc::SslCredentialsOptions client_options;
  client_options.pem_root_certs = ca->certificate_pem;
  client_options.pem_private_key =
      std::string(client_pair->private_key_pem.UnsafeView(access));
  client_options.pem_cert_chain = client_pair->certificate_pem;
  auto channel_creds = ::grpc::SslCredentials(client_options);
  internal::Cleanse(client_options.pem_private_key.data(),
                    client_options.pem_private_key.size());
  ::grpc::ChannelArguments args;
  args.SetSslTargetNameOverride("localhost");  // The server's SAN.
  RunHandshakes(state, server->port, channel_creds, args);
}
BENCHMARK(BM_PlainMutualTls)
    ->Name("handshake/plain_mtls")
    ->UseRealTime()
    ->Unit(benchmark::kMicrosecond);

// The same baseline through gRPC's TLS credentials API (what mra/grpc uses),
// with gRPC verifying chains and the host name itself.
void BM_PlainMutualTlsTlsApi(benchmark::State& state) {
  auto fail = [&state](const std::string& what) {
    state.SkipWithError(what.c_str());
    for (auto _ : state) {
    }
  };
  absl::StatusOr<IdentityPair> ca = TestIdentity("bench CA", nullptr, true);
  if (!ca.ok()) {
    return fail(ca.status().ToString());
  }
  absl::StatusOr<IdentityPair> server_pair = TestIdentity("localhost", &*ca);
  absl::StatusOr<IdentityPair> client_pair = TestIdentity("client", &*ca);
  if (!server_pair.ok() || !client_pair.ok()) {
    return fail("leaf certificates");
  }
  const SecretAccess access = SecretAccess::Get();
  auto provider = [&](const IdentityPair& pair) {
    std::vector<::grpc::experimental::IdentityKeyCertPair> pairs = {
        {std::string(pair.private_key_pem.UnsafeView(access)),
         pair.certificate_pem}};
    auto p =
        std::make_shared<::grpc::experimental::StaticDataCertificateProvider>(
            ca->certificate_pem, pairs);
    internal::Cleanse(pairs[0].private_key.data(), pairs[0].private_key.size());
    return p;
  };
  ::grpc::experimental::TlsServerCredentialsOptions server_options(
      provider(*server_pair));
  server_options.watch_root_certs();
  server_options.watch_identity_key_cert_pairs();
  server_options.set_cert_request_type(
      GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
  std::unique_ptr<Server> server =
      StartServer(::grpc::experimental::TlsServerCredentials(server_options));
  if (server == nullptr) {
    return fail("server did not start");
  }
  ::grpc::experimental::TlsChannelCredentialsOptions client_options;
  client_options.set_certificate_provider(provider(*client_pair));
  client_options.watch_root_certs();
  client_options.watch_identity_key_cert_pairs();
  auto channel_creds = ::grpc::experimental::TlsCredentials(client_options);
  ::grpc::ChannelArguments args;
  args.SetSslTargetNameOverride("localhost");  // The server's SAN.
  RunHandshakes(state, server->port, channel_creds, args);
}
BENCHMARK(BM_PlainMutualTlsTlsApi)
    ->Name("handshake/plain_mtls_tls_api")
    ->UseRealTime()
    ->Unit(benchmark::kMicrosecond);

void RegisterDefaultMraCases() {
  auto marker_identity = [](const std::string& role) {
    return TestIdentity("svc:" + role);
  };
  auto trivial = [](const std::string& /*role*/)
      -> absl::StatusOr<std::shared_ptr<const x509::PeerVerifier>> {
    return std::make_shared<TrivialVerifier>();
  };
  RegisterMraCase({"trivial", marker_identity, trivial});
  RegisterMraCase({"marker", marker_identity,
                   [](const std::string& /*role*/)
                       -> absl::StatusOr<
                           std::shared_ptr<const x509::PeerVerifier>> {
                     return std::make_shared<
                         grpc::testing::MarkerPeerVerifier>();
                   }});
  RegisterMraCase({"trivial_offload", marker_identity, trivial,
                   grpc::VerifyMode::kOffload});

  auto attested_identity = [](const std::string& role) {
    return AttestedIdentity(role);
  };
  auto attested_verifier = [](bool cached) {
    return [cached](const std::string& role) {
      return AttestedVerifier(role, cached);
    };
  };
  RegisterMraCase({"attested_warm", attested_identity, attested_verifier(true)});
  RegisterMraCase({"attested_warm_offload", attested_identity,
                   attested_verifier(true), grpc::VerifyMode::kOffload});
  RegisterMraCase(
      {"attested_cold", attested_identity, attested_verifier(false)});
}

}  // namespace
}  // namespace mra::bench

int main(int argc, char** argv) {
  // One line per accepted peer would swamp the output (and time logging
  // rather than handshakes): the attested cases' peers are simulated, which
  // mra/grpc logs at warn level, so its logger is set to error.
  spdlog::set_level(spdlog::level::warn);
  spdlog::stderr_color_mt("mra.grpc")->set_level(spdlog::level::err);
  mra::bench::RegisterDefaultMraCases();
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) {
    return 1;
  }
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  mra::bench::RemoveAttestedWorld();
  return 0;
}
