// Loopback integration tests of mutually attested gRPC (mra/grpc): a real
// gRPC server and client on 127.0.0.1:0, each judging the other with a
// MarkerPeerVerifier (the certificate's CN carries a test marker; see
// src/grpc/testing/test_peers.h), standing in for AttestedPeerVerifier.

#include <atomic>
#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "spdlog/sinks/ringbuffer_sink.h"
#include "spdlog/sinks/stdout_color_sinks.h"
#include "spdlog/spdlog.h"
#include "src/grpc/peer_table_for_testing.h"
#include "src/grpc/testing/test_peers.h"

#include "mra/base/file.h"
#include "mra/base/hex.h"
#include "mra/base/verify_failure.h"
#include "mra/grpc/credentials.h"
#include "mra/grpc/identity.h"
#include "mra/grpc/manifest_reloader.h"
#include "mra/testing/status_matchers.h"
#include "mra/v1/test_echo.grpc.pb.h"

namespace mra::grpc {
namespace {

using ::mra::testing::IsOk;
using ::testing::AnyOf;
using testing::CertSha256Hex;
using ::testing::Eq;
using ::testing::HasSubstr;
using testing::MakeTestIdentity;
using testing::MarkerPeerVerifier;
using testing::TestCertOptions;

// --- Log capture -------------------------------------------------------------

// The "mra.grpc" logger is registered before mra/grpc first logs (static
// initialisation of this test binary), with a ring buffer the tests search
// and stderr for humans.
std::shared_ptr<spdlog::sinks::ringbuffer_sink_mt> LogRing() {
  static const auto ring = [] {
    auto r = std::make_shared<spdlog::sinks::ringbuffer_sink_mt>(8192);
    auto logger = std::make_shared<spdlog::logger>(
        "mra.grpc",
        spdlog::sinks_init_list{
            r, std::make_shared<spdlog::sinks::stderr_color_sink_mt>()});
    spdlog::register_logger(logger);
    return r;
  }();
  return ring;
}
const bool kLogRingInstalled = (LogRing(), true);

// LogLinesSince returns the captured lines after the first `skip`.
std::vector<std::string> AllLogLines() { return LogRing()->last_formatted(); }

bool LogContains(const std::vector<std::string>& lines, size_t from,
                 const std::vector<std::string>& needles) {
  for (size_t i = from; i < lines.size(); ++i) {
    bool all = true;
    for (const std::string& n : needles) {
      all = all && lines[i].find(n) != std::string::npos;
    }
    if (all) {
      return true;
    }
  }
  return false;
}

// --- Service and plumbing ----------------------------------------------------

// EchoService echoes, and reports who called as the handshake established it.
class EchoService final : public mra::v1::TestEcho::Service {
 public:
  ::grpc::Status Echo(::grpc::ServerContext* context,
                      const mra::v1::EchoRequest* request,
                      mra::v1::EchoReply* reply) override {
    ++calls_;
    absl::StatusOr<x509::PeerIdentity> peer = PeerFromContext(*context);
    if (peer.ok()) {
      reply->set_peer_service(peer->service);
      reply->set_peer_cert_sha256(HexEncode(peer->cert_sha256));
    } else if (GetVerifyFailure(peer.status()) !=
               VerifyFailure::kNoPeerCertificate) {
      return ::grpc::Status(::grpc::StatusCode::UNAUTHENTICATED,
                            std::string(peer.status().message()));
    }
    reply->set_message(request->message());
    return ::grpc::Status::OK;
  }
  int calls() const { return calls_.load(); }

 private:
  std::atomic<int> calls_{0};
};

struct TestServer {
  EchoService service;
  std::unique_ptr<::grpc::Server> server;
  int port = 0;

