#include "mra/grpc/manifest_reloader.h"

#include <signal.h>
#include <sys/stat.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <exception>
#include <utility>

#include "absl/time/clock.h"
#include "openssl/evp.h"
#include "spdlog/spdlog.h"
#include "src/grpc/log.h"

#include "mra/base/file.h"
#include "mra/base/hex.h"
#include "mra/base/status.h"
#include "mra/base/strings.h"
#include "mra/crypto/openssl_ptr.h"

namespace mra::grpc {
namespace {

// --- SIGHUP ------------------------------------------------------------------

std::atomic<uint64_t> g_sighup_count{0};
static_assert(std::atomic<uint64_t>::is_always_lock_free,
              "the SIGHUP handler needs a lock-free counter");
struct sigaction g_previous_sighup {};

void OnSighup(int signo, siginfo_t* info, void* uctx) {
  g_sighup_count.fetch_add(1, std::memory_order_relaxed);
  // Chain to a handler the application installed before us.
  if ((g_previous_sighup.sa_flags & SA_SIGINFO) != 0) {
    if (g_previous_sighup.sa_sigaction != nullptr) {
      g_previous_sighup.sa_sigaction(signo, info, uctx);
    }
  } else if (g_previous_sighup.sa_handler != SIG_DFL &&
             g_previous_sighup.sa_handler != SIG_IGN &&
             g_previous_sighup.sa_handler != nullptr) {
    g_previous_sighup.sa_handler(signo);
  }
}

absl::Status InstallSighupHandlerOnce() {
  static const absl::Status status = [] {
    struct sigaction sa {};
    sa.sa_sigaction = OnSighup;
    sa.sa_flags = SA_SIGINFO | SA_RESTART;
    sigemptyset(&sa.sa_mask);
    if (::sigaction(SIGHUP, &sa, &g_previous_sighup) != 0) {
      return absl::InternalError(
          StrCat("sigaction(SIGHUP): ", std::strerror(errno)));
    }
    return absl::OkStatus();
  }();
  return status;
}

// --- Change detection --------------------------------------------------------

// Stamp summarises what stat(2) says about one file; "missing" when absent.
std::string Stamp(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    return errno == ENOENT ? std::string("missing") : StrCat("error:", errno);
  }
  return StrCat(st.st_dev, ":", st.st_ino, ":", st.st_size, ":",
                st.st_mtim.tv_sec, ".", st.st_mtim.tv_nsec, ":",
                st.st_ctim.tv_sec, ".", st.st_ctim.tv_nsec);
}

// ContentHasher hashes length-framed parts, so moving bytes between the
// manifest and a signature changes the hash.
class ContentHasher {
 public:
  ContentHasher() : ctx_(EVP_MD_CTX_new()) {
    ok_ = ctx_ != nullptr &&
          EVP_DigestInit_ex(ctx_.get(), EVP_sha256(), nullptr) == 1;
  }
  void Add(char tag, std::span<const uint8_t> bytes) {
    uint8_t frame[9] = {static_cast<uint8_t>(tag)};
    uint64_t len = bytes.size();
    for (int i = 0; i < 8; ++i) {
      frame[1 + i] = static_cast<uint8_t>(len >> (8 * i));
    }
    ok_ = ok_ && EVP_DigestUpdate(ctx_.get(), frame, sizeof(frame)) == 1 &&
          EVP_DigestUpdate(ctx_.get(), bytes.data(), bytes.size()) == 1;
  }
  absl::StatusOr<crypto::Sha256Digest> Finish() {
    crypto::Sha256Digest out{};
    unsigned int out_len = 0;
    if (!ok_ || EVP_DigestFinal_ex(ctx_.get(), out.data(), &out_len) != 1 ||
        out_len != out.size()) {
      return crypto::OpenSslError("manifest reload: SHA-256");
    }
    return out;
  }

