// Copyright The mra Authors.
//
// File: mra/base/strings.h
// -----------------------------------------------------------------------------
// String building on fmt. Debian's Abseil is built with its own
// absl::string_view (ABSL_OPTION_USE_STD_STRING_VIEW 0), so StrCat does
// not accept std::string_view; project code uses these instead.

#pragma once

#include <iterator>
#include <string>
#include <string_view>

#include "absl/strings/string_view.h"
#include "fmt/format.h"

namespace mra {

// StrCat concatenates the fmt-formatted ("{}") form of each argument.
template <typename... Args>
std::string StrCat(const Args&... args) {
  std::string out;
  (fmt::format_to(std::back_inserter(out), "{}", args), ...);
  return out;
}

// StrAppend appends the fmt-formatted form of each argument to `*out`.
template <typename... Args>
void StrAppend(std::string* out, const Args&... args) {
  (fmt::format_to(std::back_inserter(*out), "{}", args), ...);
}

// ToStd converts Abseil's string_view (e.g. Status::message()).
inline std::string_view ToStd(absl::string_view s) {
  return {s.data(), s.size()};
}

// TrimAsciiWhitespace strips leading and trailing ASCII whitespace.
inline std::string_view TrimAsciiWhitespace(std::string_view s) {
  constexpr std::string_view kSpace = " \t\r\n\f\v";
  size_t begin = s.find_first_not_of(kSpace);
  if (begin == std::string_view::npos) {
    return {};
  }
  size_t end = s.find_last_not_of(kSpace);
  return s.substr(begin, end - begin + 1);
}

}  // namespace mra