  ~TestServer() {
    if (server != nullptr) {
      server->Shutdown(std::chrono::system_clock::now() +
                       std::chrono::seconds(2));
    }
  }
};

std::unique_ptr<TestServer> StartServer(
    IdentitySource& identity,
    std::shared_ptr<const x509::PeerVerifier> verifier,
    const ServerCredentialsOptions& options = {},
    std::optional<absl::Duration> max_connection_age = std::nullopt) {
  auto creds = MakeServerCredentials(identity, std::move(verifier), options);
  EXPECT_THAT(creds, IsOk());
  if (!creds.ok()) {
    return nullptr;
  }
  auto s = std::make_unique<TestServer>();
  ::grpc::ServerBuilder builder;
  builder.AddListeningPort("127.0.0.1:0", *creds, &s->port);
  builder.RegisterService(&s->service);
  if (max_connection_age.has_value()) {
    SetMaxConnectionAge(builder, *max_connection_age, absl::Seconds(10));
  }
  s->server = builder.BuildAndStart();
  EXPECT_NE(s->server, nullptr);
  EXPECT_GT(s->port, 0);
  return s;
}

// NewChannel makes a channel with its own subchannel pool, so it opens (and
// handshakes) its own connection instead of sharing one.
std::shared_ptr<::grpc::Channel> NewChannel(
    int port, const std::shared_ptr<::grpc::ChannelCredentials>& creds) {
  ::grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  return ::grpc::CreateCustomChannel("127.0.0.1:" + std::to_string(port), creds,
                                     args);
}

struct CallResult {
  ::grpc::Status status;
  mra::v1::EchoReply reply;
  absl::StatusOr<x509::PeerIdentity> server_peer =
      absl::UnknownError("not called");
};

CallResult Call(const std::shared_ptr<::grpc::Channel>& channel,
                const std::string& message = "hello") {
  auto stub = mra::v1::TestEcho::NewStub(channel);
  ::grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::seconds(5));
  mra::v1::EchoRequest request;
  request.set_message(message);
  CallResult result;
  result.status = stub->Echo(&context, request, &result.reply);
  if (result.status.ok()) {
    result.server_peer = PeerFromContext(context);
  }
  return result;
}

std::unique_ptr<StaticIdentity> MakeStatic(
    const std::string& cn, absl::Duration lifetime = absl::Hours(1)) {
  TestCertOptions options;
  options.common_name = cn;
  options.lifetime = lifetime;
  absl::StatusOr<IdentityPair> pair = MakeTestIdentity(options);
  EXPECT_THAT(pair, IsOk());
  absl::StatusOr<std::unique_ptr<StaticIdentity>> identity =
      StaticIdentity::Create(*std::move(pair));
  EXPECT_THAT(identity, IsOk());
  return *std::move(identity);
}

std::shared_ptr<::grpc::ChannelCredentials> ClientCreds(
    IdentitySource* identity, std::shared_ptr<const x509::PeerVerifier> v,
    const ChannelCredentialsOptions& options = {}) {
  auto creds = MakeChannelCredentials(identity, std::move(v), options);
  EXPECT_THAT(creds, IsOk());
  return *creds;
}

// A refused handshake: the connection never becomes usable.
auto IsRefusedCall() {
  return AnyOf(Eq(::grpc::StatusCode::UNAVAILABLE),
               Eq(::grpc::StatusCode::UNAUTHENTICATED));
}

// --- Tests
// ---------------------------------------------------------------------

TEST(AttestedGrpcTest, MutualGoodPathBothSidesLearnThePeer) {
  auto server_id = MakeStatic("svc:storage");
  auto client_id = MakeStatic("svc:frontend");
  auto server_verifier = std::make_shared<MarkerPeerVerifier>();
  auto client_verifier = std::make_shared<MarkerPeerVerifier>();
  auto server = StartServer(*server_id, server_verifier);
  ASSERT_NE(server, nullptr);
  const size_t log_mark = AllLogLines().size();

  auto channel =
      NewChannel(server->port, ClientCreds(client_id.get(), client_verifier));
  CallResult r = Call(channel);
  ASSERT_TRUE(r.status.ok()) << r.status.error_message();
  EXPECT_EQ(r.reply.message(), "hello");
  // The handler saw the client's identity...
  EXPECT_EQ(r.reply.peer_service(), "frontend");
  EXPECT_EQ(r.reply.peer_cert_sha256(),
            CertSha256Hex(client_id->CurrentCertificatePem()));
  // ...and the client learnt the server's.
  ASSERT_THAT(r.server_peer, IsOk());
  EXPECT_EQ(r.server_peer->service, "storage");
  EXPECT_EQ(HexEncode(r.server_peer->cert_sha256),
            CertSha256Hex(server_id->CurrentCertificatePem()));
  EXPECT_EQ(server->service.calls(), 1);

  // A second call reuses the connection: no new verification.
  const uint64_t verifications = server_verifier->calls();
  ASSERT_TRUE(Call(channel).status.ok());
  EXPECT_EQ(server_verifier->calls(), verifications);

  std::vector<std::string> lines = AllLogLines();
  EXPECT_TRUE(LogContains(lines, log_mark,
                          {"peer accepted: side=server service=frontend",
                           "mrenclave=", "tcb=UpToDate", "simulation=false"}));
  EXPECT_TRUE(LogContains(lines, log_mark,
                          {"peer accepted: side=client service=storage"}));
}

// A decision that changes while a connection stays open (the manifest in
// force, here the marker verifier's allow-list) applies to the next call on
// that connection, on both sides, without a new handshake.
TEST(AttestedGrpcTest, ServerRechecksTheCallerOnEveryCall) {
  auto server_id = MakeStatic("svc:storage");
  auto client_id = MakeStatic("svc:frontend");
  auto server_verifier = std::make_shared<MarkerPeerVerifier>();
  auto server = StartServer(*server_id, server_verifier);
  ASSERT_NE(server, nullptr);
  auto channel = NewChannel(
      server->port,
      ClientCreds(client_id.get(), std::make_shared<MarkerPeerVerifier>()));
  CallResult r = Call(channel);
  ASSERT_TRUE(r.status.ok()) << r.status.error_message();
  EXPECT_EQ(r.reply.peer_service(), "frontend");
  const uint64_t handshakes = server_verifier->calls();
  const uint64_t rechecks = server_verifier->rechecks();
  const size_t log_mark = AllLogLines().size();

  server_verifier->SetAllowed({"authentication"});  // frontend revoked.
  r = Call(channel);
  EXPECT_EQ(r.status.error_code(), ::grpc::StatusCode::UNAUTHENTICATED)
      << r.status.error_message();
  EXPECT_THAT(r.status.error_message(), HasSubstr("no longer"));
  EXPECT_EQ(server_verifier->calls(), handshakes) << "not the same connection";
  EXPECT_GT(server_verifier->rechecks(), rechecks);
  EXPECT_TRUE(LogContains(AllLogLines(), log_mark,
                          {"peer refused on call: side=server",
                           "verdict=PEER_NOT_ALLOWED", "service=frontend"}));

  server_verifier->SetAllowed({});  // Readmitted by a later decision.
  EXPECT_TRUE(Call(channel).status.ok());
}

TEST(AttestedGrpcTest, ClientStopsSendingToARevokedServer) {
  auto server_id = MakeStatic("svc:storage");
  auto client_id = MakeStatic("svc:frontend");
  auto server = StartServer(*server_id, std::make_shared<MarkerPeerVerifier>());
  ASSERT_NE(server, nullptr);
  auto client_verifier = std::make_shared<MarkerPeerVerifier>();
  auto channel =
      NewChannel(server->port, ClientCreds(client_id.get(), client_verifier));
  ASSERT_TRUE(Call(channel).status.ok());
  EXPECT_EQ(server->service.calls(), 1);
  const uint64_t handshakes = client_verifier->calls();
  const size_t log_mark = AllLogLines().size();

  client_verifier->SetAllowed({"authentication"});  // storage revoked.
  CallResult r = Call(channel, "secret payload");
  // gRPC reports a refusal by call credentials as UNAVAILABLE, like a
  // refused handshake.
  EXPECT_THAT(r.status.error_code(), IsRefusedCall())
      << r.status.error_message();
  EXPECT_THAT(r.status.error_message(), HasSubstr("PEER_NOT_ALLOWED"));
  EXPECT_EQ(server->service.calls(), 1) << "the request reached the server";
  EXPECT_EQ(client_verifier->calls(), handshakes) << "not the same connection";
  EXPECT_TRUE(LogContains(AllLogLines(), log_mark,
                          {"peer refused on call: side=client",
                           "verdict=PEER_NOT_ALLOWED", "service=storage"}));

  client_verifier->SetAllowed({});
  EXPECT_TRUE(Call(channel).status.ok());
  EXPECT_EQ(server->service.calls(), 2);
}

// A client whose server certificate was evicted from the peer table (by
// thousands of newer peers) judges it again in full on its next call
// instead of failing every later call on that connection.
TEST(AttestedGrpcTest, ClientReverifiesAnEvictedServer) {
  auto server_id = MakeStatic("svc:gateway");
  ServerCredentialsOptions options;
  options.client_certificate = ClientCertificatePolicy::kOptional;
  auto server =
      StartServer(*server_id, std::make_shared<MarkerPeerVerifier>(), options);
  ASSERT_NE(server, nullptr);
  auto client_verifier = std::make_shared<MarkerPeerVerifier>();
  auto channel =
      NewChannel(server->port, ClientCreds(nullptr, client_verifier));
  ASSERT_TRUE(Call(channel).status.ok());
  const uint64_t verifications = client_verifier->calls();

  internal::ForgetAllPeersForTesting();
  CallResult r = Call(channel);
  ASSERT_TRUE(r.status.ok()) << r.status.error_message();
  ASSERT_THAT(r.server_peer, IsOk());
  EXPECT_EQ(r.server_peer->service, "gateway");
  EXPECT_EQ(client_verifier->calls(), verifications + 1);

  // Re-verification is a full verification: a server the verifier now
  // refuses is refused.
  internal::ForgetAllPeersForTesting();
  client_verifier->SetAllowed({"storage"});
  EXPECT_THAT(Call(channel).status.error_code(), IsRefusedCall());
  EXPECT_EQ(server->service.calls(), 2);
}

TEST(AttestedGrpcTest, ServerVerifierRefusalAbortsHandshake) {
  auto server_id = MakeStatic("svc:storage");
  auto server_verifier = std::make_shared<MarkerPeerVerifier>();
  server_verifier->SetAllowed({"frontend"});
  auto server = StartServer(*server_id, server_verifier);
  ASSERT_NE(server, nullptr);
  auto client_verifier = std::make_shared<MarkerPeerVerifier>();
  const size_t log_mark = AllLogLines().size();

  // A marker the verifier refuses outright, and a service outside the ACL.
  for (const char* cn : {"deny:intruder", "svc:analytics"}) {
    SCOPED_TRACE(cn);
    auto client_id = MakeStatic(cn);
    const uint64_t before = server_verifier->calls();
    CallResult r = Call(NewChannel(
        server->port, ClientCreds(client_id.get(), client_verifier)));
    EXPECT_THAT(r.status.error_code(), IsRefusedCall())
        << r.status.error_message();
    EXPECT_GT(server_verifier->calls(), before);
  }
  EXPECT_EQ(server->service.calls(), 0) << "a handler ran for a refused peer";
  EXPECT_TRUE(
      LogContains(AllLogLines(), log_mark,
                  {"peer refused: side=server", "verdict=PEER_NOT_ALLOWED"}));
}

TEST(AttestedGrpcTest, ClientVerifierRefusesServer) {
  auto client_id = MakeStatic("svc:frontend");
  auto client_verifier = std::make_shared<MarkerPeerVerifier>();
  const size_t log_mark = AllLogLines().size();
  for (const char* cn : {"deny:impostor", "no-marker"}) {
    SCOPED_TRACE(cn);
    auto server_id = MakeStatic(cn);
    auto server =
        StartServer(*server_id, std::make_shared<MarkerPeerVerifier>());
    ASSERT_NE(server, nullptr);
    CallResult r = Call(NewChannel(
        server->port, ClientCreds(client_id.get(), client_verifier)));
    EXPECT_THAT(r.status.error_code(), IsRefusedCall())
        << r.status.error_message();
    EXPECT_EQ(server->service.calls(), 0);
  }
  std::vector<std::string> lines = AllLogLines();
  EXPECT_TRUE(
      LogContains(lines, log_mark,
                  {"peer refused: side=client", "verdict=PEER_NOT_ALLOWED"}));
  EXPECT_TRUE(
      LogContains(lines, log_mark,
                  {"peer refused: side=client", "verdict=EVIDENCE_MISSING"}));
}

TEST(AttestedGrpcTest, ExpiredClientCertificateIsRefused) {
  auto server_id = MakeStatic("svc:storage");
  auto server = StartServer(*server_id, std::make_shared<MarkerPeerVerifier>());
  ASSERT_NE(server, nullptr);
  auto client_id = MakeStatic("svc:frontend", absl::Seconds(-10));
  const size_t log_mark = AllLogLines().size();
  CallResult r = Call(NewChannel(
      server->port,
      ClientCreds(client_id.get(), std::make_shared<MarkerPeerVerifier>())));
  EXPECT_THAT(r.status.error_code(), IsRefusedCall());
  EXPECT_EQ(server->service.calls(), 0);
  EXPECT_TRUE(
      LogContains(AllLogLines(), log_mark,
                  {"peer refused: side=server", "verdict=CERT_EXPIRED"}));
}

TEST(AttestedGrpcTest, ClientWithoutCertificateIsRefused) {
  auto server_id = MakeStatic("svc:storage");
  auto server = StartServer(*server_id, std::make_shared<MarkerPeerVerifier>());
  ASSERT_NE(server, nullptr);
  // One-way credentials against a server that requires client certificates.
  CallResult r = Call(
      NewChannel(server->port,
                 ClientCreds(nullptr, std::make_shared<MarkerPeerVerifier>())));
  EXPECT_THAT(r.status.error_code(), IsRefusedCall())
      << r.status.error_message();
  EXPECT_EQ(server->service.calls(), 0);
}

TEST(AttestedGrpcTest, OneWayModeForNonEnclaveClients) {
  auto server_id = MakeStatic("svc:gateway");
  ServerCredentialsOptions options;
  options.client_certificate = ClientCertificatePolicy::kOptional;
  auto server_verifier = std::make_shared<MarkerPeerVerifier>();
  auto server = StartServer(*server_id, server_verifier, options);
  ASSERT_NE(server, nullptr);
  auto client_verifier = std::make_shared<MarkerPeerVerifier>();

  // Anonymous client: admitted, the handler sees NO_PEER_CERTIFICATE, and
  // the client still verified the server.
  CallResult anonymous =
      Call(NewChannel(server->port, ClientCreds(nullptr, client_verifier)));
  ASSERT_TRUE(anonymous.status.ok()) << anonymous.status.error_message();
  EXPECT_EQ(anonymous.reply.peer_service(), "");
  ASSERT_THAT(anonymous.server_peer, IsOk());
  EXPECT_EQ(anonymous.server_peer->service, "gateway");

  // A client that presents a certificate must still pass.
  auto good_id = MakeStatic("svc:frontend");
  CallResult good = Call(
      NewChannel(server->port, ClientCreds(good_id.get(), client_verifier)));
  ASSERT_TRUE(good.status.ok()) << good.status.error_message();
  EXPECT_EQ(good.reply.peer_service(), "frontend");
  auto bad_id = MakeStatic("deny:intruder");
  const int handled = server->service.calls();
  CallResult bad = Call(
      NewChannel(server->port, ClientCreds(bad_id.get(), client_verifier)));
  EXPECT_THAT(bad.status.error_code(), IsRefusedCall());
  EXPECT_EQ(server->service.calls(), handled);

  // One-way clients still refuse a server their verifier rejects.
  auto evil_id = MakeStatic("deny:evil");
  auto evil = StartServer(*evil_id, server_verifier, options);
  ASSERT_NE(evil, nullptr);
  CallResult refused =
      Call(NewChannel(evil->port, ClientCreds(nullptr, client_verifier)));
  EXPECT_THAT(refused.status.error_code(), IsRefusedCall());
  EXPECT_EQ(evil->service.calls(), 0);
}

TEST(AttestedGrpcTest, OffloadedVerificationCompletesHandshakes) {
  auto server_id = MakeStatic("svc:storage");
  auto client_id = MakeStatic("svc:frontend");
  auto server_verifier = std::make_shared<MarkerPeerVerifier>();
  auto client_verifier = std::make_shared<MarkerPeerVerifier>();
  server_verifier->SetDelay(absl::Milliseconds(100));
  client_verifier->SetDelay(absl::Milliseconds(100));
  ServerCredentialsOptions server_options;
  server_options.verify_mode = VerifyMode::kOffload;
  ChannelCredentialsOptions client_options;
  client_options.verify_mode = VerifyMode::kOffload;
  auto server = StartServer(*server_id, server_verifier, server_options);
  ASSERT_NE(server, nullptr);

  CallResult r = Call(NewChannel(
      server->port,
      ClientCreds(client_id.get(), client_verifier, client_options)));
  ASSERT_TRUE(r.status.ok()) << r.status.error_message();
  EXPECT_EQ(r.reply.peer_service(), "frontend");
  ASSERT_THAT(r.server_peer, IsOk());
  EXPECT_EQ(r.server_peer->service, "storage");

  auto bad_id = MakeStatic("deny:intruder");
  CallResult bad =
      Call(NewChannel(server->port, ClientCreds(bad_id.get(), client_verifier,
                                                client_options)));
  EXPECT_THAT(bad.status.error_code(), IsRefusedCall());
  EXPECT_EQ(server->service.calls(), 1);
}

// A handshake flood must not start a thread per handshake: beyond
// max_offloaded_verifications in flight, a handshake is refused.
TEST(AttestedGrpcTest, OffloadedVerificationsInFlightAreCapped) {
  auto server_id = MakeStatic("svc:storage");
  auto client_id = MakeStatic("svc:frontend");
  auto server_verifier = std::make_shared<MarkerPeerVerifier>();
  server_verifier->SetDelay(absl::Seconds(1));
  ServerCredentialsOptions server_options;
  server_options.verify_mode = VerifyMode::kOffload;
  server_options.max_offloaded_verifications = 1;
  auto server = StartServer(*server_id, server_verifier, server_options);
  ASSERT_NE(server, nullptr);
  auto creds =
      ClientCreds(client_id.get(), std::make_shared<MarkerPeerVerifier>());
  const size_t log_mark = AllLogLines().size();

  CallResult first;
  std::thread slow([&] { first = Call(NewChannel(server->port, creds)); });
  // Wait until the first handshake's verification is in flight.
  for (int i = 0; i < 200 && server_verifier->calls() == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_EQ(server_verifier->calls(), 1u);
  CallResult second = Call(NewChannel(server->port, creds));
  slow.join();
  EXPECT_TRUE(first.status.ok()) << first.status.error_message();
  EXPECT_THAT(second.status.error_code(), IsRefusedCall())
      << second.status.error_message();
  EXPECT_EQ(server_verifier->calls(), 1u) << "the second was verified too";
  EXPECT_EQ(server->service.calls(), 1);
  EXPECT_TRUE(LogContains(AllLogLines(), log_mark,
                          {"peer refused: side=server",
                           "verdict=TOO_MANY_VERIFICATIONS", "in_flight=1"}));
  // Once the first is done, handshakes are verified again.
  EXPECT_TRUE(Call(NewChannel(server->port, creds)).status.ok());

  ServerCredentialsOptions zero;
  zero.max_offloaded_verifications = 0;
  EXPECT_FALSE(MakeServerCredentials(*server_id, server_verifier, zero).ok());
}

// Certificates that live 2-3 s expire many times during 8 s of calls, both on
// one long-lived channel (whose connection the server recycles every 2 s)
// and on a fresh connection every 200 ms; no call may fail, and the peers
// must actually see new certificates.
TEST(AttestedGrpcTest, RotationUnderLoadLosesNoCall) {
  auto make_factory = [](const std::string& cn) {
    return [cn]() -> absl::StatusOr<IdentityPair> {
      TestCertOptions options;
      options.common_name = cn;
      options.lifetime = absl::Seconds(3);
      options.not_before_skew = absl::ZeroDuration();
      return MakeTestIdentity(options);
    };
  };
  RotatingIdentityOptions rotation;
  rotation.lifetime = absl::Seconds(3);
  auto server_id =
      RotatingIdentity::Create(make_factory("svc:storage"), rotation);
  ASSERT_THAT(server_id, IsOk());
  auto client_id =
      RotatingIdentity::Create(make_factory("svc:frontend"), rotation);
  ASSERT_THAT(client_id, IsOk());
  auto server = StartServer(**server_id, std::make_shared<MarkerPeerVerifier>(),
                            {}, absl::Seconds(2));
  ASSERT_NE(server, nullptr);
  auto creds =
      ClientCreds(client_id->get(), std::make_shared<MarkerPeerVerifier>());

  std::mutex mu;
  std::set<std::string> server_certs_seen, client_certs_seen;
  std::vector<std::string> failures;
  std::atomic<int> ok_calls{0};
  auto record = [&](const CallResult& r) {
    std::lock_guard<std::mutex> lock(mu);
    if (!r.status.ok()) {
      failures.push_back(std::to_string(r.status.error_code()) + " " +
                         r.status.error_message());
      return;
    }
    ++ok_calls;
    client_certs_seen.insert(r.reply.peer_cert_sha256());
    if (r.server_peer.ok()) {
      server_certs_seen.insert(HexEncode(r.server_peer->cert_sha256));
    } else {
      failures.push_back("no server peer: " +
                         r.server_peer.status().ToString());
    }
  };

  const absl::Time end = absl::Now() + absl::Seconds(8);
  std::thread one_channel([&] {
    auto channel = NewChannel(server->port, creds);
    while (absl::Now() < end) {
      record(Call(channel, "stream"));
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  });
  std::thread new_connections([&] {
    while (absl::Now() < end) {
      record(Call(NewChannel(server->port, creds), "fresh"));
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
  });
  one_channel.join();
  new_connections.join();

  std::lock_guard<std::mutex> lock(mu);
  EXPECT_TRUE(failures.empty())
      << failures.size() << " failed calls, first: " << failures.front();
  EXPECT_GT(ok_calls.load(), 100);
  // Each side re-created its identity at least twice...
  EXPECT_GE((*server_id)->Generation(), 3U);
  EXPECT_GE((*client_id)->Generation(), 3U);
  // ...and the other side saw at least three distinct certificates.
  EXPECT_GE(server_certs_seen.size(), 3U);
  EXPECT_GE(client_certs_seen.size(), 3U);
  std::printf(
      "rotation: %d calls, server gen %llu, client gen %llu, "
      "%zu server certs and %zu client certs seen\n",
      ok_calls.load(),
      static_cast<unsigned long long>((*server_id)->Generation()),
      static_cast<unsigned long long>((*client_id)->Generation()),
      server_certs_seen.size(), client_certs_seen.size());
  server.reset();  // Before the identities it uses.
}

// The reloader's callback swaps the server verifier's access list, as the
// real one will swap the verified manifest: a bad reload leaves the old list
// in force; a good one changes who may connect.
TEST(AttestedGrpcTest, ManifestReloadChangesWhoMayConnect) {
  std::string dir = ::testing::TempDir() + "/mra-acl-XXXXXX";
  ASSERT_NE(::mkdtemp(dir.data()), nullptr);
  const std::string manifest = dir + "/acl.txt";
  const std::string sig = dir + "/acl.txt.sig";
  ASSERT_THAT(WriteFileAtomic(manifest, "frontend"), IsOk());
  ASSERT_THAT(WriteFileAtomic(sig, "ok:frontend"), IsOk());

  auto server_verifier = std::make_shared<MarkerPeerVerifier>();
  auto callback = [server_verifier](
                      std::string bytes,
                      std::vector<manifest::DetachedSignature> sigs) {
    if (sigs.size() != 1 || std::string(sigs[0].bytes.begin(),
                                        sigs[0].bytes.end()) != "ok:" + bytes) {
      return VerifyError(VerifyFailure::kThresholdNotMet, "bad signature");
    }
    server_verifier->SetAllowed({bytes});
    return absl::OkStatus();
  };
  ManifestReloaderOptions options;
  options.poll_interval = absl::Milliseconds(50);
  auto reloader = ManifestReloader::Create(manifest, {sig}, callback, options);
  ASSERT_THAT(reloader, IsOk());

  auto server_id = MakeStatic("svc:storage");
  auto server = StartServer(*server_id, server_verifier);
  ASSERT_NE(server, nullptr);
  auto frontend = MakeStatic("svc:frontend");
  auto backend = MakeStatic("svc:backend");
  auto client_verifier = std::make_shared<MarkerPeerVerifier>();
  auto call_as = [&](StaticIdentity& id) {
    return Call(NewChannel(server->port, ClientCreds(&id, client_verifier)))
        .status;
  };
  auto wait_for = [](const std::function<bool()>& pred) {
    const absl::Time deadline = absl::Now() + absl::Seconds(5);
    while (!pred() && absl::Now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return pred();
  };

  EXPECT_TRUE(call_as(*frontend).ok());
  EXPECT_THAT(call_as(*backend).error_code(), IsRefusedCall());

  // A new list with a bad signature: rejected, the old list stays.
  ASSERT_THAT(WriteFileAtomic(sig, "forged"), IsOk());
  ASSERT_THAT(WriteFileAtomic(manifest, "backend"), IsOk());
  ASSERT_TRUE(wait_for([&] { return (*reloader)->GetStats().rejected >= 1; }));
  EXPECT_TRUE(call_as(*frontend).ok());
  EXPECT_THAT(call_as(*backend).error_code(), IsRefusedCall());

  // Properly signed: accepted; new connections follow the new list.
  ASSERT_THAT(WriteFileAtomic(sig, "ok:backend"), IsOk());
  ASSERT_TRUE(wait_for([&] { return (*reloader)->GetStats().accepted >= 2; }));
  const int handled = server->service.calls();
  EXPECT_THAT(call_as(*frontend).error_code(), IsRefusedCall());
  EXPECT_EQ(server->service.calls(), handled);
  EXPECT_TRUE(call_as(*backend).ok());
  reloader->reset();  // Stop polling before the files go.
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace mra::grpc
