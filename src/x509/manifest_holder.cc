#include "mra/x509/manifest_holder.h"

#include <utility>

#include "mra/base/status.h"

namespace mra::x509 {

ManifestHolder::ManifestHolder(Snapshot initial)
    : current_(std::move(initial)) {
  MRA_CHECK(current_ != nullptr);
}

ManifestHolder::Snapshot ManifestHolder::Get() const {
  std::lock_guard<std::mutex> lock(mu_);
  return current_;
}

absl::Status ManifestHolder::Replace(Snapshot next) {
  if (next == nullptr) {
    return absl::InvalidArgumentError("cannot replace the manifest with null");
  }
  Snapshot old;
  {
    std::lock_guard<std::mutex> lock(mu_);
    old = std::exchange(current_, std::move(next));
    ++generation_;
  }
  // `old` is released outside the lock.
  return absl::OkStatus();
}

uint64_t ManifestHolder::generation() const {
  std::lock_guard<std::mutex> lock(mu_);
  return generation_;
}

}  // namespace mra::x509
