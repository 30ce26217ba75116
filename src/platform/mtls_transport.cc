// Copyright The mra Authors.
//
// The plain mutual-TLS transport for benchmarks only (see
// src/platform/internal/mtls_transport.h).

#include "src/platform/internal/mtls_transport.h"

#include <openssl/pem.h>

#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server_builder.h"
#include "grpcpp/server_context.h"
#include "spdlog/spdlog.h"
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "mra/base/file.h"
#include "mra/base/secret_bytes.h"
#include "mra/base/status.h"
#include "mra/base/strings.h"
#include "mra/crypto/openssl_ptr.h"
#include "mra/grpc/credentials.h"

namespace mra::platform::internal {
namespace {

constexpr size_t kMaxPemLen = 64 * 1024;
constexpr std::string_view kClientName = "mra-client";

void Cleanse(char* data, size_t len) { mra::internal::Cleanse(data, len); }

// ScopedPem is a key PEM copied into an ordinary string for gRPC's options;
// the copy is cleansed when it goes out of scope.
class ScopedPem {
 public:
  explicit ScopedPem(const SecretBytes& key)
      : text_(key.UnsafeView(SecretAccess::Get())) {}
  ~ScopedPem() { Cleanse(text_.data(), text_.size()); }
  ScopedPem(const ScopedPem&) = delete;
  ScopedPem& operator=(const ScopedPem&) = delete;
  const std::string& text() const { return text_; }

