// Copyright The mra Authors.
//
// The platform load generator (see load_generator.h).

#include "tools/mra-load/load_generator.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <latch>
#include <mutex>
#include <numeric>
#include <optional>
#include <thread>
#include <utility>

#include "fmt/format.h"
#include "grpcpp/channel.h"
#include "grpcpp/client_context.h"
#include "nlohmann/json.hpp"

#include "mra/base/strings.h"
#include "mra/platform/config.h"
#include "mra/v1/frontend.grpc.pb.h"

namespace mra::load {
namespace {

using SteadyClock = std::chrono::steady_clock;

constexpr int kMaxClients = 1024;
constexpr int kMaxKeys = 1 << 16;
constexpr size_t kMaxValueLen = size_t{1} << 20;
constexpr size_t kMaxErrorSamples = 5;

std::string_view CodeName(::grpc::StatusCode code) {
  switch (code) {
    case ::grpc::StatusCode::OK:
      return "OK";
    case ::grpc::StatusCode::CANCELLED:
      return "CANCELLED";
    case ::grpc::StatusCode::INVALID_ARGUMENT:
      return "INVALID_ARGUMENT";
    case ::grpc::StatusCode::DEADLINE_EXCEEDED:
      return "DEADLINE_EXCEEDED";
    case ::grpc::StatusCode::NOT_FOUND:
      return "NOT_FOUND";
    case ::grpc::StatusCode::ALREADY_EXISTS:
      return "ALREADY_EXISTS";
    case ::grpc::StatusCode::PERMISSION_DENIED:
      return "PERMISSION_DENIED";
    case ::grpc::StatusCode::RESOURCE_EXHAUSTED:
      return "RESOURCE_EXHAUSTED";
    case ::grpc::StatusCode::UNAUTHENTICATED:
      return "UNAUTHENTICATED";
    case ::grpc::StatusCode::UNAVAILABLE:
      return "UNAVAILABLE";
    case ::grpc::StatusCode::INTERNAL:
      return "INTERNAL";
    default:
      return "OTHER";
  }
}

// Errors collects failures from all clients.
class Errors {
 public:
  void Add(const std::string& kind, const std::string& message) {
    std::lock_guard<std::mutex> lock(mu_);
    ++by_kind_[kind];
    if (samples_.size() < kMaxErrorSamples) {
      samples_.push_back(StrCat(kind, ": ", message));
    }
  }
  void MoveInto(LoadResult* out) {
    std::lock_guard<std::mutex> lock(mu_);
    out->errors_by_kind = std::move(by_kind_);
    out->error_samples = std::move(samples_);
    out->num_errors = 0;
    for (const auto& [kind, count] : out->errors_by_kind) {
      out->num_errors += count;
    }
  }

