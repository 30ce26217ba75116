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
//
// The verifier and the identities are parameters (MraCase): to measure the
// attested path, register a case whose make_identity calls
// CreateAttestedCertificate and whose make_verifier returns an
// AttestedPeerVerifier with a warm cache (verify each peer once before
// timing). Time is wall-clock (UseRealTime): the work is spread over gRPC's
// threads; process_cpu_us/iter adds up the CPU of all threads (client and
// server both run in this process), the fairer cost measure on a busy host.

#include <sys/resource.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "benchmark/benchmark.h"
#include "grpcpp/grpcpp.h"
#include "spdlog/spdlog.h"
#include "src/grpc/testing/test_peers.h"

#include "mra/base/secret_bytes.h"
#include "mra/grpc/credentials.h"
#include "mra/grpc/identity.h"
#include "mra/v1/test_echo.grpc.pb.h"
#include "mra/x509/peer_identity.h"

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
  // Returns the verifier both ends use (called once per end).
  std::function<std::shared_ptr<const x509::PeerVerifier>()> make_verifier;
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
  auto server_id = grpc::StaticIdentity::Create(*std::move(server_pair));
  auto client_id = grpc::StaticIdentity::Create(*std::move(client_pair));
  if (!server_id.ok() || !client_id.ok()) {
    return fail("static identity refused");
  }
  grpc::ServerCredentialsOptions server_options;
  server_options.verify_mode = c.verify_mode;
  grpc::ChannelCredentialsOptions channel_options;
  channel_options.verify_mode = c.verify_mode;
  auto server_verifier = std::make_shared<CountingVerifier>(c.make_verifier());
  auto client_verifier = std::make_shared<CountingVerifier>(c.make_verifier());
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
  auto trivial = [] {
    return std::shared_ptr<const x509::PeerVerifier>(
        std::make_shared<TrivialVerifier>());
  };
  RegisterMraCase({"trivial", marker_identity, trivial});
  RegisterMraCase({"marker", marker_identity, [] {
                     return std::shared_ptr<const x509::PeerVerifier>(
                         std::make_shared<grpc::testing::MarkerPeerVerifier>());
                   }});
  RegisterMraCase({"trivial_offload", marker_identity, trivial,
                   grpc::VerifyMode::kOffload});
}

}  // namespace
}  // namespace mra::bench

int main(int argc, char** argv) {
  // One line per accepted peer would swamp the output.
  spdlog::set_level(spdlog::level::warn);
  mra::bench::RegisterDefaultMraCases();
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) {
    return 1;
  }
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
