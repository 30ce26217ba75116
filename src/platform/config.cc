// Copyright The mra Authors.
//
// DeploymentConfig parsing. toml++ reports errors by exception: this is a
// config edge, so they are caught here and become kInvalidArgument.

#include "mra/platform/config.h"

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <set>
#include <sstream>
#include <system_error>
#include <utility>

#include "toml++/toml.h"

#include "mra/base/file.h"
#include "mra/base/status.h"
#include "mra/base/strings.h"
#include "mra/x509/attested_cert.h"

namespace mra::platform {
namespace {

constexpr std::array<std::string_view, 7> kLogLevels = {
    "trace", "debug", "info", "warn", "error", "critical", "off"};
constexpr size_t kMaxNameLen = 64;
constexpr size_t kMaxPathLen = 4096;
constexpr size_t kMaxAddressLen = 255;
constexpr size_t kMaxListLen = 64;
constexpr absl::Duration kMaxLifetime = absl::Hours(24 * 30);

template <size_t N>
bool OneOf(const std::array<std::string_view, N>& set, std::string_view v) {
  return std::find(set.begin(), set.end(), v) != set.end();
}

bool ValidName(std::string_view name) {
  if (name.empty() || name.size() > kMaxNameLen) {
    return false;
  }
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.';
  });
}

// CheckAddress accepts "host:port", "[v6]:port" and "unix:PATH".
absl::Status CheckAddress(std::string_view address) {
  if (address.empty() || address.size() > kMaxAddressLen) {
    return absl::InvalidArgumentError(StrCat("expected host:port of at most ",
                                             kMaxAddressLen, " characters"));
  }
  if (address.starts_with("unix:")) {
    return address.size() > 5 ? absl::OkStatus()
                              : absl::InvalidArgumentError("empty unix path");
  }
  size_t colon = address.rfind(':');
  if (colon == std::string_view::npos || colon == 0) {
    return absl::InvalidArgumentError(
        StrCat("'", address, "' is not host:port"));
  }
  std::string_view host = address.substr(0, colon);
  std::string_view port = address.substr(colon + 1);
  if (host.front() == '[' && host.back() != ']') {
    return absl::InvalidArgumentError(
        StrCat("'", address, "': unterminated IPv6 literal"));
  }
  if (port.empty() || port.size() > 5 ||
      !std::all_of(port.begin(), port.end(),
                   [](char c) { return c >= '0' && c <= '9'; })) {
    return absl::InvalidArgumentError(
        StrCat("'", address, "': port must be 0..65535"));
  }
  unsigned value = 0;
  for (char c : port) {
    value = value * 10 + static_cast<unsigned>(c - '0');
  }
  if (value > 65535) {
    return absl::InvalidArgumentError(
        StrCat("'", address, "': port must be 0..65535"));
  }
  return absl::OkStatus();
}

std::string Resolve(std::string_view base_dir, const std::string& path) {
  if (path.empty() || base_dir.empty() || path.front() == '/') {
    return path;
  }
  return (std::filesystem::path(base_dir) / path).lexically_normal().string();
}

std::string Join(const std::string& dir, std::string_view name) {
  return (std::filesystem::path(dir) / name).string();
}

// TableReader reads the keys of one TOML table and remembers which it read,
// so Finish() can refuse the rest by name.
class TableReader {
 public:
  TableReader(const toml::table& table, std::string name,
              std::string_view origin)
      : table_(table), name_(std::move(name)), origin_(origin) {}

  absl::Status String(std::string_view key, std::string* out) {
    const toml::node* node = Take(key);
    if (node == nullptr) {
      return absl::OkStatus();
    }
    const auto* s = node->as_string();
    if (s == nullptr) {
      return Error(node, key, "expected a string");
    }
    if (s->get().find('\0') != std::string::npos) {
      return Error(node, key, "contains a NUL character");
    }
    *out = s->get();
    return absl::OkStatus();
  }

  absl::Status Path(std::string_view key, std::string_view base_dir,
                    std::string* out) {
    std::string value;
    const toml::node* node = table_.get(key);
    MRA_RETURN_IF_ERROR(String(key, &value));
    if (node == nullptr) {
      return absl::OkStatus();
    }
    if (value.empty() || value.size() > kMaxPathLen) {
      return Error(node, key,
                   StrCat("expected a path of 1..", kMaxPathLen, " bytes"));
    }
    *out = Resolve(base_dir, value);
    return absl::OkStatus();
  }

