// Copyright The mra Authors.
//
// File: mra/grpc/identity.h
// -----------------------------------------------------------------------------
// IdentitySource is where a service's TLS identity (certificate + private key)
// comes from when it talks gRPC. Two implementations:
//
//   StaticIdentity    one fixed pair, for tests, tools and long-lived certs.
//   RotatingIdentity  calls a factory (in services: CreateAttestedCertificate
//                     with the service's Attester) for a fresh key and
//                     short-lived certificate, and replaces it on a background
//                     thread well before it expires. NEW handshakes use the
//                     new pair; established connections and in-flight calls
//                     are not disturbed.
//
// How rotation reaches gRPC 1.51. gRPC pushes identity updates through a core
// `grpc_tls_certificate_distributor`, which 1.51 does not expose in its public
// headers (there is no grpc_tls_certificate_distributor_set_key_materials).
// The only public providers are StaticDataCertificateProvider (fixed) and
// FileWatcherCertificateProvider (re-reads two files every N >= 1 s). So
// RotatingIdentity writes each generation into its own directory
// `<dir>/gen-<n>/{key,cert}.pem`, flips the symlink `<dir>/current` to it with
// one atomic rename(2), and points a FileWatcherCertificateProvider at
// `<dir>/current/key.pem` and `<dir>/current/cert.pem`. Each generation's
// files get a strictly increasing mtime, so gRPC's stat-read-stat check
// always sees a flip that races with its read and re-reads: it never pairs an
// old key with a new certificate. Because gRPC notices a new generation only
// at its next poll, a renewal is scheduled at least
// `watch_interval + handover_margin` before the certificate expires.
//
// WARNING: the key files hold the unencrypted private key. The directory is
// created 0700 and the files 0600, by default under /dev/shm (RAM, never on
// disk); inside an enclave, point `directory` at an in-enclave tmpfs mount,
// never at a host-visible path. Files are removed when the RotatingIdentity
// is destroyed (not on a crash: use a per-boot tmpfs; a later RotatingIdentity
// on the same directory removes the leftovers). Whatever the source, gRPC
// keeps its own copy of the key PEM in memory while the provider lives; 1.51
// offers no way around that.

#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

#include "mra/base/secret_bytes.h"

namespace grpc::experimental {
class CertificateProviderInterface;
}  // namespace grpc::experimental

namespace mra::grpc {

// IdentityPair is one TLS identity: a leaf certificate (PEM, optionally
// followed by its chain) and the matching private key (PEM, any format
// OpenSSL reads). The key is SecretBytes: cleansed on destruction, never
// loggable.
struct IdentityPair {
  std::string certificate_pem;
  SecretBytes private_key_pem;
};

// IdentitySource supplies the identity a gRPC endpoint presents.
// Thread-safety: all methods may be called concurrently.
class IdentitySource {
 public:
  virtual ~IdentitySource() = default;

  // CertificateProvider returns the gRPC provider that serves the current
  // pair (watched under the default, empty, identity certificate name).
  // Lifetime: the IdentitySource must outlive every server and channel whose
  // credentials use the provider (shut those down first).
  virtual std::shared_ptr<::grpc::experimental::CertificateProviderInterface>
  CertificateProvider() const = 0;

  // CurrentCertificatePem returns the certificate of the newest generation
  // (what new handshakes will present once gRPC has picked it up).
  virtual std::string CurrentCertificatePem() const = 0;

  // Generation counts identities: 1 for the first, +1 per rotation.
  virtual uint64_t Generation() const = 0;
};

// StaticIdentity serves one fixed pair through a StaticDataCertificateProvider.
class StaticIdentity final : public IdentitySource {
 public:
  // Create checks that both PEMs are non-empty and that the key matches the
  // certificate's public key.
  // @return kInvalidArgument when a PEM does not parse or they do not match.
  static absl::StatusOr<std::unique_ptr<StaticIdentity>> Create(
      IdentityPair pair);

  std::shared_ptr<::grpc::experimental::CertificateProviderInterface>
  CertificateProvider() const override {
    return provider_;
  }
  std::string CurrentCertificatePem() const override {
    return certificate_pem_;
  }
  uint64_t Generation() const override { return 1; }

 private:
  StaticIdentity(
      std::string certificate_pem,
      std::shared_ptr<::grpc::experimental::CertificateProviderInterface>
          provider)
      : certificate_pem_(std::move(certificate_pem)),
        provider_(std::move(provider)) {}