 private:
  std::string text_;
};

// Files is what DIR holds for one party.
struct Files {
  std::string ca_pem;
  std::string cert_pem;  // Empty for the client.
  SecretBytes key_pem;   // Empty for the client.
};

absl::StatusOr<std::string> ReadPem(const std::filesystem::path& path) {
  absl::StatusOr<std::string> text = ReadFileBounded(path.string(), kMaxPemLen);
  if (!text.ok()) {
    return absl::Status(
        text.status().code(),
        StrCat("--plain-mtls-for-benchmarks: ", path.string(), ": ",
               ToStd(text.status().message()),
               " (bench/platform_load.sh creates these files)"));
  }
  return text;
}

absl::StatusOr<crypto::X509Ptr> ParseCert(const std::string& pem,
                                          const std::string& what) {
  crypto::BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (bio == nullptr ||
      pem.find("-----BEGIN CERTIFICATE-----") == std::string::npos) {
    return absl::InvalidArgumentError(
        StrCat("--plain-mtls-for-benchmarks: ", what,
               " is not a PEM "
               "certificate"));
  }
  crypto::X509Ptr cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  if (cert == nullptr) {
    return absl::InvalidArgumentError(StrCat(
        "--plain-mtls-for-benchmarks: ", what, " is not a PEM certificate"));
  }
  return cert;
}

// LoadFiles reads DIR/ca.pem and, for a service, DIR/<self>.pem and .key,
// and checks that the key matches the certificate, that the certificate
// names `self` and that the CA signed it.
absl::StatusOr<Files> LoadFiles(const std::string& dir, std::string_view self,
                                bool client) {
  std::filesystem::path base(dir);
  Files files;
  MRA_ASSIGN_OR_RETURN(files.ca_pem, ReadPem(base / "ca.pem"));
  MRA_ASSIGN_OR_RETURN(crypto::X509Ptr ca,
                       ParseCert(files.ca_pem, (base / "ca.pem").string()));
  if (client) {
    return files;
  }
  const std::string cert_path = (base / StrCat(self, ".pem")).string();
  const std::string key_path = (base / StrCat(self, ".key")).string();
  MRA_ASSIGN_OR_RETURN(files.cert_pem, ReadPem(cert_path));
  MRA_ASSIGN_OR_RETURN(std::string key_text, ReadPem(key_path));
  files.key_pem = SecretBytes(key_text);
  Cleanse(key_text.data(), key_text.size());

  MRA_ASSIGN_OR_RETURN(crypto::X509Ptr cert,
                       ParseCert(files.cert_pem, cert_path));
  {
    ScopedPem key(files.key_pem);
    crypto::BioPtr bio(BIO_new_mem_buf(key.text().data(),
                                       static_cast<int>(key.text().size())));
    crypto::EvpPkeyPtr pkey(
        bio == nullptr
            ? nullptr
            : PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
    if (pkey == nullptr ||
        X509_check_private_key(cert.get(), pkey.get()) != 1) {
      return absl::InvalidArgumentError(
          StrCat("--plain-mtls-for-benchmarks: ", key_path,
                 " is not the private key of ", cert_path));
    }
  }
  const std::string name(self);
  if (X509_check_host(cert.get(), name.data(), name.size(), 0, nullptr) != 1) {
    return absl::InvalidArgumentError(
        StrCat("--plain-mtls-for-benchmarks: ", cert_path,
               " does not name the service '", self, "'"));
  }
  crypto::EvpPkeyPtr ca_key(X509_get_pubkey(ca.get()));
  if (ca_key == nullptr || X509_verify(cert.get(), ca_key.get()) != 1) {
    return absl::InvalidArgumentError(
        StrCat("--plain-mtls-for-benchmarks: ", cert_path, " is not signed by ",
               (base / "ca.pem").string()));
  }
  return files;
}

// Channels is the client half: one SslCredentials object per process side
// (like the attested transport's cached per-target credentials), and the
// dialled service name checked against the server's certificate.
class Channels {
 public:
  explicit Channels(const Files& files) {
    ::grpc::SslCredentialsOptions options;
    options.pem_root_certs = files.ca_pem;
    if (!files.cert_pem.empty()) {
      ScopedPem key(files.key_pem);
      options.pem_private_key = key.text();
      options.pem_cert_chain = files.cert_pem;
      credentials_ = ::grpc::SslCredentials(options);
      Cleanse(options.pem_private_key.data(), options.pem_private_key.size());
    } else {
      credentials_ = ::grpc::SslCredentials(options);
    }
  }

  std::shared_ptr<::grpc::ChannelCredentials> credentials() const {
    return credentials_;
  }

  static std::shared_ptr<::grpc::Channel> Dial(
      const std::shared_ptr<::grpc::ChannelCredentials>& credentials,
      std::string_view target_service, const std::string& address) {
    ::grpc::ChannelArguments args;
    // The server's certificate must name the service we dialled.
    args.SetSslTargetNameOverride(std::string(target_service));
    return ::grpc::CreateCustomChannel(address, credentials, args);
  }

 private:
  std::shared_ptr<::grpc::ChannelCredentials> credentials_;
};

class PlainMtlsTransport final : public Transport {
 public:
  PlainMtlsTransport(const DeploymentConfig& config, const ServiceAcl& acl,
                     const Files& files)
      : config_(config), acl_(acl), channels_(files) {
    ::grpc::SslServerCredentialsOptions options(
        acl.anonymous_clients
            ? GRPC_SSL_REQUEST_CLIENT_CERTIFICATE_AND_VERIFY
            : GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
    options.pem_root_certs = files.ca_pem;
    ScopedPem key(files.key_pem);
    options.pem_key_cert_pairs.push_back({key.text(), files.cert_pem});
    server_credentials_ = ::grpc::SslServerCredentials(options);
    for (auto& pair : options.pem_key_cert_pairs) {
      Cleanse(pair.private_key.data(), pair.private_key.size());
    }
  }

  std::string_view Describe() const override { return kPlainMtlsDescription; }

  std::shared_ptr<::grpc::ChannelCredentials> ChannelCredentials(
      std::string_view target_service) override {
    if (!acl_.AllowsOutbound(target_service)) {
      return nullptr;
    }
    return channels_.credentials();
  }

  absl::StatusOr<std::shared_ptr<::grpc::Channel>> Dial(
      std::string_view target_service, const std::string& address) override {
    std::shared_ptr<::grpc::ChannelCredentials> credentials =
        ChannelCredentials(target_service);
    if (credentials == nullptr) {
      return absl::PermissionDeniedError(
          StrCat(acl_.self, " may not reach service '", target_service, "'"));
    }
    return Channels::Dial(credentials, target_service, address);
  }

  std::shared_ptr<::grpc::ServerCredentials> ServerCredentials() override {
    return server_credentials_;
  }

  void ConfigureServer(::grpc::ServerBuilder& builder) override {
    // As the attested transport, so both runs reconnect alike.
    grpc::SetMaxConnectionAge(builder, config_.policy.cert_lifetime);
  }

  // PeerService: the CN of a certificate gRPC verified against the test CA,
  // when it names a platform service.
  std::optional<std::string> PeerService(
      const ::grpc::ServerContext& context) const override {
    std::shared_ptr<const ::grpc::AuthContext> auth = context.auth_context();
    if (auth == nullptr || !auth->IsPeerAuthenticated()) {
      return std::nullopt;
    }
    std::vector<::grpc::string_ref> type =
        auth->FindPropertyValues(GRPC_TRANSPORT_SECURITY_TYPE_PROPERTY_NAME);
    std::vector<::grpc::string_ref> cn =
        auth->FindPropertyValues(GRPC_X509_CN_PROPERTY_NAME);
    if (type.size() != 1 ||
        std::string_view(type[0].data(), type[0].size()) !=
            GRPC_SSL_TRANSPORT_SECURITY_TYPE ||
        cn.size() != 1) {
      return std::nullopt;
    }
    std::string_view name(cn[0].data(), cn[0].size());
    for (std::string_view service : kPlatformServices) {
      if (name == service) {
        return std::string(name);
      }
    }
    return std::nullopt;
  }

  std::string DescribePeer(
      const ::grpc::ServerContext& context) const override {
    std::optional<std::string> service = PeerService(context);
    return StrCat(service.has_value() ? *service : std::string("anonymous"),
                  " (test-CA certificate, NOT ATTESTED) addr=", context.peer());
  }

 private:
  const DeploymentConfig& config_;
  const ServiceAcl& acl_;
  Channels channels_;
  std::shared_ptr<::grpc::ServerCredentials> server_credentials_;
};

class PlainMtlsTransportBuilder final : public TransportBuilder {
 public:
  PlainMtlsTransportBuilder(const DeploymentConfig& config,
                            const ServiceAcl& acl, std::string dir)
      : config_(config), acl_(acl), dir_(std::move(dir)) {}

  std::string_view Describe() const override { return kPlainMtlsDescription; }

  absl::Status AttestSelf() override {
    spdlog::warn(
        "attest: SKIPPED service={} transport=PLAIN-MTLS-FOR-BENCHMARKS "
        "dir={}: NO ATTESTATION. Peers are judged only by certificates of a "
        "test CA, which prove nothing about the code behind them. For the "
        "load-test baseline only; never deploy this.",
        acl_.self, dir_);
    MRA_ASSIGN_OR_RETURN(files_, LoadFiles(dir_, acl_.self, false));
    return absl::OkStatus();
  }

  absl::StatusOr<std::unique_ptr<Transport>> Build(
      std::shared_ptr<const manifest::VerifiedManifest> /*manifest*/) override {
    if (!files_.has_value()) {
      return absl::FailedPreconditionError(
          "Build before a successful AttestSelf");
    }
    spdlog::warn(
        "transport ready service={} transport=PLAIN-MTLS-FOR-BENCHMARKS "
        "inbound=[{}] outbound=[{}] anonymous_clients={} (NOT ATTESTED)",
        acl_.self, fmt::join(acl_.inbound, ","), fmt::join(acl_.outbound, ","),
        acl_.anonymous_clients);
    return std::unique_ptr<Transport>(
        std::make_unique<PlainMtlsTransport>(config_, acl_, *files_));
  }

 private:
  const DeploymentConfig& config_;
  const ServiceAcl& acl_;
  const std::string dir_;
  std::optional<Files> files_;
};

class PlainMtlsClientFactory final : public ChannelFactory {
 public:
  explicit PlainMtlsClientFactory(const Files& files) : channels_(files) {}

  std::string_view Describe() const override { return kPlainMtlsDescription; }

  std::shared_ptr<::grpc::ChannelCredentials> ChannelCredentials(
      std::string_view target_service) override {
    if (target_service != kFrontendService) {
      return nullptr;
    }
    return channels_.credentials();
  }

  absl::StatusOr<std::shared_ptr<::grpc::Channel>> Dial(
      std::string_view target_service, const std::string& address) override {
    std::shared_ptr<::grpc::ChannelCredentials> credentials =
        ChannelCredentials(target_service);
    if (credentials == nullptr) {
      return absl::PermissionDeniedError(
          StrCat(kClientName, " may not reach service '", target_service, "'"));
    }
    return Channels::Dial(credentials, target_service, address);
  }

 private:
  Channels channels_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<TransportBuilder>>
MakePlainMtlsTransportBuilderForBenchmarks(const DeploymentConfig& config,
                                           const ServiceAcl& acl,
                                           std::string dir) {
  if (dir.empty()) {
    return absl::InvalidArgumentError(
        "--plain-mtls-for-benchmarks needs a certificate directory");
  }
  if (!acl.IsValid()) {
    return absl::InvalidArgumentError("invalid service ACL");
  }
  return std::make_unique<PlainMtlsTransportBuilder>(config, acl,
                                                     std::move(dir));
}

absl::StatusOr<std::unique_ptr<ChannelFactory>>
MakePlainMtlsClientChannelFactoryForBenchmarks(std::string dir) {
  if (dir.empty()) {
    return absl::InvalidArgumentError(
        "--plain-mtls-for-benchmarks needs a certificate directory");
  }
  MRA_ASSIGN_OR_RETURN(Files files, LoadFiles(dir, kClientName, true));
  spdlog::warn(
      "client transport=PLAIN-MTLS-FOR-BENCHMARKS dir={}: the frontend is NOT "
      "attested, only its test-CA certificate is checked",
      dir);
  return std::unique_ptr<ChannelFactory>(
      std::make_unique<PlainMtlsClientFactory>(files));
}

}  // namespace mra::platform::internal
