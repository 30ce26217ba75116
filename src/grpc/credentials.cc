#include "mra/grpc/credentials.h"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <exception>
#include <functional>
#include <list>
#include <map>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>
#include <unordered_map>
#include <utility>

#include "grpc/grpc_security_constants.h"
#include "grpcpp/client_context.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/security/tls_certificate_verifier.h"
#include "grpcpp/security/tls_credentials_options.h"
#include "grpcpp/server_builder.h"
#include "grpcpp/server_context.h"
#include "spdlog/spdlog.h"
#include "src/grpc/log.h"
#include "src/grpc/peer_table_for_testing.h"

#include "mra/base/hex.h"
#include "mra/base/strings.h"
#include "mra/base/verify_failure.h"
#include "mra/crypto/digest.h"

namespace mra::grpc {
namespace {

using ::grpc::experimental::ExternalCertificateVerifier;
using ::grpc::experimental::TlsCustomVerificationCheckRequest;
using x509::PeerIdentity;
using x509::PeerVerifier;

// --- Process-wide table of verified peers ------------------------------------

// RememberedPeer is a handshake verdict and the verifier that gave it (which
// rechecks it on every call).
struct RememberedPeer {
  PeerIdentity identity;
  std::shared_ptr<const PeerVerifier> verifier;
};

// PeerTable remembers, for the kMaxRememberedPeers most recently used peer
// certificates, the identity the verifier returned during the handshake.
// Keyed by SHA-256 of the leaf PEM exactly as gRPC reports it (the same
// string in the verification request and in the auth context).
class PeerTable {
 public:
  void Remember(std::string_view pem, RememberedPeer peer) {
    const crypto::Sha256Digest key = crypto::Sha256(crypto::AsBytes(pem));
    std::lock_guard<std::mutex> lock(mu_);
    auto it = index_.find(key);
    if (it != index_.end()) {
      it->second->second = std::move(peer);
      lru_.splice(lru_.begin(), lru_, it->second);
      return;
    }
    lru_.emplace_front(key, std::move(peer));
    index_.emplace(key, lru_.begin());
    while (lru_.size() > kMaxRememberedPeers) {
      index_.erase(lru_.back().first);
      lru_.pop_back();
    }
  }

  void Clear() {
    std::lock_guard<std::mutex> lock(mu_);
    index_.clear();
    lru_.clear();
  }

  std::optional<RememberedPeer> Find(std::string_view pem) {
    const crypto::Sha256Digest key = crypto::Sha256(crypto::AsBytes(pem));
    std::lock_guard<std::mutex> lock(mu_);
    auto it = index_.find(key);
    if (it == index_.end()) {
      return std::nullopt;
    }
    lru_.splice(lru_.begin(), lru_, it->second);
    return it->second->second;
  }

 private:
  struct KeyHash {
    size_t operator()(const crypto::Sha256Digest& d) const {
      size_t h = 0;
      std::memcpy(&h, d.data(), sizeof(h));
      return h;
    }
  };
  using Entry = std::pair<crypto::Sha256Digest, RememberedPeer>;

