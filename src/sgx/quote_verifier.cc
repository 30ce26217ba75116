// Copyright The mra Authors.
//
// QuoteVerifier: verified-collateral cache keyed by CollateralDigest.

#include <cstring>
#include <utility>

#include "src/sgx/internal/verify_internal.h"

#include "mra/base/status.h"
#include "mra/sgx/verify.h"

namespace mra::sgx {

size_t QuoteVerifier::DigestHash::operator()(
    const crypto::Sha256Digest& d) const {
  size_t h = 0;
  std::memcpy(&h, d.data(), sizeof(h));
  return h;
}

QuoteVerifier::QuoteVerifier(VerifierOptions options, size_t max_cache_entries)
    : options_(std::move(options)),
      max_cache_entries_(max_cache_entries == 0 ? 1 : max_cache_entries) {
  if (options_.trust_store == nullptr) {
    options_.trust_store = TrustStore::IntelOnly();
  }
}

absl::StatusOr<std::shared_ptr<const VerifiedCollateral>>
QuoteVerifier::GetVerifiedCollateral(const collateral::Collateral& collateral,
                                     absl::Time now) {
  crypto::Sha256Digest key = CollateralDigest(collateral);
  std::shared_ptr<const VerifiedCollateral> verified;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = cache_.find(key);
    if (it != cache_.end()) {
      ++hits_;
      verified = it->second;
    } else {
      ++misses_;
    }
  }
  if (verified == nullptr) {
    // Verified outside the lock: concurrent misses on the same bundle both
    // verify and the second insert is a no-op.
    MRA_ASSIGN_OR_RETURN(
        verified, internal::VerifyCollateralSignatures(collateral, options_));
    std::lock_guard<std::mutex> lock(mu_);
    if (cache_.size() >= max_cache_entries_ && cache_.count(key) == 0) {
      // Evict entries whose window has closed, else an arbitrary one.
      for (auto it = cache_.begin(); it != cache_.end();) {
        it = it->second->not_after() < now ? cache_.erase(it) : std::next(it);
      }
      if (cache_.size() >= max_cache_entries_) {
        cache_.erase(cache_.begin());
      }
    }
    cache_.emplace(key, verified);
  }
  MRA_RETURN_IF_ERROR(verified->CheckValidAt(now));
  return verified;
}

absl::StatusOr<VerificationResult> QuoteVerifier::Verify(
    const ParsedQuote& quote, const collateral::Collateral& collateral,
    absl::Time now) {
  MRA_ASSIGN_OR_RETURN(std::shared_ptr<const VerifiedCollateral> verified,
                       GetVerifiedCollateral(collateral, now));
  return VerifyQuote(quote, *verified, now);
}

QuoteVerifier::CacheStats QuoteVerifier::cache_stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  return CacheStats{hits_, misses_, cache_.size()};
}

void QuoteVerifier::ClearCache() {
  std::lock_guard<std::mutex> lock(mu_);
  cache_.clear();
  hits_ = 0;
  misses_ = 0;
}

}  // namespace mra::sgx
