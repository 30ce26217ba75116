// Copyright The mra Authors.
//
// File: src/grpc/log.h
// -----------------------------------------------------------------------------
// The spdlog logger of the grpc area, internal to mra_grpc.

#pragma once

#include <memory>

#include "spdlog/logger.h"

namespace mra::grpc::internal {

// Logger returns the "mra.grpc" logger: the one registered with spdlog under
// that name if the application made one (to choose sinks and level),
// otherwise a stderr logger created and registered on first use.
// Thread-safe.
spdlog::logger& Logger();

}  // namespace mra::grpc::internal