  absl::Status Address(std::string_view key, std::string* out) {
    std::string value;
    const toml::node* node = table_.get(key);
    MRA_RETURN_IF_ERROR(String(key, &value));
    if (node == nullptr) {
      return absl::OkStatus();
    }
    absl::Status s = CheckAddress(value);
    if (!s.ok()) {
      return Error(node, key, ToStd(s.message()));
    }
    *out = std::move(value);
    return absl::OkStatus();
  }

  absl::Status Bool(std::string_view key, bool* out) {
    const toml::node* node = Take(key);
    if (node == nullptr) {
      return absl::OkStatus();
    }
    const auto* b = node->as_boolean();
    if (b == nullptr) {
      return Error(node, key, "expected true or false");
    }
    *out = b->get();
    return absl::OkStatus();
  }

  absl::Status Uint(std::string_view key, uint32_t min, uint32_t max,
                    uint32_t* out) {
    const toml::node* node = Take(key);
    if (node == nullptr) {
      return absl::OkStatus();
    }
    const auto* i = node->as_integer();
    if (i == nullptr) {
      return Error(node, key, "expected an integer");
    }
    int64_t v = i->get();
    if (v < static_cast<int64_t>(min) || v > static_cast<int64_t>(max)) {
      return Error(node, key, StrCat("must be ", min, "..", max));
    }
    *out = static_cast<uint32_t>(v);
    return absl::OkStatus();
  }

  absl::Status Duration(std::string_view key, absl::Duration* out) {
    const toml::node* node = table_.get(key);
    std::string text;
    MRA_RETURN_IF_ERROR(String(key, &text));
    if (node == nullptr) {
      return absl::OkStatus();
    }
    absl::Duration d;
    if (!absl::ParseDuration(absl::string_view(text.data(), text.size()), &d)) {
      return Error(node, key,
                   "expected a duration such as \"90s\", \"15m\" or \"1h\"");
    }
    if (d <= absl::ZeroDuration() || d > kMaxLifetime) {
      return Error(node, key, "must be positive and at most 720h");
    }
    *out = d;
    return absl::OkStatus();
  }

  absl::Status OptionalDuration(std::string_view key,
                                std::optional<absl::Duration>* out) {
    absl::Duration d = absl::ZeroDuration();
    MRA_RETURN_IF_ERROR(Duration(key, &d));
    if (d != absl::ZeroDuration()) {
      *out = d;
    }
    return absl::OkStatus();
  }

  absl::Status StringList(
      std::string_view key, std::vector<std::string>* out,
      const std::function<absl::Status(const std::string&, std::string*)>&
          check) {
    const toml::node* node = Take(key);
    if (node == nullptr) {
      return absl::OkStatus();
    }
    const auto* arr = node->as_array();
    if (arr == nullptr) {
      return Error(node, key, "expected an array of strings");
    }
    if (arr->size() > kMaxListLen) {
      return Error(node, key, StrCat("at most ", kMaxListLen, " entries"));
    }
    std::vector<std::string> values;
    for (const toml::node& item : *arr) {
      const auto* s = item.as_string();
      if (s == nullptr) {
        return Error(&item, key, "expected an array of strings");
      }
      std::string value;
      absl::Status st = check(s->get(), &value);
      if (!st.ok()) {
        return Error(&item, key, ToStd(st.message()));
      }
      if (std::find(values.begin(), values.end(), value) != values.end()) {
        return Error(&item, key, StrCat("'", value, "' listed twice"));
      }
      values.push_back(std::move(value));
    }
    *out = std::move(values);
    return absl::OkStatus();
  }

  // Table returns the sub-table `key`, nullptr when absent.
  absl::StatusOr<const toml::table*> Table(std::string_view key) {
    const toml::node* node = Take(key);
    if (node == nullptr) {
      return nullptr;
    }
    const auto* t = node->as_table();
    if (t == nullptr) {
      return Error(node, key, "expected a table");
    }
    return t;
  }

  // Finish refuses any key that no accessor asked for.
  absl::Status Finish() const {
    const toml::node* first = nullptr;
    std::string first_key;
    for (const auto& [key, node] : table_) {
      if (known_.count(std::string(key.str())) != 0) {
        continue;
      }
      if (first == nullptr ||
          node.source().begin.line < first->source().begin.line) {
        first = &node;
        first_key = std::string(key.str());
      }
    }
    if (first == nullptr) {
      return absl::OkStatus();
    }
    return absl::InvalidArgumentError(
        StrCat(Where(first), "unknown key '", first_key, "' in ", name_));
  }

