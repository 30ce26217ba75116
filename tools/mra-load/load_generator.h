// Copyright The mra Authors.
//
// File: tools/mra-load/load_generator.h
// -----------------------------------------------------------------------------
// The platform load generator behind mra-load (issue 5): N concurrent
// clients doing put/get through frontend -> storage for a fixed time and/or
// a fixed number of operations.
//
// Each client is what one mra-client process is: its own ChannelFactory
// (from the same SelectClientChannelFactory mra-client uses, so in the
// attested mode it verifies the manifest and attests the frontend on its own
// connection), its own user (Register + Login), and its own channel. After
// every client is set up, all start together and loop
//     Put(key_i, fresh value) ; Get(key_i) == that value
// over `num_keys` keys each, until the duration ends or `max_ops` operations
// were started. Every operation is timed (steady clock, per client, no
// locks); every failure is counted by kind and never dropped: a failed RPC,
// a Get returning another value than the last successful Put of that key,
// and a failed set-up step. Latencies are of successful operations.
//
// Thread-safety: RunLoad is reentrant; it runs one thread per client.

#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

#include "mra/platform/transport.h"

namespace mra::load {

// LoadOptions bound and shape the workload.
struct LoadOptions {
  int num_clients = 4;                          // 1..1024
  absl::Duration duration = absl::Seconds(10);  // measured phase
  uint64_t max_ops = 0;                         // 0: bounded by time only
  size_t value_len = 64;                        // bytes per Put value
  int num_keys = 16;                            // keys per client
  absl::Duration op_timeout = absl::Seconds(10);
  std::string user_prefix = "load";  // users are <prefix>-<client index>
  std::string password = "mra-load password";
};

// LatencySummary of a set of operations (nearest-rank percentiles).
struct LatencySummary {
  uint64_t count = 0;
  double mean_ms = 0;
  double p50_ms = 0;
  double p99_ms = 0;
  double max_ms = 0;
};

// LoadResult is one run. num_errors is the sum of errors_by_kind.
struct LoadResult {
  std::string label;      // e.g. "attested", "plain-mtls"
  std::string transport;  // ChannelFactory::Describe()
  int num_clients = 0;
  int num_clients_ready = 0;   // set up successfully; only they ran
  double setup_seconds = 0;    // all clients: factory, dial, register, login
  double elapsed_seconds = 0;  // start of the measured phase to the last op
  uint64_t num_ok = 0;
  uint64_t num_errors = 0;
  // "<phase>:<reason>" -> count, e.g. "put:UNAVAILABLE", "get:VALUE_MISMATCH",
  // "setup:register:ALREADY_EXISTS".
  std::map<std::string, uint64_t> errors_by_kind;
  std::vector<std::string> error_samples;  // the first few messages
  double ops_per_second = 0;               // num_ok / elapsed_seconds
  LatencySummary all;
  LatencySummary put;
  LatencySummary get;
};

// MakeFactory returns a new ChannelFactory for one client.
using MakeFactory =
    std::function<absl::StatusOr<std::unique_ptr<platform::ChannelFactory>>()>;

// RunLoad runs the workload against the frontend at `frontend_address`.
// Failures of clients or operations are in the result, not the status.
// @return kInvalidArgument for options out of range.
absl::StatusOr<LoadResult> RunLoad(const MakeFactory& make_factory,
                                   const std::string& frontend_address,
                                   const LoadOptions& options);

// Summarize sorts `latencies_ns` and returns count, mean, nearest-rank p50
// and p99 (the smallest value with at least p% of the values at or below
// it) and max, in milliseconds. Empty input: all zero.
LatencySummary Summarize(std::vector<int64_t> latencies_ns);

// FormatTable renders results as an aligned text table, one row each.
std::string FormatTable(const std::vector<LoadResult>& results);

// ToJson renders one result as a single-line JSON object.
std::string ToJson(const LoadResult& result);

}  // namespace mra::load