  std::mutex mu_;
  std::list<Entry> lru_;
  std::unordered_map<crypto::Sha256Digest, std::list<Entry>::iterator, KeyHash>
      index_;
};

PeerTable& Peers() {
  // Leaked on purpose: gRPC threads may still verify during static
  // destruction at exit.
  static PeerTable* const table = new PeerTable();
  return *table;
}

// --- Verdicts and logging ----------------------------------------------------

enum class Side { kServer, kClient };

std::string_view SideName(Side side) {
  // The side doing the verifying: a server judges clients and vice versa.
  return side == Side::kServer ? "server" : "client";
}

std::string HexPrefix(std::span<const uint8_t> bytes, size_t num_bytes) {
  return HexEncode(bytes.first(std::min(num_bytes, bytes.size())));
}

// Clip keeps verifier messages in logs short and single-line.
std::string Clip(std::string_view s) {
  std::string out(s.substr(0, 240));
  for (char& c : out) {
    if (c == '\n' || c == '\r') {
      c = ' ';
    }
  }
  return out;
}

// VerdictName names a refusal in logs and statuses: its VerifyFailure, or
// ERROR_<code> for a status without one.
std::string VerdictName(const absl::Status& status) {
  std::optional<VerifyFailure> failure = GetVerifyFailure(status);
  return failure.has_value()
             ? std::string(VerifyFailureName(*failure))
             : StrCat("ERROR_", absl::StatusCodeToString(status.code()));
}

// Claimed renders the subject common name a peer's certificate claims (what
// a refused peer says it is; unverified) as a short log-safe token.
std::string Claimed(std::string_view common_name) {
  constexpr size_t kMaxShown = 64;
  if (common_name.empty()) {
    return "none";
  }
  std::string out;
  for (char c : common_name.substr(0, kMaxShown)) {
    const bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                       (c >= '0' && c <= '9') || c == '-' || c == '_' ||
                       c == '.';
    out.push_back(plain ? c : '?');
  }
  return out;
}

// Decide runs the verifier on one leaf, remembers and logs the outcome, and
// returns the gRPC verdict. `claimed_cn` is the leaf's subject CN, logged
// (marked unverified) when the peer is refused.
::grpc::Status Decide(const std::shared_ptr<const PeerVerifier>& verifier,
                      const std::string& pem, Side side,
                      const std::string& target, const std::string& claimed_cn,
                      bool allow_anonymous) {
  if (pem.empty() && allow_anonymous) {
    internal::Logger().info("peer accepted: side={} anonymous=true target={}",
                            SideName(side), target);
    return ::grpc::Status::OK;
  }
  absl::StatusOr<PeerIdentity> result;
  try {
    result = verifier->Verify(pem);
  } catch (const std::exception& e) {
    result = absl::InternalError(StrCat("peer verifier threw: ", e.what()));
  } catch (...) {
    result = absl::InternalError("peer verifier threw");
  }
  if (result.ok()) {
    Peers().Remember(pem, {*result, verifier});
    const PeerIdentity& id = *result;
    const spdlog::level::level_enum level =
        id.simulation ? spdlog::level::warn : spdlog::level::info;
    internal::Logger().log(
        level,
        "peer accepted: side={} service={} mrenclave={} tcb={} "
        "simulation={} isv_svn={} manifest_version={} cert={} target={}",
        SideName(side), id.service, HexPrefix(id.mr_enclave, 8), id.tcb_status,
        id.simulation, id.isv_svn, id.manifest_version,
        HexPrefix(id.cert_sha256, 8), target);
    return ::grpc::Status::OK;
  }
  const absl::Status& status = result.status();
  const std::string verdict = VerdictName(status);
  internal::Logger().warn(
      "peer refused: side={} verdict={} claimed_cn={} target={} cert={} "
      "reason={}",
      SideName(side), verdict, Claimed(claimed_cn), target,
      pem.empty() ? std::string("none")
                  : HexPrefix(crypto::Sha256(crypto::AsBytes(pem)), 8),
      Clip(ToStd(status.message())));
  return ::grpc::Status(::grpc::StatusCode::UNAUTHENTICATED,
                        StrCat("mra: peer refused: ", verdict));
}

std::string ToString(::grpc::string_ref ref) {
  return std::string(ref.data(), ref.size());
}

// --- The verifier gRPC calls during handshakes
// ---------------------------------

// PendingCheck is one offloaded verification; exactly one of the worker and
// Cancel() completes it.
struct PendingCheck {
  std::function<void(::grpc::Status)> callback;
  bool done = false;
};

struct OffloadState {
  std::mutex mu;
  std::map<TlsCustomVerificationCheckRequest*, std::shared_ptr<PendingCheck>>
      pending;
};

class MraCertificateVerifier final : public ExternalCertificateVerifier {
 public:
  MraCertificateVerifier(std::shared_ptr<const PeerVerifier> verifier,
                         Side side, VerifyMode mode, bool allow_anonymous,
                         size_t max_offloaded)
      : verifier_(std::move(verifier)),
        side_(side),
        mode_(mode),
        allow_anonymous_(allow_anonymous),
        max_offloaded_(max_offloaded),
        offload_(std::make_shared<OffloadState>()) {}