  absl::Status Error(const toml::node* node, std::string_view key,
                     std::string_view what) const {
    std::string qualified =
        name_ == "the top level"
            ? std::string(key)
            : StrCat(name_.substr(1, name_.size() - 2), ".", key);
    return absl::InvalidArgumentError(
        StrCat(Where(node), qualified, ": ", what));
  }

 private:
  const toml::node* Take(std::string_view key) {
    known_.insert(std::string(key));
    return table_.get(key);
  }

  std::string Where(const toml::node* node) const {
    if (node != nullptr && node->source().begin.line > 0) {
      return StrCat(origin_, ":", node->source().begin.line, ": ");
    }
    return StrCat(origin_, ": ");
  }

  const toml::table& table_;
  std::string name_;
  std::string_view origin_;
  std::set<std::string> known_;
};

absl::Status ParseService(const toml::table& table, std::string_view name,
                          std::string_view origin, std::string_view base_dir,
                          DeploymentConfig* config) {
  TableReader r(table, StrCat("[services.", name, "]"), origin);
  ServiceConfig& s = config->MutableService(name);
  MRA_RETURN_IF_ERROR(r.Address("listen", &s.listen));
  MRA_RETURN_IF_ERROR(r.Address("address", &s.address));
  MRA_RETURN_IF_ERROR(r.Path("data_dir", base_dir, &s.data_dir));
  MRA_RETURN_IF_ERROR(r.Path("rollback_state", base_dir, &s.rollback_state));
  if (name == kAuthenticationService) {
    AuthenticationConfig& a = config->authentication;
    MRA_RETURN_IF_ERROR(r.Duration("token_lifetime", &a.token_lifetime));
    MRA_RETURN_IF_ERROR(r.Uint("max_sessions", 1, 10000000, &a.max_sessions));
    MRA_RETURN_IF_ERROR(r.Uint("scrypt_log2_n", 10, 20, &a.scrypt_log2_n));
  }
  if (name == kStorageService) {
    StorageConfig& st = config->storage;
    MRA_RETURN_IF_ERROR(r.Uint("max_key_bytes", 1, 65536, &st.max_key_bytes));
    MRA_RETURN_IF_ERROR(
        r.Uint("max_value_bytes", 1, 4000000, &st.max_value_bytes));
  }
  return r.Finish();
}

