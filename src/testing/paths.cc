#include "mra/testing/paths.h"

#include <stdlib.h>

#include <cstdlib>
#include <filesystem>

#include "gtest/gtest.h"

namespace mra::testing {
namespace {

std::string EnvOr(const char* name, const std::string& fallback) {
  const char* v = std::getenv(name);
  return (v != nullptr && *v != '\0') ? std::string(v) : fallback;
}

}  // namespace

std::string SourceDir() { return EnvOr("MRA_SOURCE_DIR", "."); }

std::string BinaryDir() { return EnvOr("MRA_BINARY_DIR", "."); }

std::string SharedDir() {
  std::string dir = EnvOr("MRA_SHARED_DIR", SourceDir() + "/../shared");
  if (!std::filesystem::is_directory(dir + "/testdata")) {
    ADD_FAILURE() << "shared test data not found: expected '" << dir
                  << "/testdata' (the 'shared' directory must sit beside the "
                     "repository, or set -DMRA_SHARED_DIR=... at configure "
                     "time)";
  }
  return dir;
}

std::string SharedPath(const std::string& relative) {
  std::string path = SharedDir() + "/" + relative;
  if (!std::filesystem::exists(path)) {
    ADD_FAILURE() << "shared test file missing: " << path;
  }
  return path;
}

std::string MakeTempDir() {
  std::string base = EnvOr("TMPDIR", "/tmp");
  std::string tmpl = base + "/mra-test-XXXXXX";
  char* dir = ::mkdtemp(tmpl.data());
  if (dir == nullptr) {
    ADD_FAILURE() << "mkdtemp failed under " << base;
    return base;
  }
  return tmpl;
}

}  // namespace mra::testing
