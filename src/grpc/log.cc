#include "src/grpc/log.h"

#include <exception>

#include "spdlog/sinks/stdout_color_sinks.h"
#include "spdlog/spdlog.h"

namespace mra::grpc::internal {
namespace {

std::shared_ptr<spdlog::logger> MakeLogger() {
  constexpr const char* kName = "mra.grpc";
  if (auto existing = spdlog::get(kName)) {
    return existing;
  }
  try {
    return spdlog::stderr_color_mt(kName);
  } catch (const std::exception&) {
    // Lost a registration race with another thread or the application.
    if (auto existing = spdlog::get(kName)) {
      return existing;
    }
    return std::make_shared<spdlog::logger>(kName);  // No sinks: silent.
  }
}

}  // namespace

spdlog::logger& Logger() {
  static const std::shared_ptr<spdlog::logger> logger = MakeLogger();
  return *logger;
}

}  // namespace mra::grpc::internal