absl::Status ParseRoot(const toml::table& root, std::string_view origin,
                       std::string_view base_dir, DeploymentConfig* config) {
  TableReader top(root, "the top level", origin);
  if (const toml::node* n = root.get("deployment"); n != nullptr) {
    MRA_RETURN_IF_ERROR(top.String("deployment", &config->deployment));
    if (!ValidName(config->deployment)) {
      return top.Error(n, "deployment",
                       "expected 1..64 characters of [A-Za-z0-9_.-]");
    }
  }
  MRA_RETURN_IF_ERROR(top.Path("data_dir", base_dir, &config->data_dir));
  if (const toml::node* n = root.get("log_level"); n != nullptr) {
    MRA_RETURN_IF_ERROR(top.String("log_level", &config->log_level));
    if (!OneOf(kLogLevels, config->log_level)) {
      return top.Error(
          n, "log_level",
          "expected one of trace, debug, info, warn, error, critical, off");
    }
  }

  MRA_ASSIGN_OR_RETURN(const toml::table* manifest, top.Table("manifest"));
  if (manifest != nullptr) {
    TableReader r(*manifest, "[manifest]", origin);
    ManifestConfig& m = config->manifest;
    MRA_RETURN_IF_ERROR(r.Path("path", base_dir, &m.path));
    MRA_RETURN_IF_ERROR(r.StringList(
        "signatures", &m.signatures,
        [&](const std::string& in, std::string* out) -> absl::Status {
          if (in.empty() || in.size() > kMaxPathLen) {
            return absl::InvalidArgumentError("expected non-empty paths");
          }
          *out = Resolve(base_dir, in);
          return absl::OkStatus();
        }));
    MRA_RETURN_IF_ERROR(r.Path("signature_dir", base_dir, &m.signature_dir));
    MRA_RETURN_IF_ERROR(r.Bool("require_version", &m.require_version));
    MRA_RETURN_IF_ERROR(r.Bool("require_expires", &m.require_expires));
    MRA_RETURN_IF_ERROR(r.Finish());
  }

  MRA_ASSIGN_OR_RETURN(const toml::table* attester, top.Table("attester"));
  if (attester != nullptr) {
    TableReader r(*attester, "[attester]", origin);
    if (const toml::node* n = attester->get("kind"); n != nullptr) {
      MRA_RETURN_IF_ERROR(r.String("kind", &config->attester.kind));
      if (!OneOf(kAttesterKinds, config->attester.kind)) {
        return r.Error(n, "kind", "expected one of sim, gramine, tsm");
      }
    }
    MRA_RETURN_IF_ERROR(r.Path("sim_dir", base_dir, &config->attester.sim_dir));
    MRA_RETURN_IF_ERROR(r.Finish());
  }

  MRA_ASSIGN_OR_RETURN(const toml::table* collateral, top.Table("collateral"));
  if (collateral != nullptr) {
    TableReader r(*collateral, "[collateral]", origin);
    MRA_RETURN_IF_ERROR(r.Path("path", base_dir, &config->collateral.path));
    MRA_RETURN_IF_ERROR(r.Finish());
  }

  MRA_ASSIGN_OR_RETURN(const toml::table* policy, top.Table("policy"));
  if (policy != nullptr) {
    TableReader r(*policy, "[policy]", origin);
    PolicyConfig& p = config->policy;
    MRA_RETURN_IF_ERROR(r.StringList(
        "accepted_tcb_statuses", &p.accepted_tcb_statuses,
        [](const std::string& in, std::string* out) -> absl::Status {
          if (!OneOf(kAcceptableTcbStatuses, in)) {
            return absl::InvalidArgumentError(
                StrCat("'", in,
                       "' is not an acceptable TCB status (UpToDate, "
                       "SWHardeningNeeded, ConfigurationNeeded, "
                       "ConfigurationAndSWHardeningNeeded, OutOfDate, "
                       "OutOfDateConfigurationNeeded; never Revoked)"));
          }
          *out = in;
          return absl::OkStatus();
        }));
    if (p.accepted_tcb_statuses.empty()) {
      return r.Error(policy->get("accepted_tcb_statuses"),
                     "accepted_tcb_statuses",
                     "must accept at least one status");
    }
    MRA_RETURN_IF_ERROR(r.Bool("allow_debug", &p.allow_debug));
    MRA_RETURN_IF_ERROR(r.Duration("cert_lifetime", &p.cert_lifetime));
    MRA_RETURN_IF_ERROR(
        r.OptionalDuration("max_collateral_age", &p.max_collateral_age));
    MRA_RETURN_IF_ERROR(
        r.OptionalDuration("max_evidence_age", &p.max_evidence_age));
    // Our own certificates are valid from kDefaultNotBeforeSkew before they
    // are made for cert_lifetime: a shorter limit would refuse peers'
    // certificates near the end of their life.
    const absl::Duration oldest_own =
        p.cert_lifetime + x509::kDefaultNotBeforeSkew;
    if (p.max_evidence_age.has_value() && *p.max_evidence_age < oldest_own) {
      return r.Error(policy->get("max_evidence_age"), "max_evidence_age",
                     StrCat("must be at least cert_lifetime + ",
                            absl::FormatDuration(x509::kDefaultNotBeforeSkew),
                            " (", absl::FormatDuration(oldest_own), ")"));
    }
    MRA_RETURN_IF_ERROR(r.Bool("allow_simulation", &p.allow_simulation));
    MRA_RETURN_IF_ERROR(
        r.Path("simulation_root", base_dir, &p.simulation_root));
    MRA_RETURN_IF_ERROR(r.Finish());
  }

  MRA_ASSIGN_OR_RETURN(const toml::table* services, top.Table("services"));
  if (services != nullptr) {
    TableReader r(*services, "[services]", origin);
    for (std::string_view name : kPlatformServices) {
      MRA_ASSIGN_OR_RETURN(const toml::table* service, r.Table(name));
      if (service != nullptr) {
        MRA_RETURN_IF_ERROR(
            ParseService(*service, name, origin, base_dir, config));
      }
    }
    absl::Status unknown = r.Finish();
    if (!unknown.ok()) {
      return absl::InvalidArgumentError(
          StrCat(ToStd(unknown.message()),
                 " (services are frontend, authentication, storage)"));
    }
  }
  return top.Finish();
}

