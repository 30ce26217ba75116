#include "mra/grpc/identity.h"

#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/pem.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <ctime>
#include <exception>
#include <filesystem>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/time/clock.h"
#include "grpcpp/security/tls_certificate_provider.h"
#include "spdlog/spdlog.h"
#include "src/grpc/log.h"
#include <openssl/asn1.h>
#include <openssl/x509.h>

#include "mra/base/status.h"
#include "mra/base/strings.h"
#include "mra/crypto/openssl_ptr.h"

namespace mra::grpc {
namespace {

using ::grpc::experimental::CertificateProviderInterface;
using ::grpc::experimental::FileWatcherCertificateProvider;
using ::grpc::experimental::IdentityKeyCertPair;
using ::grpc::experimental::StaticDataCertificateProvider;

// Never prompts for a passphrase (OpenSSL's default callback reads the tty).
int NoPassphrase(char* /*buf*/, int /*size*/, int /*rwflag*/, void* /*u*/) {
  return 0;
}

crypto::BioPtr MemBio(std::string_view data) {
  return crypto::BioPtr(
      BIO_new_mem_buf(data.data(), static_cast<int>(data.size())));
}

// CheckedPair is what we learn from validating a pair.
struct CheckedPair {
  absl::Time not_after;
};

// CheckPair parses the leaf certificate and the key and checks they match.
absl::StatusOr<CheckedPair> CheckPair(const IdentityPair& pair) {
  std::string_view key = pair.private_key_pem.UnsafeView(SecretAccess::Get());
  if (pair.certificate_pem.empty() || key.empty()) {
    return absl::InvalidArgumentError("identity: empty certificate or key PEM");
  }
  if (pair.certificate_pem.size() > (size_t{1} << 20) ||
      key.size() > (size_t{1} << 16)) {
    return absl::InvalidArgumentError("identity: PEM too large");
  }
  if (pair.certificate_pem.find("-----BEGIN CERTIFICATE-----") ==
      std::string::npos) {
    return absl::InvalidArgumentError("identity: certificate is not PEM");
  }
  crypto::BioPtr cert_bio = MemBio(pair.certificate_pem);
  crypto::BioPtr key_bio = MemBio(key);
  if (cert_bio == nullptr || key_bio == nullptr) {
    return crypto::OpenSslError("identity: BIO_new_mem_buf");
  }
  crypto::X509Ptr cert(
      PEM_read_bio_X509(cert_bio.get(), nullptr, NoPassphrase, nullptr));
  if (cert == nullptr) {
    crypto::ClearOpenSslErrors();
    return absl::InvalidArgumentError("identity: certificate does not parse");
  }
  crypto::EvpPkeyPtr pkey(
      PEM_read_bio_PrivateKey(key_bio.get(), nullptr, NoPassphrase, nullptr));
  if (pkey == nullptr) {
    crypto::ClearOpenSslErrors();
    return absl::InvalidArgumentError("identity: private key does not parse");
  }
  if (X509_check_private_key(cert.get(), pkey.get()) != 1) {
    crypto::ClearOpenSslErrors();
    return absl::InvalidArgumentError(
        "identity: private key does not match the certificate");
  }
  struct tm tm {};
  if (ASN1_TIME_to_tm(X509_get0_notAfter(cert.get()), &tm) != 1) {
    crypto::ClearOpenSslErrors();
    return absl::InvalidArgumentError("identity: bad notAfter");
  }
  return CheckedPair{absl::FromUnixSeconds(static_cast<int64_t>(timegm(&tm)))};
}

// KeyCertPairs is the vector gRPC's providers take, with the private key
// copies cleansed when it goes out of scope.
struct KeyCertPairs {
  std::vector<IdentityKeyCertPair> pairs;
  ~KeyCertPairs() {
    for (IdentityKeyCertPair& p : pairs) {
      OPENSSL_cleanse(p.private_key.data(), p.private_key.size());
    }
  }
};

absl::Status ErrnoStatus(std::string_view what, const std::string& path) {
  int err = errno;
  return absl::UnavailableError(
      StrCat("identity: ", what, " '", path, "': ", std::strerror(err)));
}

// WriteSecretFile creates `path` (which must not exist) with mode 0600 and
// `data`, and sets its mtime to `mtime_sec`.
absl::Status WriteFileWithMtime(const std::string& path, std::string_view data,
                                int64_t mtime_sec) {
  int fd = ::open(path.c_str(),
                  O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) {
    return ErrnoStatus("cannot create", path);
  }
  absl::Status status;
  std::string_view rest = data;
  while (!rest.empty() && status.ok()) {
    ssize_t n = ::write(fd, rest.data(), rest.size());
    if (n < 0) {
      if (errno != EINTR) {
        status = ErrnoStatus("cannot write", path);
      }
      continue;
    }
    rest.remove_prefix(static_cast<size_t>(n));
  }
  if (status.ok()) {
    struct timespec times[2] = {};
    times[0].tv_nsec = UTIME_NOW;
    times[1].tv_sec = static_cast<time_t>(mtime_sec);
    if (::futimens(fd, times) != 0) {
      status = ErrnoStatus("cannot set mtime of", path);
    }
  }
  if (::close(fd) != 0 && status.ok()) {
    status = ErrnoStatus("cannot close", path);
  }
  return status;
}

// OverwriteWithZeros wipes a key file in place before it is unlinked.
void OverwriteWithZeros(const std::string& path) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) {
    return;
  }
  struct stat st {};
  if (::fstat(fd, &st) == 0 && st.st_size > 0) {
    std::vector<char> zeros(static_cast<size_t>(st.st_size), '\0');
    ssize_t ignored = ::write(fd, zeros.data(), zeros.size());
    (void)ignored;
  }
  ::close(fd);
}