  bool Verify(TlsCustomVerificationCheckRequest* request,
              std::function<void(::grpc::Status)> callback,
              ::grpc::Status* sync_status) override {
    std::string pem = ToString(request->peer_cert());
    std::string target = ToString(request->target_name());
    std::string claimed_cn = ToString(request->common_name());
    if (mode_ == VerifyMode::kInline) {
      *sync_status =
          Decide(verifier_, pem, side_, target, claimed_cn, allow_anonymous_);
      return true;
    }
    auto check = std::make_shared<PendingCheck>();
    check->callback = std::move(callback);
    {
      std::lock_guard<std::mutex> lock(offload_->mu);
      // A flood of handshakes must not start a thread each: beyond the cap
      // the handshake is refused, not queued (the client may retry).
      if (offload_->pending.size() >= max_offloaded_) {
        internal::Logger().warn(
            "peer refused: side={} verdict=TOO_MANY_VERIFICATIONS "
            "in_flight={} target={}",
            SideName(side_), offload_->pending.size(), target);
        *sync_status =
            ::grpc::Status(::grpc::StatusCode::UNAVAILABLE,
                           "mra: too many peer verifications in progress");
        return true;
      }
      offload_->pending[request] = check;
    }
    try {
      std::thread([state = offload_, check, request, verifier = verifier_,
                   pem = std::move(pem), target = std::move(target),
                   claimed_cn = std::move(claimed_cn), side = side_,
                   anonymous = allow_anonymous_] {
        ::grpc::Status verdict =
            Decide(verifier, pem, side, target, claimed_cn, anonymous);
        {
          std::lock_guard<std::mutex> lock(state->mu);
          if (check->done) {
            return;  // Cancelled: the callback already ran.
          }
          check->done = true;
          state->pending.erase(request);
        }
        // Runs on this worker thread, never inside Verify (gRPC's rule).
        check->callback(verdict);
      }).detach();
    } catch (const std::system_error& e) {
      {
        std::lock_guard<std::mutex> lock(offload_->mu);
        offload_->pending.erase(request);
      }
      internal::Logger().error("peer verification thread failed to start: {}",
                               e.what());
      *sync_status = Decide(verifier_, ToString(request->peer_cert()), side_,
                            ToString(request->target_name()),
                            ToString(request->common_name()), allow_anonymous_);
      return true;
    }
    return false;
  }

  // Cancel completes a pending offloaded check with CANCELLED right away
  // (the worker's later verdict is dropped), so gRPC never waits on a slow
  // verifier for a connection attempt it has abandoned.
  void Cancel(TlsCustomVerificationCheckRequest* request) override {
    std::shared_ptr<PendingCheck> check;
    {
      std::lock_guard<std::mutex> lock(offload_->mu);
      auto it = offload_->pending.find(request);
      if (it == offload_->pending.end() || it->second->done) {
        return;
      }
      check = it->second;
      check->done = true;
      offload_->pending.erase(it);
    }
    internal::Logger().info("peer verification cancelled: side={}",
                            SideName(side_));
    check->callback(::grpc::Status(::grpc::StatusCode::CANCELLED,
                                   "mra: peer verification cancelled"));
  }

