#include "mra/x509/verification_cache.h"

#include "mra/base/status.h"

namespace mra::x509 {

VerificationCache::VerificationCache(size_t max_entries)
    : max_entries_(max_entries) {
  MRA_CHECK(max_entries_ > 0);
}

std::string VerificationCache::KeyBytes(const Key& key) {
  std::string out;
  out.reserve(key.cert_sha256.size() + key.manifest_digest.size() + 8 +
              key.policy_digest.size());
  out.append(key.cert_sha256.begin(), key.cert_sha256.end());
  out.append(key.manifest_digest.begin(), key.manifest_digest.end());
  for (int shift = 0; shift < 64; shift += 8) {
    out.push_back(static_cast<char>((key.manifest_version >> shift) & 0xff));
  }
  out.append(key.policy_digest.begin(), key.policy_digest.end());
  return out;
}

std::optional<PeerIdentity> VerificationCache::Lookup(const Key& key,
                                                      absl::Time now) {
  std::string k = KeyBytes(key);
  std::lock_guard<std::mutex> lock(mu_);
  auto it = index_.find(k);
  if (it == index_.end()) {
    ++stats_.misses;
    return std::nullopt;
  }
  if (now >= it->second->expires) {
    lru_.erase(it->second);
    index_.erase(it);
    ++stats_.expirations;
    ++stats_.misses;
    return std::nullopt;
  }
  lru_.splice(lru_.begin(), lru_, it->second);
  ++stats_.hits;
  return it->second->identity;
}

void VerificationCache::Insert(const Key& key, const PeerIdentity& identity,
                               absl::Time expires, absl::Time now) {
  if (now >= expires) {
    return;
  }
  std::string k = KeyBytes(key);
  std::lock_guard<std::mutex> lock(mu_);
  auto it = index_.find(k);
  if (it != index_.end()) {
    it->second->identity = identity;
    it->second->expires = expires;
    lru_.splice(lru_.begin(), lru_, it->second);
    return;
  }
  while (lru_.size() >= max_entries_) {
    index_.erase(lru_.back().key);
    lru_.pop_back();
    ++stats_.evictions;
  }
  lru_.push_front(Entry{k, identity, expires});
  index_.emplace(std::move(k), lru_.begin());
}

void VerificationCache::Clear() {
  std::lock_guard<std::mutex> lock(mu_);
  lru_.clear();
  index_.clear();
}

VerificationCache::Stats VerificationCache::stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  Stats out = stats_;
  out.size = lru_.size();
  return out;
}

}  // namespace mra::x509