std::string GenerationDir(const std::string& dir, uint64_t generation) {
  return StrCat(dir, "/gen-", generation);
}

// MakePrivateDirectory creates a 0700 directory for the key files.
absl::StatusOr<std::string> MakePrivateDirectory() {
  std::string base;
  if (::access("/dev/shm", W_OK | X_OK) == 0) {
    base = "/dev/shm";
  } else if (const char* tmp = std::getenv("TMPDIR");
             tmp != nullptr && *tmp != '\0') {
    base = tmp;
  } else {
    base = "/tmp";
  }
  std::string templ = StrCat(base, "/mra-identity-XXXXXX");
  if (::mkdtemp(templ.data()) == nullptr) {
    return ErrnoStatus("cannot create a directory under", base);
  }
  return templ;
}

// RemoveStaleGenerations deletes what a previous process that crashed left
// in `dir`: the `current` links and gen-<n> directories with their files.
void RemoveStaleGenerations(const std::string& dir) {
  ::unlink((dir + "/current").c_str());
  ::unlink((dir + "/current.tmp").c_str());
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.size() <= 4 || name.rfind("gen-", 0) != 0 ||
        name.find_first_not_of("0123456789", 4) != std::string::npos) {
      continue;
    }
    const std::string gen_dir = entry.path().string();
    OverwriteWithZeros(gen_dir + "/key.pem");
    ::unlink((gen_dir + "/key.pem").c_str());
    ::unlink((gen_dir + "/cert.pem").c_str());
    ::rmdir(gen_dir.c_str());
  }
}

std::chrono::nanoseconds ToChrono(absl::Duration d) {
  return absl::ToChronoNanoseconds(d);
}

}  // namespace

// --- StaticIdentity ----------------------------------------------------------

absl::StatusOr<std::unique_ptr<StaticIdentity>> StaticIdentity::Create(
    IdentityPair pair) {
  MRA_RETURN_IF_ERROR(CheckPair(pair).status());
  KeyCertPairs pairs;
  pairs.pairs.push_back(IdentityKeyCertPair{
      std::string(pair.private_key_pem.UnsafeView(SecretAccess::Get())),
      pair.certificate_pem});
  auto provider = std::make_shared<StaticDataCertificateProvider>(pairs.pairs);
  return std::unique_ptr<StaticIdentity>(
      new StaticIdentity(std::move(pair.certificate_pem), std::move(provider)));
}

// --- RotatingIdentity --------------------------------------------------------

absl::Time RotatingIdentity::RenewalTime(
    absl::Time issued, absl::Time expiry,
    const RotatingIdentityOptions& options) {
  absl::Time at = issued + (expiry - issued) * options.renew_fraction;
  absl::Time latest =
      expiry - (options.watch_interval + options.handover_margin);
  return std::max(issued, std::min(at, latest));
}

RotatingIdentity::RotatingIdentity(Factory factory,
                                   RotatingIdentityOptions options,
                                   std::string directory, bool owns_directory)
    : factory_(std::move(factory)),
      options_(std::move(options)),
      directory_(std::move(directory)),
      owns_directory_(owns_directory),
      backoff_(options_.retry_delay) {}