  const std::string certificate_pem_;
  const std::shared_ptr<::grpc::experimental::CertificateProviderInterface>
      provider_;
};

// RotatingIdentityOptions configures RotatingIdentity.
struct RotatingIdentityOptions {
  // Intended lifetime of each certificate, counted from when the factory
  // returned it. The certificate's own notAfter wins when it is earlier (X.509
  // times have one-second resolution). Must be positive.
  absl::Duration lifetime = absl::Hours(1);
  // Renew at this fraction of the lifetime (0 < f < 1)...
  double renew_fraction = 2.0 / 3.0;
  // ...but never later than `watch_interval + handover_margin` before expiry,
  // so gRPC has picked up the new pair before the old one expires.
  absl::Duration handover_margin = absl::Milliseconds(500);
  // How often gRPC's file watcher re-reads the files; whole seconds, >= 1 s
  // (1.51's FileWatcherCertificateProvider has one-second granularity).
  absl::Duration watch_interval = absl::Seconds(1);
  // After a failed factory call, retry after this delay (doubling up to
  // 1/8 of the lifetime, at least this value). The current identity stays in
  // force meanwhile, even past its expiry (peers will then refuse it; every
  // failure is logged).
  absl::Duration retry_delay = absl::Milliseconds(200);
  // Directory for the key/cert generations. Empty: a fresh private directory
  // under /dev/shm (or $TMPDIR, or /tmp when /dev/shm is not writable). A
  // non-empty path must exist and be a directory only this process uses
  // (0700); leftovers of a crashed predecessor (`current`, gen-<n>/) are
  // removed at creation, and it is not removed on destruction, only what
  // RotatingIdentity put in it.
  std::string directory;
};

// RotatingIdentity re-creates its identity before it expires (see the file
// comment for how the new pair reaches gRPC 1.51).
// Thread-safety: thread-safe. The factory runs on the creating thread (first
// identity), the background thread and RotateNow's caller, serialised (never
// concurrently with itself).
class RotatingIdentity final : public IdentitySource {
 public:
  using Factory = std::function<absl::StatusOr<IdentityPair>()>;

  // Stats counts what the rotation thread did.
  struct Stats {
    uint64_t generation = 0;        // Current generation (>= 1).
    uint64_t factory_failures = 0;  // Failed factory calls (and bad pairs).
    absl::Time current_expiry;      // Effective expiry of the current pair.
    absl::Time next_renewal;        // When the thread will renew next.
  };

  // Create calls `factory` once (synchronously) for the first identity,
  // validates it, writes it, and starts the rotation thread.
  // @param factory returns a fresh pair; it must produce a new key each time
  //        (callers that re-attest: CreateAttestedCertificate).
  // @return kInvalidArgument for bad options or a first pair that does not
  //         parse / match; the factory's status if its first call fails;
  //         kUnavailable / kInternal when the directory cannot be prepared.
  static absl::StatusOr<std::unique_ptr<RotatingIdentity>> Create(
      Factory factory, RotatingIdentityOptions options);

  // Stops the rotation thread and removes the generations it wrote. Shut
  // down servers and channels using this identity first.
  ~RotatingIdentity() override;

  RotatingIdentity(const RotatingIdentity&) = delete;
  RotatingIdentity& operator=(const RotatingIdentity&) = delete;

  std::shared_ptr<::grpc::experimental::CertificateProviderInterface>
  CertificateProvider() const override;
  std::string CurrentCertificatePem() const override;
  uint64_t Generation() const override;

  // GetStats returns a snapshot of the counters.
  Stats GetStats() const;

  // RotateNow renews immediately on the calling thread (operators: "re-attest
  // now", e.g. after a TCB recovery) and reschedules the background thread.
  // @return the factory's or validation's error; the old pair stays.
  [[nodiscard]] absl::Status RotateNow();

  // Directory returns where the generations live (tests, diagnostics).
  const std::string& Directory() const { return directory_; }

  // RenewalTime is the schedule: for a pair obtained at `issued` that is
  // valid until `expiry`, renew at issued + renew_fraction * (expiry -
  // issued), but no later than expiry - (watch_interval + handover_margin).
  // Rotation runs on real time; this function lets tests check the policy.
  static absl::Time RenewalTime(absl::Time issued, absl::Time expiry,
                                const RotatingIdentityOptions& options);

 private:
  RotatingIdentity(Factory factory, RotatingIdentityOptions options,
                   std::string directory, bool owns_directory);

  // Renew calls the factory and installs the pair; on failure it counts it
  // and schedules a retry. Takes rotate_mu_.
  absl::Status Renew();
  absl::Status RenewLocked();
  absl::Status WriteGeneration(uint64_t generation, const IdentityPair& pair);
  void RemoveGeneration(uint64_t generation);
  void Run();

  const Factory factory_;
  const RotatingIdentityOptions options_;
  const std::string directory_;
  const bool owns_directory_;

  // Serialises factory calls and file writes (background thread, RotateNow).
  std::mutex rotate_mu_;

  mutable std::mutex mu_;  // Guards the fields below.
  std::condition_variable cv_;
  bool stopping_ = false;
  std::string certificate_pem_;
  uint64_t generation_ = 0;
  uint64_t factory_failures_ = 0;
  int64_t last_mtime_ = 0;  // Seconds; strictly increasing per generation.
  absl::Time current_expiry_;
  absl::Time next_renewal_;
  absl::Duration backoff_;
  std::shared_ptr<::grpc::experimental::CertificateProviderInterface> provider_;

  std::thread thread_;
};

}  // namespace mra::grpc