 private:
  const std::shared_ptr<const PeerVerifier> verifier_;
  const Side side_;
  const VerifyMode mode_;
  const bool allow_anonymous_;
  const size_t max_offloaded_;
  const std::shared_ptr<OffloadState> offload_;
};

// PeerFromAuthContext returns the identity the handshake of `auth`'s
// connection established, rechecked now by the verifier that gave it (a
// refusal is logged for `side`, the side doing the verifying). When the
// table no longer holds the certificate (evicted), `reverify`, if given,
// judges it again in full instead of failing every later call on that
// connection.
absl::StatusOr<PeerIdentity> PeerFromAuthContext(
    const ::grpc::AuthContext* auth, Side side,
    const std::shared_ptr<const PeerVerifier>* reverify = nullptr) {
  if (auth == nullptr) {
    return absl::UnauthenticatedError("mra: call has no auth context");
  }
  std::vector<::grpc::string_ref> type =
      auth->FindPropertyValues(GRPC_TRANSPORT_SECURITY_TYPE_PROPERTY_NAME);
  // Our credentials are gRPC's TLS credentials ("tls"); "ssl" is what the
  // older SslCredentials report.
  if (type.empty() ||
      (ToString(type.front()) != GRPC_TLS_TRANSPORT_SECURITY_TYPE &&
       ToString(type.front()) != GRPC_SSL_TRANSPORT_SECURITY_TYPE)) {
    return absl::UnauthenticatedError("mra: call did not arrive over TLS");
  }
  std::vector<::grpc::string_ref> pem =
      auth->FindPropertyValues(GRPC_X509_PEM_CERT_PROPERTY_NAME);
  if (pem.empty() || pem.front().empty()) {
    return VerifyError(VerifyFailure::kNoPeerCertificate,
                       "peer presented no certificate");
  }
  std::optional<RememberedPeer> peer =
      Peers().Find(std::string_view(pem.front().data(), pem.front().size()));
  if (!peer.has_value() && reverify != nullptr) {
    const std::string leaf = ToString(pem.front());
    ::grpc::Status verdict = Decide(*reverify, leaf, side, "(re-verified)", "",
                                    /*allow_anonymous=*/false);
    if (!verdict.ok()) {
      return absl::UnauthenticatedError(verdict.error_message());
    }
    peer = Peers().Find(leaf);
  }
  if (!peer.has_value()) {
    return absl::UnauthenticatedError(
        "mra: peer certificate was not verified by mra credentials in this "
        "process (or was evicted from the peer table)");
  }
  absl::Status recheck;
  try {
    recheck = peer->verifier->Recheck(peer->identity);
  } catch (const std::exception& e) {
    recheck = absl::InternalError(StrCat("peer verifier threw: ", e.what()));
  } catch (...) {
    recheck = absl::InternalError("peer verifier threw");
  }
  if (!recheck.ok()) {
    internal::Logger().warn(
        "peer refused on call: side={} verdict={} service={} cert={} "
        "reason={}",
        SideName(side), VerdictName(recheck), peer->identity.service,
        HexPrefix(peer->identity.cert_sha256, 8),
        Clip(ToStd(recheck.message())));
    return recheck;
  }
  return std::move(peer->identity);
}

// RecheckPlugin is per-call credentials that carry no metadata: gRPC runs
// them before a client call sends anything, with the auth context of the
// connection the call is about to use, and a refusal fails the call there.
// That makes a client stop talking to a server that the current manifest
// (or allow-list) no longer admits, even on a connection that server keeps
// open.
class RecheckPlugin final : public ::grpc::MetadataCredentialsPlugin {
 public:
  explicit RecheckPlugin(std::shared_ptr<const PeerVerifier> verifier)
      : verifier_(std::move(verifier)) {}

  bool IsBlocking() const override { return false; }  // Recheck is cheap.
  const char* GetType() const override { return "mra-recheck"; }

  ::grpc::Status GetMetadata(
      ::grpc::string_ref /*service_url*/, ::grpc::string_ref /*method_name*/,
      const ::grpc::AuthContext& channel_auth_context,
      std::multimap<std::string, std::string>* /*metadata*/) override {
    absl::StatusOr<PeerIdentity> peer =
        PeerFromAuthContext(&channel_auth_context, Side::kClient, &verifier_);
    if (!peer.ok()) {
      std::optional<VerifyFailure> failure = GetVerifyFailure(peer.status());
      return ::grpc::Status(
          ::grpc::StatusCode::UNAUTHENTICATED,
          StrCat("mra: peer refused on call: ",
                 failure.has_value()
                     ? std::string(VerifyFailureName(*failure))
                     : std::string(ToStd(peer.status().message()))));
    }
    return ::grpc::Status::OK;
  }