absl::StatusOr<std::unique_ptr<RotatingIdentity>> RotatingIdentity::Create(
    Factory factory, RotatingIdentityOptions options) {
  if (!factory) {
    return absl::InvalidArgumentError("RotatingIdentity: null factory");
  }
  if (options.lifetime <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("RotatingIdentity: lifetime must be > 0");
  }
  if (!(options.renew_fraction > 0.0 && options.renew_fraction < 1.0)) {
    return absl::InvalidArgumentError(
        "RotatingIdentity: renew_fraction must be in (0, 1)");
  }
  if (options.watch_interval < absl::Seconds(1) ||
      options.watch_interval !=
          absl::Trunc(options.watch_interval, absl::Seconds(1)) ||
      options.watch_interval > absl::Hours(1)) {
    return absl::InvalidArgumentError(
        "RotatingIdentity: watch_interval must be whole seconds in [1s, 1h]");
  }
  if (options.handover_margin < absl::ZeroDuration() ||
      options.retry_delay <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError(
        "RotatingIdentity: negative handover_margin or retry_delay <= 0");
  }
  if (options.lifetime <= options.watch_interval + options.handover_margin) {
    return absl::InvalidArgumentError(StrCat(
        "RotatingIdentity: lifetime ", absl::FormatDuration(options.lifetime),
        " leaves no time to hand over (watch_interval + handover_margin = ",
        absl::FormatDuration(options.watch_interval + options.handover_margin),
        ")"));
  }
  std::string directory = options.directory;
  bool owns_directory = directory.empty();
  if (owns_directory) {
    MRA_ASSIGN_OR_RETURN(directory, MakePrivateDirectory());
  } else {
    std::error_code ec;
    if (!std::filesystem::is_directory(directory, ec)) {
      return absl::InvalidArgumentError(
          StrCat("RotatingIdentity: not a directory: '", directory, "'"));
    }
    RemoveStaleGenerations(directory);
  }
  std::unique_ptr<RotatingIdentity> self(new RotatingIdentity(
      std::move(factory), std::move(options), directory, owns_directory));
  {
    std::lock_guard<std::mutex> rotate_lock(self->rotate_mu_);
    MRA_RETURN_IF_ERROR(self->RenewLocked());
  }
  // gRPC reads the files synchronously here, and then every watch_interval.
  self->provider_ = std::make_shared<FileWatcherCertificateProvider>(
      directory + "/current/key.pem", directory + "/current/cert.pem",
      static_cast<unsigned int>(
          absl::ToInt64Seconds(self->options_.watch_interval)));
  self->thread_ = std::thread([raw = self.get()] { raw->Run(); });
  return self;
}

RotatingIdentity::~RotatingIdentity() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) {
    thread_.join();
  }
  provider_.reset();
  std::lock_guard<std::mutex> rotate_lock(rotate_mu_);
  ::unlink((directory_ + "/current").c_str());
  ::unlink((directory_ + "/current.tmp").c_str());
  for (uint64_t g = generation_ >= 2 ? generation_ - 2 : 1; g <= generation_;
       ++g) {
    RemoveGeneration(g);
  }
  if (owns_directory_) {
    ::rmdir(directory_.c_str());
  }
}

std::shared_ptr<CertificateProviderInterface>
RotatingIdentity::CertificateProvider() const {
  return provider_;
}

std::string RotatingIdentity::CurrentCertificatePem() const {
  std::lock_guard<std::mutex> lock(mu_);
  return certificate_pem_;
}

uint64_t RotatingIdentity::Generation() const {
  std::lock_guard<std::mutex> lock(mu_);
  return generation_;
}

RotatingIdentity::Stats RotatingIdentity::GetStats() const {
  std::lock_guard<std::mutex> lock(mu_);
  return Stats{generation_, factory_failures_, current_expiry_, next_renewal_};
}

absl::Status RotatingIdentity::RotateNow() {
  absl::Status status = Renew();
  cv_.notify_all();
  return status;
}

