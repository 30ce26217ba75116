#include "mra/base/verify_failure.h"

#include <set>
#include <string>

#include "gtest/gtest.h"

#include "mra/testing/status_matchers.h"

namespace mra {
namespace {

using ::mra::testing::FailsWith;

TEST(VerifyFailureTest, EveryMemberHasAUniqueNameAndRoundTrips) {
  std::set<std::string> names;
  for (int i = 0; i <= static_cast<int>(VerifyFailure::kNoPeerCertificate);
       ++i) {
    auto failure = static_cast<VerifyFailure>(i);
    std::string name(VerifyFailureName(failure));
    EXPECT_NE(name, "UNKNOWN_VERIFY_FAILURE") << i;
    EXPECT_TRUE(names.insert(name).second) << "duplicate name " << name;
    absl::Status s = VerifyError(failure, "field x");
    EXPECT_EQ(GetVerifyFailure(s), failure);
    EXPECT_EQ(s.code(), VerifyFailureCode(failure));
    EXPECT_NE(s.code(), absl::StatusCode::kInternal) << name;
    EXPECT_NE(s.message().find("field x"), std::string::npos);
  }
}

TEST(VerifyFailureTest, CodesFollowTheHouseTable) {
  EXPECT_EQ(VerifyFailureCode(VerifyFailure::kManifestMalformed),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(VerifyFailureCode(VerifyFailure::kQuoteSignatureInvalid),
            absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(VerifyFailureCode(VerifyFailure::kMeasurementNotInManifest),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(VerifyFailureCode(VerifyFailure::kTcbInfoExpired),
            absl::StatusCode::kFailedPrecondition);
}

TEST(VerifyFailureTest, PlainErrorsAreNotVerdicts) {
  EXPECT_FALSE(GetVerifyFailure(absl::OkStatus()).has_value());
  EXPECT_FALSE(GetVerifyFailure(absl::InternalError("x")).has_value());
  EXPECT_THAT(VerifyError(VerifyFailure::kPckRevoked, "serial"),
              FailsWith(VerifyFailure::kPckRevoked));
}

}  // namespace
}  // namespace mra
