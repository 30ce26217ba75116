// Copyright The mra Authors.
//
// File: mra/grpc/manifest_reloader.h
// -----------------------------------------------------------------------------
// ManifestReloader notices that the manifest file or one of its detached
// signature files changed and hands the new bytes to a caller-supplied
// verify-and-swap callback. It is deliberately generic: it never interprets
// the bytes. In services the callback runs mra::manifest::VerifyManifest
// (signatures, expiry, deployment, rollback) and, on success, swaps the
// verified manifest into the x509 ManifestHolder the peer verifier reads.
//
// Change detection: every `poll_interval` the files are stat()ed (device,
// inode, size, mtime and ctime in nanoseconds); when any differs, or when a
// reload was requested (RequestReload, SIGHUP), all files are read (bounded)
// and hashed; the callback runs only if that content hash differs from the
// last content it accepted. With `list_signatures` the signature files are
// listed again at every check, so a signature file added later (e.g. a new
// *.sig in a directory) is noticed and read.
//
// A callback error is logged and counted, and the previously accepted
// manifest stays in force (the callback must swap only on success). Since a
// rejection may have a transient cause (the rollback state could not be
// written), the rejected content is offered again at the next check (the
// next poll, RequestReload or SIGHUP) even if no file changed: at most one
// retry per poll interval. A rejection repeated with the same content and
// reason is logged at debug level only. An operator who updates the manifest
// before its signatures sees one rejection, then an acceptance once the
// signatures land.
//
// Logs go to the spdlog logger "mra.grpc" ("manifest reload accepted" /
// "manifest reload rejected" with the content SHA-256 prefix and reason).

#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

#include "mra/crypto/digest.h"
#include "mra/manifest/verifier.h"

namespace mra::grpc {

// ManifestReloaderOptions configures ManifestReloader.
struct ManifestReloaderOptions {
  // How often to stat the files; absl::ZeroDuration() disables polling (then
  // only RequestReload / SIGHUP trigger a check).
  absl::Duration poll_interval = absl::Seconds(2);
  // When true, Create installs a process-wide SIGHUP handler that requests a
  // reload from every ManifestReloader created with this flag. The handler
  // only sets an atomic flag; the reloader's thread notices it within
  // `signal_latency`.
  bool reload_on_sighup = false;
  absl::Duration signal_latency = absl::Milliseconds(100);
  // Bounds on what is read (larger files are a rejected reload).
  size_t max_manifest_len = size_t{1} << 20;
  size_t max_signature_len = size_t{64} << 10;
  // When true (default), Create reads the files and runs the callback once
  // before returning, and fails if that first load fails.
  bool load_on_create = true;
  // When set, it is called at every check for the current signature files
  // (e.g. every *.sig in a directory) instead of using the fixed
  // `signature_paths` of Create (which must then be empty). Its error, or
  // more than manifest::kMaxSignatures files, is a read error.
  std::function<absl::StatusOr<std::vector<std::string>>()> list_signatures;
};

// ManifestReloader watches one manifest and its signature files.
// Thread-safety: thread-safe. The callback runs on the reloader's thread (or
// on the thread calling Create / CheckNow) and never concurrently with
// itself.
class ManifestReloader {
 public:
  // VerifyAndSwap verifies `manifest_bytes` with `signatures` (label = the
  // signature file's path) and, on success only, makes it the manifest in
  // force. Its error is logged and counted.
  using VerifyAndSwap = std::function<absl::Status(
      std::string manifest_bytes,
      std::vector<manifest::DetachedSignature> signatures)>;

  // Stats counts what the reloader did.
  struct Stats {
    uint64_t checks = 0;       // Content reads (after a change, or a retry).
    uint64_t accepted = 0;     // Callback returned OK.
    uint64_t rejected = 0;     // Callback returned an error.
    uint64_t read_errors = 0;  // A file could not be read (or too big).
    std::string last_error;    // Last rejection or read error; no bytes.
    crypto::Sha256Digest accepted_sha256{};  // Content hash last accepted.
  };

  // Create sets the reloader up and starts its thread.
  // @param manifest_path the manifest file.
  // @param signature_paths its detached signatures (a missing signature file
  //        is skipped, so signatures may be added later; at most
  //        manifest::kMaxSignatures); empty when options.list_signatures is
  //        set.
  // @return kInvalidArgument for an empty path, too many signature files,
  //         both signature_paths and list_signatures, or a null callback;
  //         with load_on_create, the read error or the callback's error of
  //         the first load.
  static absl::StatusOr<std::unique_ptr<ManifestReloader>> Create(
      std::string manifest_path, std::vector<std::string> signature_paths,
      VerifyAndSwap callback, ManifestReloaderOptions options = {});

  // Stops the thread (waits for a running callback).
  ~ManifestReloader();

  ManifestReloader(const ManifestReloader&) = delete;
  ManifestReloader& operator=(const ManifestReloader&) = delete;

  // RequestReload asks the thread to re-read and re-offer the files even if
  // they look unchanged. Async-signal-safe (sets an atomic flag only).
  void RequestReload();

  // CheckNow runs one check on the calling thread.
  // @param force re-read and re-offer even if nothing changed. Content the
  //        callback rejected last time is re-offered without force.
  // @return OK when nothing changed or the callback accepted the new
  //         content; otherwise the read error or the callback's error.
  [[nodiscard]] absl::Status CheckNow(bool force = false);

  // GetStats returns a snapshot of the counters.
  Stats GetStats() const;

 private:
  ManifestReloader(std::string manifest_path,
                   std::vector<std::string> signature_paths,
                   VerifyAndSwap callback, ManifestReloaderOptions options);
  void Run();
  absl::Status CheckLocked(bool force);

  const std::string manifest_path_;
  const std::vector<std::string> signature_paths_;
  const VerifyAndSwap callback_;
  const ManifestReloaderOptions options_;

  std::atomic<bool> reload_requested_{false};
  uint64_t sighup_seen_ = 0;  // Thread-only.

  std::mutex check_mu_;                    // Serialises checks (and callbacks).
  std::vector<std::string> stamps_;        // Guarded by check_mu_.
  bool have_offered_ = false;              // Guarded by check_mu_.
  crypto::Sha256Digest offered_sha256_{};  // Guarded by check_mu_.
  // The last callback failed: offer again at the next check.
  bool retry_pending_ = false;  // Guarded by check_mu_.
  std::string last_rejection_;  // Guarded by check_mu_.

  mutable std::mutex mu_;  // Guards stats_ and stopping_.
  std::condition_variable cv_;
  bool stopping_ = false;
  Stats stats_;

  std::thread thread_;
};

}  // namespace mra::grpc
