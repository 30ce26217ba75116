// Copyright The mra Authors.
//
// Internal: small helpers shared by the collateral providers.
#pragma once

#include <string_view>

#include "absl/status/status.h"
#include "absl/strings/cord.h"

#include "mra/base/strings.h"

namespace mra::collateral::internal {

// Annotate returns `status` with "<context>: " prefixed to its message,
// keeping its code and payloads (so the VerifyFailure verdict survives).
inline absl::Status Annotate(const absl::Status& status,
                             std::string_view context) {
  if (status.ok()) {
    return status;
  }
  absl::Status out(status.code(),
                   StrCat(context, ": ", ToStd(status.message())));
  status.ForEachPayload(
      [&out](absl::string_view url, const absl::Cord& payload) {
        out.SetPayload(url, payload);
      });
  return out;
}

}  // namespace mra::collateral::internal
