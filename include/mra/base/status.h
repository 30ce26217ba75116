// Copyright The mra Authors.
//
// File: mra/base/status.h
// -----------------------------------------------------------------------------
// Status plumbing for the library API. Debian's Abseil ships absl::Status
// without the RETURN_IF_ERROR/ASSIGN_OR_RETURN macros, so we provide them, and
// MRA_CHECK for programmer errors (never for untrusted data).

#pragma once

#include <cstdio>
#include <cstdlib>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

// MRA_RETURN_IF_ERROR(expr): returns the Status of `expr` from the enclosing
// function when it is not OK.
#define MRA_RETURN_IF_ERROR(expr)              \
  do {                                         \
    ::absl::Status mra_status_ = (expr);       \
    if (!mra_status_.ok()) return mra_status_; \
  } while (0)

#define MRA_INTERNAL_CONCAT_(a, b) a##b
#define MRA_INTERNAL_CONCAT(a, b) MRA_INTERNAL_CONCAT_(a, b)

// MRA_ASSIGN_OR_RETURN(lhs, expr): evaluates the StatusOr `expr`; returns its
// status when not OK, otherwise move-assigns the value to `lhs` (which may be
// a declaration such as `auto x`).
#define MRA_ASSIGN_OR_RETURN(lhs, expr)                                       \
  MRA_INTERNAL_ASSIGN_OR_RETURN(MRA_INTERNAL_CONCAT(mra_sor_, __LINE__), lhs, \
                                expr)
#define MRA_INTERNAL_ASSIGN_OR_RETURN(tmp, lhs, expr) \
  auto tmp = (expr);                                  \
  if (!tmp.ok()) return std::move(tmp).status();      \
  lhs = std::move(tmp).value()

// MRA_CHECK(cond): aborts, also in release builds, when `cond` is false.
// Only for invariants of our own code; never for untrusted input.
#define MRA_CHECK(cond)                                               \
  do {                                                                \
    if (!(cond)) {                                                    \
      std::fprintf(stderr, "%s:%d: MRA_CHECK failed: %s\n", __FILE__, \
                   __LINE__, #cond);                                  \
      std::abort();                                                   \
    }                                                                 \
  } while (0)
