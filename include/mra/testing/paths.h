// Copyright The mra Authors.
//
// File: mra/testing/paths.h
// -----------------------------------------------------------------------------
// Locations of test inputs. ctest sets MRA_SOURCE_DIR / MRA_SHARED_DIR /
// MRA_BINARY_DIR; the shared data (real DCAP quotes, reference auditor keys)
// lives in ../shared beside the repository and is never copied into it.

#pragma once

#include <string>

namespace mra::testing {

// SourceDir returns the repository root.
std::string SourceDir();

// BinaryDir returns the build directory (generated tools live there).
std::string BinaryDir();

// SharedDir returns the shared data directory. When it is missing the test
// fails with a message saying where it was looked for and how to fix it.
std::string SharedDir();

// SharedPath joins `relative` onto SharedDir() and fails the test clearly if
// the file does not exist.
std::string SharedPath(const std::string& relative);

// TempDir returns a fresh, empty directory for this test.
std::string MakeTempDir();

}  // namespace mra::testing