 private:
  // Judges a server certificate again when the peer table evicted it.
  const std::shared_ptr<const PeerVerifier> verifier_;
};

}  // namespace

namespace internal {

void ForgetAllPeersForTesting() { Peers().Clear(); }

}  // namespace internal

absl::StatusOr<std::shared_ptr<::grpc::ServerCredentials>>
MakeServerCredentials(IdentitySource& identity,
                      std::shared_ptr<const PeerVerifier> verifier,
                      const ServerCredentialsOptions& options) {
  if (verifier == nullptr) {
    return absl::InvalidArgumentError("MakeServerCredentials: null verifier");
  }
  if (options.max_offloaded_verifications == 0) {
    return absl::InvalidArgumentError(
        "MakeServerCredentials: max_offloaded_verifications must be >= 1");
  }
  auto provider = identity.CertificateProvider();
  if (provider == nullptr) {
    return absl::InvalidArgumentError(
        "MakeServerCredentials: identity has no certificate provider");
  }
  const bool require =
      options.client_certificate == ClientCertificatePolicy::kRequire;
  // One options object per credentials object (gRPC 1.51 moves its C
  // state into the credentials).
  ::grpc::experimental::TlsServerCredentialsOptions tls(std::move(provider));
  tls.watch_identity_key_cert_pairs();
  tls.set_cert_request_type(
      require ? GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_BUT_DONT_VERIFY
              : GRPC_SSL_REQUEST_CLIENT_CERTIFICATE_BUT_DONT_VERIFY);
  tls.set_certificate_verifier(
      ExternalCertificateVerifier::Create<MraCertificateVerifier>(
          std::move(verifier), Side::kServer, options.verify_mode,
          /*allow_anonymous=*/!require, options.max_offloaded_verifications));
  std::shared_ptr<::grpc::ServerCredentials> creds =
      ::grpc::experimental::TlsServerCredentials(tls);
  if (creds == nullptr) {
    return absl::InternalError("gRPC refused the TLS server credentials");
  }
  return creds;
}

absl::StatusOr<std::shared_ptr<::grpc::ChannelCredentials>>
MakeChannelCredentials(IdentitySource* identity,
                       std::shared_ptr<const PeerVerifier> verifier,
                       const ChannelCredentialsOptions& options) {
  if (verifier == nullptr) {
    return absl::InvalidArgumentError("MakeChannelCredentials: null verifier");
  }
  if (options.max_offloaded_verifications == 0) {
    return absl::InvalidArgumentError(
        "MakeChannelCredentials: max_offloaded_verifications must be >= 1");
  }
  ::grpc::experimental::TlsChannelCredentialsOptions tls;
  if (identity != nullptr) {
    auto provider = identity->CertificateProvider();
    if (provider == nullptr) {
      return absl::InvalidArgumentError(
          "MakeChannelCredentials: identity has no certificate provider");
    }
    tls.set_certificate_provider(std::move(provider));
    tls.watch_identity_key_cert_pairs();
  }
  // Our verifier is the only judge: the peer certificate is self-signed and
  // carries its own evidence; there is no CA chain or host name to check.
  tls.set_verify_server_certs(false);
  tls.set_check_call_host(false);
  std::shared_ptr<::grpc::CallCredentials> recheck =
      ::grpc::MetadataCredentialsFromPlugin(
          std::make_unique<RecheckPlugin>(verifier));
  tls.set_certificate_verifier(
      ExternalCertificateVerifier::Create<MraCertificateVerifier>(
          std::move(verifier), Side::kClient, options.verify_mode,
          /*allow_anonymous=*/false, options.max_offloaded_verifications));
  std::shared_ptr<::grpc::ChannelCredentials> tls_creds =
      ::grpc::experimental::TlsCredentials(tls);
  if (tls_creds == nullptr || recheck == nullptr) {
    return absl::InternalError("gRPC refused the TLS channel credentials");
  }
  std::shared_ptr<::grpc::ChannelCredentials> creds =
      ::grpc::CompositeChannelCredentials(tls_creds, recheck);
  if (creds == nullptr) {
    return absl::InternalError("gRPC refused the composite credentials");
  }
  return creds;
}

absl::StatusOr<PeerIdentity> PeerFromContext(
    const ::grpc::ServerContext& context) {
  return PeerFromAuthContext(context.auth_context().get(), Side::kServer);
}

absl::StatusOr<PeerIdentity> PeerFromContext(
    const ::grpc::ClientContext& context) {
  return PeerFromAuthContext(context.auth_context().get(), Side::kClient);
}

void SetMaxConnectionAge(::grpc::ServerBuilder& builder, absl::Duration max_age,
                         absl::Duration grace) {
  auto to_ms = [](absl::Duration d) {
    int64_t ms = absl::ToInt64Milliseconds(d);
    return static_cast<int>(std::clamp<int64_t>(ms, 1, INT32_MAX));
  };
  builder.AddChannelArgument(GRPC_ARG_MAX_CONNECTION_AGE_MS, to_ms(max_age));
  builder.AddChannelArgument(GRPC_ARG_MAX_CONNECTION_AGE_GRACE_MS,
                             to_ms(grace));
}

}  // namespace mra::grpc