 private:
  std::mutex mu_;
  std::map<std::string, uint64_t> by_kind_;  // Guarded by mu_.
  std::vector<std::string> samples_;         // Guarded by mu_.
};

// Client is one simulated mra-client: its factory, channel, user and token,
// and the latencies it measured.
struct Client {
  int index = 0;
  std::unique_ptr<platform::ChannelFactory> factory;
  std::shared_ptr<::grpc::Channel> channel;
  std::unique_ptr<v1::Frontend::Stub> stub;
  std::string token;
  bool ready = false;
  std::vector<int64_t> put_ns;
  std::vector<int64_t> get_ns;
  SteadyClock::time_point finished;
};

void SetDeadline(::grpc::ClientContext* context, absl::Duration timeout) {
  context->set_deadline(std::chrono::system_clock::now() +
                        absl::ToChronoMilliseconds(timeout));
}

// SetUp makes the client's factory and channel, registers and logs in.
void SetUp(Client* client, const MakeFactory& make_factory,
           const std::string& address, const LoadOptions& options,
           Errors* errors) {
  absl::StatusOr<std::unique_ptr<platform::ChannelFactory>> factory =
      make_factory();
  if (!factory.ok()) {
    errors->Add("setup:factory", std::string(factory.status().message()));
    return;
  }
  client->factory = std::move(*factory);
  absl::StatusOr<std::shared_ptr<::grpc::Channel>> channel =
      client->factory->Dial(platform::kFrontendService, address);
  if (!channel.ok()) {
    errors->Add("setup:dial", std::string(channel.status().message()));
    return;
  }
  client->channel = std::move(*channel);
  client->stub = v1::Frontend::NewStub(client->channel);
  const std::string user = StrCat(options.user_prefix, "-", client->index);
  {
    ::grpc::ClientContext context;
    SetDeadline(&context, options.op_timeout);
    v1::RegisterRequest request;
    request.set_username(user);
    request.set_password(options.password);
    v1::RegisterResponse response;
    ::grpc::Status s = client->stub->Register(&context, request, &response);
    if (!s.ok()) {
      errors->Add(StrCat("setup:register:", CodeName(s.error_code())),
                  s.error_message());
      return;
    }
  }
  ::grpc::ClientContext context;
  SetDeadline(&context, options.op_timeout);
  v1::LoginRequest request;
  request.set_username(user);
  request.set_password(options.password);
  v1::LoginResponse response;
  ::grpc::Status s = client->stub->Login(&context, request, &response);
  if (!s.ok()) {
    errors->Add(StrCat("setup:login:", CodeName(s.error_code())),
                s.error_message());
    return;
  }
  client->token = response.token();
  client->ready = true;
}

// ValueFor is the value of the client's `seq`-th Put: unique per client and
// sequence number, padded to value_len.
std::string ValueFor(int client, uint64_t seq, size_t value_len) {
  std::string value = fmt::format("c{}-s{}-", client, seq);
  value.resize(std::max(value_len, value.size()), 'v');
  return value;
}

// Reserve takes one operation from the max_ops budget (0: unbounded).
bool Reserve(std::atomic<uint64_t>* started, uint64_t max_ops) {
  if (max_ops == 0) {
    return true;
  }
  return started->fetch_add(1, std::memory_order_relaxed) < max_ops;
}

void Loop(Client* client, const LoadOptions& options,
          SteadyClock::time_point deadline, std::atomic<uint64_t>* started,
          Errors* errors) {
  // The last value successfully put under each key (nullopt: unknown, e.g.
  // after a failed Put that the server may still have applied).
  std::vector<std::optional<std::string>> last(
      static_cast<size_t>(options.num_keys));
  std::vector<bool> known(static_cast<size_t>(options.num_keys), true);
  uint64_t seq = 0;
  while (SteadyClock::now() < deadline && Reserve(started, options.max_ops)) {
    const size_t slot =
        static_cast<size_t>(seq % static_cast<uint64_t>(options.num_keys));
    const std::string key = StrCat("k", slot);
    std::string value = ValueFor(client->index, seq, options.value_len);
    ++seq;
    {
      ::grpc::ClientContext context;
      SetDeadline(&context, options.op_timeout);
      v1::PutRequest request;
      request.set_token(client->token);
      request.set_key(key);
      request.set_value(value);
      v1::PutResponse response;
      auto t0 = SteadyClock::now();
      ::grpc::Status s = client->stub->Put(&context, request, &response);
      auto t1 = SteadyClock::now();
      if (s.ok()) {
        client->put_ns.push_back((t1 - t0).count());
        last[slot] = std::move(value);
        known[slot] = true;
      } else {
        errors->Add(StrCat("put:", CodeName(s.error_code())),
                    s.error_message());
        known[slot] = false;
      }
    }
    if (SteadyClock::now() >= deadline || !Reserve(started, options.max_ops)) {
      break;
    }
    ::grpc::ClientContext context;
    SetDeadline(&context, options.op_timeout);
    v1::GetRequest request;
    request.set_token(client->token);
    request.set_key(key);
    v1::GetResponse response;
    auto t0 = SteadyClock::now();
    ::grpc::Status s = client->stub->Get(&context, request, &response);
    auto t1 = SteadyClock::now();
    if (!s.ok()) {
      errors->Add(StrCat("get:", CodeName(s.error_code())), s.error_message());
    } else if (known[slot] &&
               (!last[slot].has_value() || response.value() != *last[slot])) {
      errors->Add("get:VALUE_MISMATCH",
                  StrCat("client ", client->index, " key ", key, ": got ",
                         response.value().size(),
                         " bytes, not the last "
                         "value put"));
    } else {
      client->get_ns.push_back((t1 - t0).count());
    }
  }
  client->finished = SteadyClock::now();
}

double Seconds(SteadyClock::duration d) {
  return std::chrono::duration<double>(d).count();
}

double NsToMs(double ns) { return ns / 1e6; }

}  // namespace

LatencySummary Summarize(std::vector<int64_t> latencies_ns) {
  LatencySummary summary;
  if (latencies_ns.empty()) {
    return summary;
  }
  std::sort(latencies_ns.begin(), latencies_ns.end());
  const size_t n = latencies_ns.size();
  auto rank = [&](double p) {
    // Nearest rank: ceil(p/100 * n), 1-based.
    auto r = static_cast<size_t>(std::ceil(p / 100.0 * static_cast<double>(n)));
    return latencies_ns[std::clamp<size_t>(r, 1, n) - 1];
  };
  long double sum = std::accumulate(latencies_ns.begin(), latencies_ns.end(),
                                    static_cast<long double>(0));
  summary.count = n;
  summary.mean_ms = NsToMs(static_cast<double>(sum / n));
  summary.p50_ms = NsToMs(static_cast<double>(rank(50)));
  summary.p99_ms = NsToMs(static_cast<double>(rank(99)));
  summary.max_ms = NsToMs(static_cast<double>(latencies_ns.back()));
  return summary;
}

absl::StatusOr<LoadResult> RunLoad(const MakeFactory& make_factory,
                                   const std::string& frontend_address,
                                   const LoadOptions& options) {
  if (options.num_clients < 1 || options.num_clients > kMaxClients) {
    return absl::InvalidArgumentError(
        StrCat("clients must be 1..", kMaxClients));
  }
  if (options.num_keys < 1 || options.num_keys > kMaxKeys) {
    return absl::InvalidArgumentError(StrCat("keys must be 1..", kMaxKeys));
  }
  if (options.value_len > kMaxValueLen) {
    return absl::InvalidArgumentError(
        StrCat("value size must be at most ", kMaxValueLen));
  }
  if (options.duration <= absl::ZeroDuration() ||
      options.op_timeout <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("duration and timeout must be positive");
  }

  const auto num = static_cast<size_t>(options.num_clients);
  std::vector<Client> clients(num);
  Errors errors;
  std::atomic<uint64_t> started{0};
  std::latch set_up(options.num_clients);
  std::latch go(1);
  SteadyClock::time_point start;
  SteadyClock::time_point deadline;

  const auto setup_begin = SteadyClock::now();
  std::vector<std::thread> threads;
  threads.reserve(num);
  for (size_t i = 0; i < num; ++i) {
    threads.emplace_back([&, i] {
      Client* client = &clients[i];
      client->index = static_cast<int>(i);
      SetUp(client, make_factory, frontend_address, options, &errors);
      set_up.count_down();
      go.wait();  // `start` and `deadline` are written before go opens.
      if (client->ready) {
        Loop(client, options, deadline, &started, &errors);
      }
    });
  }
  set_up.wait();
  start = SteadyClock::now();
  deadline = start + absl::ToChronoNanoseconds(options.duration);
  go.count_down();
  for (std::thread& t : threads) {
    t.join();
  }

  LoadResult result;
  result.num_clients = options.num_clients;
  result.setup_seconds = Seconds(start - setup_begin);
  SteadyClock::time_point end = start;
  std::vector<int64_t> put_ns;
  std::vector<int64_t> get_ns;
  for (Client& client : clients) {
    if (result.transport.empty() && client.factory != nullptr) {
      result.transport = std::string(client.factory->Describe());
    }
    if (!client.ready) {
      continue;
    }
    ++result.num_clients_ready;
    end = std::max(end, client.finished);
    put_ns.insert(put_ns.end(), client.put_ns.begin(), client.put_ns.end());
    get_ns.insert(get_ns.end(), client.get_ns.begin(), client.get_ns.end());
  }
  std::vector<int64_t> all_ns = put_ns;
  all_ns.insert(all_ns.end(), get_ns.begin(), get_ns.end());
  result.elapsed_seconds = Seconds(end - start);
  result.put = Summarize(std::move(put_ns));
  result.get = Summarize(std::move(get_ns));
  result.all = Summarize(std::move(all_ns));
  result.num_ok = result.all.count;
  result.ops_per_second =
      result.elapsed_seconds > 0
          ? static_cast<double>(result.num_ok) / result.elapsed_seconds
          : 0;
  errors.MoveInto(&result);
  return result;
}

std::string FormatTable(const std::vector<LoadResult>& results) {
  std::string out = fmt::format(
      "{:<12} {:>7} {:>7} {:>9} {:>7} {:>10} {:>8} {:>8} {:>8} {:>8}  {}\n",
      "mode", "clients", "seconds", "ops", "errors", "ops/s", "p50 ms",
      "p99 ms", "mean ms", "max ms", "transport");
  for (const LoadResult& r : results) {
    StrAppend(&out, fmt::format("{:<12} {:>7} {:>7.2f} {:>9} {:>7} {:>10.1f} "
                                "{:>8.3f} {:>8.3f} {:>8.3f} {:>8.3f}  {}\n",
                                r.label.empty() ? "-" : r.label, r.num_clients,
                                r.elapsed_seconds, r.num_ok, r.num_errors,
                                r.ops_per_second, r.all.p50_ms, r.all.p99_ms,
                                r.all.mean_ms, r.all.max_ms, r.transport));
  }
  return out;
}

std::string ToJson(const LoadResult& r) {
  auto latency = [](const LatencySummary& s) {
    return nlohmann::json{{"count", s.count},
                          {"mean_ms", s.mean_ms},
                          {"p50_ms", s.p50_ms},
                          {"p99_ms", s.p99_ms},
                          {"max_ms", s.max_ms}};
  };
  nlohmann::json j{
      {"label", r.label},
      {"transport", r.transport},
      {"clients", r.num_clients},
      {"clients_ready", r.num_clients_ready},
      {"setup_seconds", r.setup_seconds},
      {"elapsed_seconds", r.elapsed_seconds},
      {"ops", r.num_ok},
      {"errors", r.num_errors},
      {"errors_by_kind", r.errors_by_kind},
      {"error_samples", r.error_samples},
      {"ops_per_second", r.ops_per_second},
      {"latency", latency(r.all)},
      {"put", latency(r.put)},
      {"get", latency(r.get)},
  };
  return j.dump();
}

}  // namespace mra::load
