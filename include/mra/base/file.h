// Copyright The mra Authors.
//
// File: mra/base/file.h
// -----------------------------------------------------------------------------
// Small, explicit file I/O: bounded reads and atomic replacement.

#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace mra {

// ReadFileBounded reads all of `path`, refusing files larger than `max_len`
// (kInvalidArgument) so untrusted inputs cannot exhaust memory. A missing file
// is kNotFound; other I/O errors are kUnavailable with the errno text.
absl::StatusOr<std::string> ReadFileBounded(const std::string& path,
                                            size_t max_len);

// WriteFileAtomic replaces `path` with `data`: it writes a temporary file in
// the same directory, fsyncs it, renames it over `path` and fsyncs the
// directory, so readers see either the old or the new content, never a mix.
[[nodiscard]] absl::Status WriteFileAtomic(const std::string& path,
                                           std::string_view data,
                                           unsigned mode = 0644);

}  // namespace mra
