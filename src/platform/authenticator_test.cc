// Copyright The mra Authors.

#include "src/platform/internal/authenticator.h"

#include <mutex>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "src/platform/internal/password_hash.h"

#include "mra/base/hex.h"
#include "mra/testing/paths.h"
#include "mra/testing/status_matchers.h"

namespace mra::platform::internal {
namespace {

using ::mra::testing::IsOk;
using ::mra::testing::StatusIs;
using ::testing::StartsWith;

// SettableClock lets a test move time forward.
class SettableClock final : public Clock {
 public:
  absl::Time Now() const override {
    std::lock_guard<std::mutex> lock(mu_);
    return now_;
  }
  void Advance(absl::Duration d) {
    std::lock_guard<std::mutex> lock(mu_);
    now_ += d;
  }

 private:
  mutable std::mutex mu_;
  absl::Time now_ = absl::FromUnixSeconds(1'800'000'000);
};

constexpr ScryptParams kFast{.log2_n = 10};

class AuthenticatorTest : public ::testing::Test {
 protected:
  void SetUp() override { path_ = ::mra::testing::MakeTempDir() + "/users.db"; }

  std::unique_ptr<Authenticator> OpenAuth(size_t max_sessions = 100) {
    absl::StatusOr<std::unique_ptr<Authenticator>> auth =
        Authenticator::Open(path_, {.token_lifetime = absl::Minutes(10),
                                    .max_sessions = max_sessions,
                                    .scrypt = kFast,
                                    .clock = &clock_});
    EXPECT_THAT(auth, IsOk());
    return auth.ok() ? std::move(*auth) : nullptr;
  }