 private:
  crypto::EvpMdCtxPtr ctx_;
  bool ok_ = false;
};

std::span<const uint8_t> Bytes(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

}  // namespace

ManifestReloader::ManifestReloader(std::string manifest_path,
                                   std::vector<std::string> signature_paths,
                                   VerifyAndSwap callback,
                                   ManifestReloaderOptions options)
    : manifest_path_(std::move(manifest_path)),
      signature_paths_(std::move(signature_paths)),
      callback_(std::move(callback)),
      options_(std::move(options)) {}

absl::StatusOr<std::unique_ptr<ManifestReloader>> ManifestReloader::Create(
    std::string manifest_path, std::vector<std::string> signature_paths,
    VerifyAndSwap callback, ManifestReloaderOptions options) {
  if (manifest_path.empty()) {
    return absl::InvalidArgumentError("ManifestReloader: empty manifest path");
  }
  for (const std::string& p : signature_paths) {
    if (p.empty()) {
      return absl::InvalidArgumentError(
          "ManifestReloader: empty signature path");
    }
  }
  if (options.list_signatures && !signature_paths.empty()) {
    return absl::InvalidArgumentError(
        "ManifestReloader: give signature_paths or list_signatures, not both");
  }
  if (signature_paths.size() > manifest::kMaxSignatures) {
    return absl::InvalidArgumentError(StrCat("ManifestReloader: more than ",
                                             manifest::kMaxSignatures,
                                             " signature files"));
  }
  if (!callback) {
    return absl::InvalidArgumentError("ManifestReloader: null callback");
  }
  if (options.poll_interval < absl::ZeroDuration() ||
      options.signal_latency <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError(
        "ManifestReloader: negative poll_interval or signal_latency <= 0");
  }
  if (options.reload_on_sighup) {
    MRA_RETURN_IF_ERROR(InstallSighupHandlerOnce());
  }
  std::unique_ptr<ManifestReloader> self(
      new ManifestReloader(std::move(manifest_path), std::move(signature_paths),
                           std::move(callback), std::move(options)));
  self->sighup_seen_ = g_sighup_count.load(std::memory_order_relaxed);
  if (self->options_.load_on_create) {
    MRA_RETURN_IF_ERROR(self->CheckNow(/*force=*/true));
  }
  self->thread_ = std::thread([raw = self.get()] { raw->Run(); });
  return self;
}

ManifestReloader::~ManifestReloader() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) {
    thread_.join();
  }
}

void ManifestReloader::RequestReload() {
  reload_requested_.store(true, std::memory_order_relaxed);
}

absl::Status ManifestReloader::CheckNow(bool force) {
  std::lock_guard<std::mutex> lock(check_mu_);
  return CheckLocked(force);
}

ManifestReloader::Stats ManifestReloader::GetStats() const {
  std::lock_guard<std::mutex> lock(mu_);
  return stats_;
}