absl::Status RotatingIdentity::WriteGeneration(uint64_t generation,
                                               const IdentityPair& pair) {
  const std::string gen_dir = GenerationDir(directory_, generation);
  if (::mkdir(gen_dir.c_str(), 0700) != 0) {
    return ErrnoStatus("cannot create", gen_dir);
  }
  // Strictly increasing per generation, so gRPC's stat-before/after-read
  // check (one-second resolution) sees every flip that races with a read.
  int64_t mtime = std::max(absl::ToUnixSeconds(absl::Now()), last_mtime_ + 1);
  MRA_RETURN_IF_ERROR(WriteFileWithMtime(
      gen_dir + "/key.pem",
      pair.private_key_pem.UnsafeView(SecretAccess::Get()), mtime));
  MRA_RETURN_IF_ERROR(
      WriteFileWithMtime(gen_dir + "/cert.pem", pair.certificate_pem, mtime));
  last_mtime_ = mtime;
  // Flip `current` atomically: readers resolve either the old or the new
  // generation directory, never a missing or half-written one.
  const std::string tmp_link = directory_ + "/current.tmp";
  ::unlink(tmp_link.c_str());
  if (::symlink(StrCat("gen-", generation).c_str(), tmp_link.c_str()) != 0) {
    return ErrnoStatus("cannot create symlink", tmp_link);
  }
  if (::rename(tmp_link.c_str(), (directory_ + "/current").c_str()) != 0) {
    return ErrnoStatus("cannot rename", tmp_link);
  }
  return absl::OkStatus();
}

void RotatingIdentity::RemoveGeneration(uint64_t generation) {
  const std::string gen_dir = GenerationDir(directory_, generation);
  OverwriteWithZeros(gen_dir + "/key.pem");
  ::unlink((gen_dir + "/key.pem").c_str());
  ::unlink((gen_dir + "/cert.pem").c_str());
  ::rmdir(gen_dir.c_str());
}

absl::Status RotatingIdentity::RenewLocked() {
  const absl::Time issued = absl::Now();
  absl::StatusOr<IdentityPair> pair;
  try {
    pair = factory_();
  } catch (const std::exception& e) {
    pair = absl::InternalError(StrCat("identity factory threw: ", e.what()));
  } catch (...) {
    pair = absl::InternalError("identity factory threw");
  }
  if (!pair.ok()) {
    return pair.status();
  }
  MRA_ASSIGN_OR_RETURN(CheckedPair checked, CheckPair(*pair));
  const absl::Time expiry =
      std::min(checked.not_after, issued + options_.lifetime);
  if (expiry - absl::Now() <=
      options_.watch_interval + options_.handover_margin) {
    return absl::InvalidArgumentError(
        StrCat("identity: new certificate expires at ",
               absl::FormatTime(expiry), ", too soon to hand it over to gRPC"));
  }
  uint64_t next_generation;
  {
    std::lock_guard<std::mutex> lock(mu_);
    next_generation = generation_ + 1;
  }
  absl::Status written = WriteGeneration(next_generation, *pair);
  if (!written.ok()) {
    RemoveGeneration(next_generation);
    return written;
  }
  if (next_generation >= 3) {
    // Keep the previous generation: gRPC may be reading it right now.
    RemoveGeneration(next_generation - 2);
  }
  const absl::Time renewal = RenewalTime(issued, expiry, options_);
  {
    std::lock_guard<std::mutex> lock(mu_);
    certificate_pem_ = std::move(pair->certificate_pem);
    generation_ = next_generation;
    current_expiry_ = expiry;
    next_renewal_ = renewal;
    backoff_ = options_.retry_delay;
  }
  internal::Logger().info(
      "identity rotated: generation={} expires={} next_renewal={}",
      next_generation, absl::FormatTime(expiry), absl::FormatTime(renewal));
  return absl::OkStatus();
}

absl::Status RotatingIdentity::Renew() {
  absl::Status status;
  {
    std::lock_guard<std::mutex> rotate_lock(rotate_mu_);
    status = RenewLocked();
  }
  if (!status.ok()) {
    std::lock_guard<std::mutex> lock(mu_);
    ++factory_failures_;
    next_renewal_ = absl::Now() + backoff_;
    backoff_ = std::min(backoff_ * 2,
                        std::max(options_.lifetime / 8, options_.retry_delay));
    internal::Logger().error(
        "identity renewal failed (generation {} stays, expires {}): {}",
        generation_, absl::FormatTime(current_expiry_), status.ToString());
  }
  return status;
}

void RotatingIdentity::Run() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stopping_) {
    absl::Duration wait = next_renewal_ - absl::Now();
    if (wait > absl::ZeroDuration()) {
      cv_.wait_for(lock, ToChrono(std::min(wait, absl::Hours(1))));
      continue;
    }
    lock.unlock();
    absl::Status ignored = Renew();  // Logged and rescheduled inside.
    (void)ignored;
    lock.lock();
  }
}

}  // namespace mra::grpc