// FillDerived computes every default that depends on another value.
void FillDerived(DeploymentConfig* config) {
  if (config->manifest.path.empty()) {
    config->manifest.path = Join(config->data_dir, "enclave_info.toml");
  }
  if (config->manifest.signature_dir.empty()) {
    std::filesystem::path parent =
        std::filesystem::path(config->manifest.path).parent_path();
    config->manifest.signature_dir = (parent / "signatures").string();
  }
  if (config->attester.sim_dir.empty()) {
    config->attester.sim_dir = Join(config->data_dir, "sim");
  }
  if (config->policy.simulation_root.empty()) {
    config->policy.simulation_root = Join(config->attester.sim_dir, "root.pem");
  }
  for (auto& [name, s] : config->services) {
    if (s.address.empty()) {
      s.address = s.listen;
    }
    if (s.data_dir.empty()) {
      s.data_dir = Join(config->data_dir, name);
    }
    if (s.rollback_state.empty()) {
      s.rollback_state = Join(s.data_dir, "manifest-state.json");
    }
  }
}

absl::Status CheckConsistent(const DeploymentConfig& config,
                             std::string_view origin) {
  std::map<std::string, std::string> listeners;
  std::map<std::string, std::string> states;
  for (const auto& [name, s] : config.services) {
    if (!s.listen.ends_with(":0")) {
      auto [it, inserted] = listeners.emplace(s.listen, name);
      if (!inserted) {
        return absl::InvalidArgumentError(
            StrCat(origin, ": services.", it->second, " and services.", name,
                   " both listen on ", s.listen));
      }
    }
    auto [it, inserted] = states.emplace(s.rollback_state, name);
    if (!inserted) {
      return absl::InvalidArgumentError(
          StrCat(origin, ": services.", it->second, " and services.", name,
                 " share the rollback state file ", s.rollback_state,
                 " (each service needs its own)"));
    }
  }
  return absl::OkStatus();
}

DeploymentConfig BaseConfig() {
  DeploymentConfig config;
  config.services[std::string(kFrontendService)].listen = "127.0.0.1:7700";
  config.services[std::string(kAuthenticationService)].listen =
      "127.0.0.1:7701";
  config.services[std::string(kStorageService)].listen = "127.0.0.1:7702";
  return config;
}

toml::array ToArray(const std::vector<std::string>& values) {
  toml::array arr;
  for (const std::string& v : values) {
    arr.push_back(v);
  }
  return arr;
}

std::string DurationText(absl::Duration d) { return absl::FormatDuration(d); }

}  // namespace

const ServiceConfig& DeploymentConfig::Service(std::string_view name) const {
  auto it = services.find(name);
  MRA_CHECK(it != services.end());
  return it->second;
}

ServiceConfig& DeploymentConfig::MutableService(std::string_view name) {
  auto it = services.find(name);
  MRA_CHECK(it != services.end());
  return it->second;
}

DeploymentConfig DefaultDeploymentConfig() {
  DeploymentConfig config = BaseConfig();
  FillDerived(&config);
  return config;
}

absl::StatusOr<DeploymentConfig> ParseDeploymentConfig(
    std::string_view toml_text, std::string_view origin,
    std::string_view base_dir) {
  if (toml_text.size() > kMaxConfigLen) {
    return absl::InvalidArgumentError(StrCat(origin, ": ", toml_text.size(),
                                             " bytes; the limit is ",
                                             kMaxConfigLen));
  }
  if (toml_text.find('\0') != std::string_view::npos) {
    return absl::InvalidArgumentError(StrCat(origin, ": contains a NUL byte"));
  }
  DeploymentConfig config = BaseConfig();
  // Relative data_dir in a file is relative to the file too.
  config.data_dir = Resolve(base_dir, config.data_dir);
  try {
    toml::table root = toml::parse(toml_text, origin);
    MRA_RETURN_IF_ERROR(ParseRoot(root, origin, base_dir, &config));
  } catch (const toml::parse_error& e) {
    return absl::InvalidArgumentError(StrCat(origin, ":", e.source().begin.line,
                                             ":", e.source().begin.column, ": ",
                                             e.description()));
  } catch (const std::exception& e) {
    return absl::InvalidArgumentError(
        StrCat(origin, ": cannot parse: ", e.what()));
  }
  FillDerived(&config);
  MRA_RETURN_IF_ERROR(CheckConsistent(config, origin));
  return config;
}

