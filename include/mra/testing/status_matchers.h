// Copyright The mra Authors.
//
// File: mra/testing/status_matchers.h
// -----------------------------------------------------------------------------
// GoogleTest matchers for absl::Status / StatusOr and VerifyFailure verdicts
// (Tink precedent), so negative tests assert the exact reason.

#pragma once

#include <optional>
#include <ostream>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "gmock/gmock.h"

#include "mra/base/verify_failure.h"

namespace mra::testing {

inline const absl::Status& GetStatus(const absl::Status& s) { return s; }
template <typename T>
const absl::Status& GetStatus(const absl::StatusOr<T>& s) {
  return s.status();
}

// IsOk() matches an OK Status or StatusOr.
MATCHER(IsOk, "is OK") {
  const absl::Status& s = GetStatus(arg);
  if (!s.ok()) {
    *result_listener << "status is " << s;
  }
  return s.ok();
}

// StatusIs(code) matches a Status or StatusOr with that code.
MATCHER_P(StatusIs, code, "has status code " + ::testing::PrintToString(code)) {
  const absl::Status& s = GetStatus(arg);
  *result_listener << "status is " << s;
  return s.code() == code;
}

// FailsWith(failure) matches a status whose VerifyFailure payload is
// `failure` (and whose code is the one the enum maps to).
MATCHER_P(FailsWith, failure,
          std::string("fails with ") +
              std::string(::mra::VerifyFailureName(failure))) {
  const absl::Status& s = GetStatus(arg);
  *result_listener << "status is " << s;
  std::optional<::mra::VerifyFailure> got = ::mra::GetVerifyFailure(s);
  return got.has_value() && *got == failure &&
         s.code() == ::mra::VerifyFailureCode(failure);
}

}  // namespace mra::testing

#define MRA_ASSERT_OK_AND_ASSIGN(lhs, expr) \
  MRA_TESTING_ASSIGN_(MRA_TESTING_CONCAT_(mra_test_sor_, __LINE__), lhs, expr)
#define MRA_TESTING_CONCAT_INNER_(a, b) a##b
#define MRA_TESTING_CONCAT_(a, b) MRA_TESTING_CONCAT_INNER_(a, b)
#define MRA_TESTING_ASSIGN_(tmp, lhs, expr) \
  auto tmp = (expr);                        \
  ASSERT_TRUE(tmp.ok()) << tmp.status();    \
  lhs = std::move(tmp).value()
