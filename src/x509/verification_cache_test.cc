#include "mra/x509/verification_cache.h"

#include "gtest/gtest.h"
#include "src/x509/test_fakes.h"

namespace mra::x509 {
namespace {

using ::mra::x509::testing::TestNow;

VerificationCache::Key KeyFor(uint8_t cert, uint8_t manifest = 1,
                              uint64_t version = 1) {
  VerificationCache::Key key;
  key.cert_sha256.fill(cert);
  key.manifest_digest.fill(manifest);
  key.manifest_version = version;
  return key;
}

PeerIdentity Named(const std::string& service) {
  PeerIdentity id;
  id.service = service;
  return id;
}

absl::Time Now() { return TestNow(); }
absl::Time Later() { return TestNow() + absl::Hours(1); }

TEST(VerificationCacheTest, HitAndMissAreCounted) {
  VerificationCache cache;
  EXPECT_FALSE(cache.Lookup(KeyFor(1), Now()).has_value());
  cache.Insert(KeyFor(1), Named("a"), Later(), Now());
  std::optional<PeerIdentity> got = cache.Lookup(KeyFor(1), Now());
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->service, "a");
  VerificationCache::Stats stats = cache.stats();
  EXPECT_EQ(stats.hits, 1u);
  EXPECT_EQ(stats.misses, 1u);
  EXPECT_EQ(stats.size, 1u);
}

TEST(VerificationCacheTest, KeyIncludesManifestDigestAndVersion) {
  VerificationCache cache;
  cache.Insert(KeyFor(1, 1, 1), Named("a"), Later(), Now());
  EXPECT_FALSE(cache.Lookup(KeyFor(1, 2, 1), Now()).has_value());
  EXPECT_FALSE(cache.Lookup(KeyFor(1, 1, 2), Now()).has_value());
  EXPECT_FALSE(cache.Lookup(KeyFor(2, 1, 1), Now()).has_value());
  EXPECT_TRUE(cache.Lookup(KeyFor(1, 1, 1), Now()).has_value());
}

TEST(VerificationCacheTest, KeyIncludesPolicyDigest) {
  VerificationCache cache;
  VerificationCache::Key permissive = KeyFor(1);
  permissive.policy_digest.fill(0xaa);
  VerificationCache::Key strict = KeyFor(1);
  strict.policy_digest.fill(0xbb);
  cache.Insert(permissive, Named("a"), Later(), Now());
  EXPECT_FALSE(cache.Lookup(strict, Now()).has_value());
  EXPECT_FALSE(cache.Lookup(KeyFor(1), Now()).has_value());
  EXPECT_TRUE(cache.Lookup(permissive, Now()).has_value());
}

TEST(VerificationCacheTest, ExpiredEntriesAreDroppedAndNeverInserted) {
  VerificationCache cache;
  cache.Insert(KeyFor(1), Named("a"), Later(), Now());
  EXPECT_TRUE(cache.Lookup(KeyFor(1), Later() - absl::Seconds(1)).has_value());
  EXPECT_FALSE(cache.Lookup(KeyFor(1), Later()).has_value());
  EXPECT_EQ(cache.stats().expirations, 1u);
  EXPECT_EQ(cache.stats().size, 0u);
  cache.Insert(KeyFor(2), Named("b"), Now(), Now());
  EXPECT_EQ(cache.stats().size, 0u);
}

TEST(VerificationCacheTest, LeastRecentlyUsedIsEvicted) {
  VerificationCache cache(2);
  cache.Insert(KeyFor(1), Named("a"), Later(), Now());
  cache.Insert(KeyFor(2), Named("b"), Later(), Now());
  ASSERT_TRUE(cache.Lookup(KeyFor(1), Now()).has_value());  // 1 is now recent.
  cache.Insert(KeyFor(3), Named("c"), Later(), Now());
  EXPECT_TRUE(cache.Lookup(KeyFor(1), Now()).has_value());
  EXPECT_FALSE(cache.Lookup(KeyFor(2), Now()).has_value());
  EXPECT_TRUE(cache.Lookup(KeyFor(3), Now()).has_value());
  EXPECT_EQ(cache.stats().evictions, 1u);
  EXPECT_EQ(cache.stats().size, 2u);
}

TEST(VerificationCacheTest, ReinsertUpdatesInPlace) {
  VerificationCache cache(2);
  cache.Insert(KeyFor(1), Named("a"), Later(), Now());
  cache.Insert(KeyFor(1), Named("b"), Later() + absl::Hours(1), Now());
  EXPECT_EQ(cache.stats().size, 1u);
  EXPECT_EQ(cache.Lookup(KeyFor(1), Later())->service, "b");
}

TEST(VerificationCacheTest, ClearDropsEverything) {
  VerificationCache cache;
  cache.Insert(KeyFor(1), Named("a"), Later(), Now());
  cache.Clear();
  EXPECT_FALSE(cache.Lookup(KeyFor(1), Now()).has_value());
  EXPECT_EQ(cache.stats().size, 0u);
}

}  // namespace
}  // namespace mra::x509