  std::string path_;
  SettableClock clock_;
};

TEST_F(AuthenticatorTest, RegisterLoginValidate) {
  auto auth = OpenAuth();
  ASSERT_NE(auth, nullptr);
  ASSERT_THAT(auth->CreateUser("alice", "correct horse"), IsOk());
  MRA_ASSERT_OK_AND_ASSIGN(IssuedToken token,
                           auth->IssueToken("alice", "correct horse"));
  EXPECT_EQ(token.token.size(), 64u);
  EXPECT_TRUE(IsHex(token.token));
  EXPECT_EQ(token.expires, clock_.Now() + absl::Minutes(10));
  MRA_ASSERT_OK_AND_ASSIGN(Session session, auth->ValidateToken(token.token));
  EXPECT_EQ(session.username, "alice");
  EXPECT_EQ(session.expires, token.expires);
}

TEST_F(AuthenticatorTest, TokensAreFreshPerLogin) {
  auto auth = OpenAuth();
  ASSERT_NE(auth, nullptr);
  ASSERT_THAT(auth->CreateUser("alice", "correct horse"), IsOk());
  MRA_ASSERT_OK_AND_ASSIGN(IssuedToken a,
                           auth->IssueToken("alice", "correct horse"));
  MRA_ASSERT_OK_AND_ASSIGN(IssuedToken b,
                           auth->IssueToken("alice", "correct horse"));
  EXPECT_NE(a.token, b.token);
  EXPECT_THAT(auth->ValidateToken(a.token), IsOk());
  EXPECT_THAT(auth->ValidateToken(b.token), IsOk());
}

TEST_F(AuthenticatorTest, DuplicateUserRefused) {
  auto auth = OpenAuth();
  ASSERT_NE(auth, nullptr);
  ASSERT_THAT(auth->CreateUser("alice", "correct horse"), IsOk());
  EXPECT_THAT(auth->CreateUser("alice", "another password"),
              StatusIs(absl::StatusCode::kAlreadyExists));
  // The original password still works.
  EXPECT_THAT(auth->IssueToken("alice", "correct horse"), IsOk());
}

TEST_F(AuthenticatorTest, BadPasswordAndUnknownUserLookTheSame) {
  auto auth = OpenAuth();
  ASSERT_NE(auth, nullptr);
  ASSERT_THAT(auth->CreateUser("alice", "correct horse"), IsOk());
  absl::StatusOr<IssuedToken> wrong = auth->IssueToken("alice", "wrong horse");
  absl::StatusOr<IssuedToken> unknown =
      auth->IssueToken("mallory", "correct horse");
  EXPECT_THAT(wrong, StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_THAT(unknown, StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_EQ(wrong.status().message(), unknown.status().message());
  EXPECT_THAT(auth->IssueToken("alice", ""),
              StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_THAT(auth->IssueToken("bad name", "correct horse"),
              StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_EQ(auth->SessionCountForTest(), 0u);
}

TEST_F(AuthenticatorTest, InvalidRegistrationsRefused) {
  auto auth = OpenAuth();
  ASSERT_NE(auth, nullptr);
  EXPECT_THAT(auth->CreateUser("", "correct horse"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(auth->CreateUser("a b", "correct horse"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(
      auth->CreateUser(std::string(kMaxUsernameLen + 1, 'a'), "correct horse"),
      StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(auth->CreateUser("alice", "short"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(auth->CreateUser("alice", std::string(kMaxPasswordLen + 1, 'p')),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(auth->CreateUser("alice.b@example-1_x", "12345678"), IsOk());
}

TEST_F(AuthenticatorTest, TokensExpire) {
  auto auth = OpenAuth();
  ASSERT_NE(auth, nullptr);
  ASSERT_THAT(auth->CreateUser("alice", "correct horse"), IsOk());
  MRA_ASSERT_OK_AND_ASSIGN(IssuedToken token,
                           auth->IssueToken("alice", "correct horse"));
  clock_.Advance(absl::Minutes(10) - absl::Seconds(1));
  EXPECT_THAT(auth->ValidateToken(token.token), IsOk());
  clock_.Advance(absl::Seconds(1));
  EXPECT_THAT(auth->ValidateToken(token.token),
              StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_EQ(auth->SessionCountForTest(), 0u);  // Dropped when seen expired.
}

TEST_F(AuthenticatorTest, MalformedTokensRefused) {
  auto auth = OpenAuth();
  ASSERT_NE(auth, nullptr);
  for (const std::string& token :
       {std::string(), std::string(63, 'a'), std::string(64, 'g'),
        std::string(65, 'a'), std::string(64, 'a')}) {
    EXPECT_THAT(auth->ValidateToken(token),
                StatusIs(absl::StatusCode::kUnauthenticated))
        << token;
  }
}

TEST_F(AuthenticatorTest, SessionLimitAndPurge) {
  auto auth = OpenAuth(/*max_sessions=*/2);
  ASSERT_NE(auth, nullptr);
  ASSERT_THAT(auth->CreateUser("alice", "correct horse"), IsOk());
  ASSERT_THAT(auth->IssueToken("alice", "correct horse"), IsOk());
  ASSERT_THAT(auth->IssueToken("alice", "correct horse"), IsOk());
  EXPECT_THAT(auth->IssueToken("alice", "correct horse"),
              StatusIs(absl::StatusCode::kResourceExhausted));
  clock_.Advance(absl::Minutes(11));
  EXPECT_THAT(auth->IssueToken("alice", "correct horse"), IsOk());
  EXPECT_EQ(auth->SessionCountForTest(), 1u);
}

TEST_F(AuthenticatorTest, UsersSurviveRestartTokensDoNot) {
  std::string token;
  {
    auto auth = OpenAuth();
    ASSERT_NE(auth, nullptr);
    ASSERT_THAT(auth->CreateUser("alice", "correct horse"), IsOk());
    MRA_ASSERT_OK_AND_ASSIGN(IssuedToken t,
                             auth->IssueToken("alice", "correct horse"));
    token = t.token;
  }
  auto auth = OpenAuth();
  ASSERT_NE(auth, nullptr);
  EXPECT_THAT(auth->ValidateToken(token),
              StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_THAT(auth->IssueToken("alice", "correct horse"), IsOk());
  EXPECT_THAT(auth->CreateUser("alice", "correct horse"),
              StatusIs(absl::StatusCode::kAlreadyExists));
}

TEST(PasswordHashTest, FormatAndVerify) {
  MRA_ASSERT_OK_AND_ASSIGN(std::string encoded,
                           HashPassword("hunter2hunter2", kFast));
  EXPECT_THAT(encoded, StartsWith("$scrypt$ln=10,r=8,p=1$"));
  EXPECT_EQ(encoded.size(),
            std::string("$scrypt$ln=10,r=8,p=1$").size() + 32 + 1 + 64);
  MRA_ASSERT_OK_AND_ASSIGN(bool ok, VerifyPassword("hunter2hunter2", encoded));
  EXPECT_TRUE(ok);
  MRA_ASSERT_OK_AND_ASSIGN(bool bad, VerifyPassword("hunter3hunter3", encoded));
  EXPECT_FALSE(bad);
  MRA_ASSERT_OK_AND_ASSIGN(std::string again,
                           HashPassword("hunter2hunter2", kFast));
  EXPECT_NE(again, encoded);  // Fresh salt.
}

TEST(PasswordHashTest, KnownAnswer) {
  // Computed independently with Python's hashlib.scrypt(b"password",
  // salt=bytes.fromhex("00112233445566778899aabbccddeeff"), n=1024, r=8,
  // p=1, dklen=32): guards the encoding (hex salt, parameter order).
  const std::string salt = "00112233445566778899aabbccddeeff";
  const std::string hash =
      "f1ce526861012b22e90e9955c97e23060f9d0068c2bd73f6ffc32b5f73294a1e";
  std::string encoded = "$scrypt$ln=10,r=8,p=1$" + salt + "$" + hash;
  MRA_ASSERT_OK_AND_ASSIGN(bool ok, VerifyPassword("password", encoded));
  EXPECT_TRUE(ok);
  MRA_ASSERT_OK_AND_ASSIGN(bool other, VerifyPassword("passwore", encoded));
  EXPECT_FALSE(other);
}

TEST(PasswordHashTest, MalformedEncodingsRefused) {
  for (const std::string& encoded : {
           std::string(""),
           std::string("scrypt$ln=10,r=8,p=1$00$00"),
           std::string("$bcrypt$ln=10,r=8,p=1$" + std::string(32, '0') + "$" +
                       std::string(64, '0')),
           std::string("$scrypt$ln=10,r=8$" + std::string(32, '0') + "$" +
                       std::string(64, '0')),
           std::string("$scrypt$ln=30,r=8,p=1$" + std::string(32, '0') + "$" +
                       std::string(64, '0')),
           std::string("$scrypt$ln=010,r=8,p=1$" + std::string(32, '0') + "$" +
                       std::string(64, '0')),
           std::string("$scrypt$ln=10,r=8,p=1$" + std::string(31, '0') + "$" +
                       std::string(64, '0')),
           std::string("$scrypt$ln=10,r=8,p=1$" + std::string(32, '0') + "$" +
                       std::string(64, 'z')),
           std::string("$scrypt$ln=10,r=8,p=1$" + std::string(32, '0') + "$" +
                       std::string(64, '0') + "$"),
       }) {
    EXPECT_THAT(VerifyPassword("password", encoded),
                StatusIs(absl::StatusCode::kInvalidArgument))
        << encoded;
  }
  EXPECT_THAT(HashPassword("password", {.log2_n = 9}),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace mra::platform::internal
