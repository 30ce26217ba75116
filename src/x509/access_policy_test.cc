#include "mra/x509/access_policy.h"

#include "gtest/gtest.h"

#include "mra/testing/status_matchers.h"

namespace mra::x509 {
namespace {

using ::mra::testing::FailsWith;
using ::mra::testing::IsOk;

constexpr std::string_view kInbound[] = {"frontend", "batch"};
constexpr std::string_view kOutbound[] = {"storage"};
constexpr AccessPolicy kPolicy("api", kInbound, kOutbound);

// The policy is usable at compile time, as services declare it.
static_assert(kPolicy.IsValid());
static_assert(kPolicy.AllowsInbound("frontend"));
static_assert(!kPolicy.AllowsInbound("storage"));
static_assert(kPolicy.AllowsOutbound("storage"));
static_assert(!kPolicy.AllowsOutbound("frontend"));

constexpr std::string_view kDuplicate[] = {"a", "b", "a"};
constexpr std::string_view kEmptyName[] = {"a", ""};
static_assert(!AccessPolicy("api", kDuplicate, kOutbound).IsValid());
static_assert(!AccessPolicy("api", kInbound, kEmptyName).IsValid());
static_assert(!AccessPolicy("", kInbound, kOutbound).IsValid());
static_assert(AccessPolicy("leaf", {}, {}).IsValid());

TEST(AccessPolicyTest, InboundChecksTheCaller) {
  EXPECT_THAT(kPolicy.CheckInbound("frontend"), IsOk());
  EXPECT_THAT(kPolicy.CheckInbound("batch"), IsOk());
  EXPECT_THAT(kPolicy.CheckInbound("storage"),
              FailsWith(VerifyFailure::kPeerNotAllowed));
  EXPECT_THAT(kPolicy.CheckInbound("api"),
              FailsWith(VerifyFailure::kPeerNotAllowed));
}

TEST(AccessPolicyTest, OutboundChecksIdentityThenList) {
  EXPECT_THAT(kPolicy.CheckOutbound("storage", "storage"), IsOk());
  EXPECT_THAT(kPolicy.CheckOutbound("storage", "frontend"),
              FailsWith(VerifyFailure::kUnexpectedPeer));
  EXPECT_THAT(kPolicy.CheckOutbound("frontend", "frontend"),
              FailsWith(VerifyFailure::kPeerNotAllowed));
}

TEST(AccessPolicyTest, EmptyListsAllowNothing) {
  constexpr AccessPolicy kLeaf("leaf", {}, {});
  EXPECT_THAT(kLeaf.CheckInbound("frontend"),
              FailsWith(VerifyFailure::kPeerNotAllowed));
  EXPECT_THAT(kLeaf.CheckOutbound("x", "x"),
              FailsWith(VerifyFailure::kPeerNotAllowed));
}

}  // namespace
}  // namespace mra::x509