absl::Status ManifestReloader::CheckLocked(bool force) {
  auto read_error = [this](const absl::Status& status) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      ++stats_.read_errors;
      stats_.last_error = status.ToString();
    }
    internal::Logger().warn(
        "manifest reload rejected: cannot read the files ({}); the manifest "
        "in force stays",
        status.ToString());
    return status;
  };

  std::vector<std::string> signature_paths = signature_paths_;
  if (options_.list_signatures) {
    absl::StatusOr<std::vector<std::string>> listed =
        options_.list_signatures();
    absl::Status list_status = listed.status();
    if (list_status.ok() && listed->size() > manifest::kMaxSignatures) {
      list_status = absl::InvalidArgumentError(
          StrCat(listed->size(), " signature files; at most ",
                 manifest::kMaxSignatures, " are considered"));
    }
    if (!list_status.ok()) {
      // Reported once per distinct error, like a read error after a change.
      std::vector<std::string> stamps = {
          StrCat("list-error:", list_status.ToString())};
      if (!force && stamps == stamps_) {
        return absl::OkStatus();
      }
      stamps_ = std::move(stamps);
      return read_error(list_status);
    }
    signature_paths = *std::move(listed);
  }

  // Each stamp names its file, so a signature file listed anew is a change.
  std::vector<std::string> stamps;
  stamps.reserve(1 + signature_paths.size());
  stamps.push_back(StrCat(manifest_path_, "=", Stamp(manifest_path_)));
  for (const std::string& p : signature_paths) {
    stamps.push_back(StrCat(p, "=", Stamp(p)));
  }
  if (!force && !retry_pending_ && stamps == stamps_) {
    return absl::OkStatus();
  }
  stamps_ = std::move(stamps);

  {
    std::lock_guard<std::mutex> lock(mu_);
    ++stats_.checks;
  }
  absl::StatusOr<std::string> manifest_bytes =
      ReadFileBounded(manifest_path_, options_.max_manifest_len);
  if (!manifest_bytes.ok()) {
    return read_error(manifest_bytes.status());
  }
  ContentHasher hasher;
  hasher.Add('m', Bytes(*manifest_bytes));
  std::vector<manifest::DetachedSignature> signatures;
  for (const std::string& path : signature_paths) {
    absl::StatusOr<std::string> sig =
        ReadFileBounded(path, options_.max_signature_len);
    if (absl::IsNotFound(sig.status())) {
      hasher.Add('-', {});
      continue;  // Not (yet) there: it simply does not count.
    }
    if (!sig.ok()) {
      return read_error(sig.status());
    }
    hasher.Add('s', Bytes(*sig));
    signatures.push_back(manifest::DetachedSignature{
        path, std::vector<uint8_t>(sig->begin(), sig->end())});
  }
  MRA_ASSIGN_OR_RETURN(crypto::Sha256Digest digest, hasher.Finish());
  if (!force && !retry_pending_ && have_offered_ && digest == offered_sha256_) {
    return absl::OkStatus();  // Touched, not changed.
  }

  const size_t num_signatures = signatures.size();
  absl::Status status;
  try {
    status = callback_(*std::move(manifest_bytes), std::move(signatures));
  } catch (const std::exception& e) {
    status = absl::InternalError(StrCat("reload callback threw: ", e.what()));
  } catch (...) {
    status = absl::InternalError("reload callback threw");
  }
  const std::string digest_hex =
      HexEncode(std::span<const uint8_t>(digest).first(8));
  if (status.ok()) {
    // Accepted: offered again only once the content changes (or on force).
    have_offered_ = true;
    offered_sha256_ = digest;
    retry_pending_ = false;
    last_rejection_.clear();
    {
      std::lock_guard<std::mutex> lock(mu_);
      ++stats_.accepted;
      stats_.accepted_sha256 = digest;
    }
    internal::Logger().info(
        "manifest reload accepted: content={} signatures={} path={}",
        digest_hex, num_signatures, manifest_path_);
  } else {
    // Rejected: offered again at the next check, in case the cause was
    // transient. The same content refused for the same reason is logged at
    // debug level only, so a bad manifest left in place does not flood the
    // log once per poll.
    std::string rejection = StrCat(digest_hex, " ", status.ToString());
    const bool repeated = retry_pending_ && rejection == last_rejection_;
    retry_pending_ = true;
    last_rejection_ = std::move(rejection);
    {
      std::lock_guard<std::mutex> lock(mu_);
      ++stats_.rejected;
      stats_.last_error = status.ToString();
    }
    internal::Logger().log(
        repeated ? spdlog::level::debug : spdlog::level::warn,
        "manifest reload rejected: content={} signatures={} path={} "
        "reason={}; the manifest in force stays{}",
        digest_hex, num_signatures, manifest_path_, status.ToString(),
        repeated ? " (again)" : "; retried at the next check");
  }
  return status;
}

void ManifestReloader::Run() {
  const bool polling = options_.poll_interval > absl::ZeroDuration();
  const absl::Duration tick =
      polling ? std::min(options_.poll_interval, options_.signal_latency)
              : options_.signal_latency;
  absl::Time next_poll = absl::Now() + options_.poll_interval;
  std::unique_lock<std::mutex> lock(mu_);
  while (!stopping_) {
    cv_.wait_for(lock, absl::ToChronoNanoseconds(tick));
    if (stopping_) {
      break;
    }
    bool force = reload_requested_.exchange(false, std::memory_order_relaxed);
    if (options_.reload_on_sighup) {
      uint64_t count = g_sighup_count.load(std::memory_order_relaxed);
      if (count != sighup_seen_) {
        sighup_seen_ = count;
        force = true;
      }
    }
    const absl::Time now = absl::Now();
    const bool poll_due = polling && now >= next_poll;
    if (!force && !poll_due) {
      continue;
    }
    if (poll_due) {
      next_poll = now + options_.poll_interval;
    }
    lock.unlock();
    absl::Status ignored = CheckNow(force);  // Logged and counted inside.
    (void)ignored;
    lock.lock();
  }
}

}  // namespace mra::grpc