absl::StatusOr<DeploymentConfig> LoadDeploymentConfig(const std::string& path) {
  absl::StatusOr<std::string> text = ReadFileBounded(path, kMaxConfigLen);
  if (!text.ok()) {
    return absl::Status(
        text.status().code(),
        StrCat("config ", path, ": ", ToStd(text.status().message())));
  }
  std::string base_dir = std::filesystem::path(path).parent_path().string();
  if (base_dir.empty()) {
    base_dir = ".";
  }
  return ParseDeploymentConfig(*text, path, base_dir);
}

std::string FormatDeploymentConfig(const DeploymentConfig& config) {
  toml::table root;
  root.insert("deployment", config.deployment);
  root.insert("data_dir", config.data_dir);
  root.insert("log_level", config.log_level);

  toml::table manifest;
  manifest.insert("path", config.manifest.path);
  manifest.insert("signatures", ToArray(config.manifest.signatures));
  manifest.insert("signature_dir", config.manifest.signature_dir);
  manifest.insert("require_version", config.manifest.require_version);
  manifest.insert("require_expires", config.manifest.require_expires);
  root.insert("manifest", std::move(manifest));

  toml::table attester;
  attester.insert("kind", config.attester.kind);
  attester.insert("sim_dir", config.attester.sim_dir);
  root.insert("attester", std::move(attester));

  if (!config.collateral.path.empty()) {
    toml::table collateral;
    collateral.insert("path", config.collateral.path);
    root.insert("collateral", std::move(collateral));
  }

  toml::table policy;
  policy.insert("accepted_tcb_statuses",
                ToArray(config.policy.accepted_tcb_statuses));
  policy.insert("allow_debug", config.policy.allow_debug);
  policy.insert("cert_lifetime", DurationText(config.policy.cert_lifetime));
  if (config.policy.max_collateral_age.has_value()) {
    policy.insert("max_collateral_age",
                  DurationText(*config.policy.max_collateral_age));
  }
  if (config.policy.max_evidence_age.has_value()) {
    policy.insert("max_evidence_age",
                  DurationText(*config.policy.max_evidence_age));
  }
  policy.insert("allow_simulation", config.policy.allow_simulation);
  policy.insert("simulation_root", config.policy.simulation_root);
  root.insert("policy", std::move(policy));

  toml::table services;
  for (const auto& [name, s] : config.services) {
    toml::table t;
    t.insert("listen", s.listen);
    t.insert("address", s.address);
    t.insert("data_dir", s.data_dir);
    t.insert("rollback_state", s.rollback_state);
    if (name == kAuthenticationService) {
      t.insert("token_lifetime",
               DurationText(config.authentication.token_lifetime));
      t.insert("max_sessions",
               static_cast<int64_t>(config.authentication.max_sessions));
      t.insert("scrypt_log2_n",
               static_cast<int64_t>(config.authentication.scrypt_log2_n));
    }
    if (name == kStorageService) {
      t.insert("max_key_bytes",
               static_cast<int64_t>(config.storage.max_key_bytes));
      t.insert("max_value_bytes",
               static_cast<int64_t>(config.storage.max_value_bytes));
    }
    services.insert(name, std::move(t));
  }
  root.insert("services", std::move(services));

  std::ostringstream out;
  out << root << "\n";
  return out.str();
}

absl::StatusOr<std::vector<std::string>> ResolveSignatureFiles(
    const ManifestConfig& manifest) {
  if (!manifest.signatures.empty()) {
    return manifest.signatures;
  }
  std::vector<std::string> files;
  std::error_code ec;
  if (!std::filesystem::is_directory(manifest.signature_dir, ec)) {
    return files;
  }
  std::filesystem::directory_iterator it(manifest.signature_dir, ec);
  if (ec) {
    return absl::UnavailableError(
        StrCat("cannot list ", manifest.signature_dir, ": ", ec.message()));
  }
  for (const auto& entry : it) {
    if (entry.path().extension() == ".sig" && entry.is_regular_file(ec)) {
      files.push_back(entry.path().string());
    }
  }
  std::sort(files.begin(), files.end());
  return files;
}

}  // namespace mra::platform
