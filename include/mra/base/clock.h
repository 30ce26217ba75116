// Copyright The mra Authors.
//
// File: mra/base/clock.h
// -----------------------------------------------------------------------------
// Time is injected into every verifier so tests are hermetic (Envoy style).

#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "absl/time/time.h"

namespace mra {

// Clock is the source of "now" for validity checks. Implementations must be
// thread-safe.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual absl::Time Now() const = 0;

  // Real returns the process-wide wall clock.
  static const Clock& Real();
};

// FixedClock always returns the time it was given (tests, `--now` flags).
class FixedClock final : public Clock {
 public:
  explicit FixedClock(absl::Time now) : now_(now) {}
  absl::Time Now() const override { return now_; }

 private:
  absl::Time now_;
};

// FormatRfc3339Utc renders `t` as "2030-01-02T03:04:05Z" (seconds precision).
std::string FormatRfc3339Utc(absl::Time t);

// ParseRfc3339 reads an RFC 3339 date-time exactly as absl::ParseTime with
// absl::RFC3339_full does (offsets, fractional seconds), nullopt when that
// refuses it. The usual "2030-01-02T03:04:05Z" is read without absl's
// general format machinery: collateral carries dozens of such dates.
std::optional<absl::Time> ParseRfc3339(std::string_view text);

}  // namespace mra
