// Copyright The mra Authors.
//
// File: mra/platform/config.h
// -----------------------------------------------------------------------------
// DeploymentConfig is the one TOML file per deployment that every platform
// service (frontend, authentication, storage) and mra-client read. Every key
// is optional; with no file at all the demo runs on 127.0.0.1:7700-7702 with
// its data under ./mra-data. Parsing is strict: unknown keys, unknown service
// tables, wrong types and out-of-range values are refused with a message that
// names the file, line and key.
//
//   deployment = "demo"            # must equal the manifest's `deployment`
//   data_dir = "mra-data"          # relative paths: to the config file's dir
//   log_level = "info"             # trace debug info warn error critical off
//
//   [manifest]
//   path = "<data_dir>/enclave_info.toml"
//   signatures = []                # empty: every *.sig in signature_dir
//   signature_dir = "<dir of path>/signatures"
//   require_version = true
//   require_expires = true
//
//   [attester]
//   kind = "sim"                   # sim | gramine | tsm
//   sim_dir = "<data_dir>/sim"     # made by `mra sim init`
//
//   [collateral]
//   path = ""                      # empty: the attester's default
//                                  # (sim: <sim_dir>/collateral.json)
//   [policy]
//   accepted_tcb_statuses = ["UpToDate"]
//   allow_debug = false
//   cert_lifetime = "1h"           # absl duration: "90s", "1h30m"
//   max_collateral_age = "720h"    # optional; unset: nextUpdate only
//   max_evidence_age = "24h"       # optional; unset: the verifier default
//   allow_simulation = false       # accept quotes of simulation_root
//   simulation_root = "<sim_dir>/root.pem"   # read only when allowed
//
//   [services.frontend]            # likewise authentication (7701),
//   listen = "127.0.0.1:7700"      #   storage (7702)
//   address = "<listen>"           # how peers and clients dial it
//   data_dir = "<data_dir>/frontend"
//   rollback_state = "<service data_dir>/manifest-state.json"
//
//   [services.authentication]      # plus, only here:
//   token_lifetime = "1h"
//   max_sessions = 100000
//   scrypt_log2_n = 15             # 10..20; stored with each hash
//
//   [services.storage]             # plus, only here:
//   max_key_bytes = 1024           # 1..65536
//   max_value_bytes = 1048576      # 1..4000000 (below gRPC's 4 MiB limit)

#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace mra::platform {

// Service names: the manifest table names of the platform's services.
inline constexpr std::string_view kFrontendService = "frontend";
inline constexpr std::string_view kAuthenticationService = "authentication";
inline constexpr std::string_view kStorageService = "storage";
inline constexpr std::array<std::string_view, 3> kPlatformServices = {
    kFrontendService, kAuthenticationService, kStorageService};

// Attester backends a config may name (see mra/attest/attester.h).
inline constexpr std::array<std::string_view, 3> kAttesterKinds = {
    "sim", "gramine", "tsm"};

// TCB statuses a policy may accept (Intel's spelling). "Revoked" is never
// acceptable and is refused by the parser.
inline constexpr std::array<std::string_view, 6> kAcceptableTcbStatuses = {
    "UpToDate",
    "SWHardeningNeeded",
    "ConfigurationNeeded",
    "ConfigurationAndSWHardeningNeeded",
    "OutOfDate",
    "OutOfDateConfigurationNeeded"};

// Largest config file read.
inline constexpr size_t kMaxConfigLen = size_t{256} * 1024;

// ServiceConfig is one [services.NAME] table.
struct ServiceConfig {
  std::string listen;          // host:port (or unix:PATH) the server binds.
  std::string address;         // How peers and clients dial it.
  std::string data_dir;        // The service's private state.
  std::string rollback_state;  // Manifest rollback-state file.
};

// ManifestConfig says where the auditor-signed manifest is.
struct ManifestConfig {
  std::string path;
  // Explicit signature files. Empty: every regular *.sig file in
  // signature_dir, sorted (signatures by non-auditors simply do not count).
  std::vector<std::string> signatures;
  std::string signature_dir;
  bool require_version = true;
  bool require_expires = true;
};

// AttesterConfig chooses how a service produces evidence about itself.
struct AttesterConfig {
  std::string kind = "sim";
  std::string sim_dir;
};

// CollateralConfig says where DCAP collateral comes from.
struct CollateralConfig {
  std::string path;  // Empty: the attester's default.
};

// PolicyConfig is the appraisal policy applied to every peer's evidence.
struct PolicyConfig {
  std::vector<std::string> accepted_tcb_statuses = {"UpToDate"};
  bool allow_debug = false;
  absl::Duration cert_lifetime = absl::Hours(1);
  // Refuse a peer whose collateral (TCB info, QE identity, CRLs) was issued
  // longer ago than this. Unset: only the collateral's own nextUpdate
  // dates bound it.
  std::optional<absl::Duration> max_collateral_age;
  // Refuse a peer certificate (and so the evidence bound in it) issued
  // longer ago than this, whatever validity it claims. Unset: the
  // verifier's default (x509::PeerVerifierOptions::max_evidence_age).
  std::optional<absl::Duration> max_evidence_age;
  // WARNING: development only. Trust quotes that chain to the development
  // root in `simulation_root` (a sim dir's root.pem, `mra sim init`) in
  // addition to Intel's. Without it, simulation quotes are refused
  // (SIMULATION_NOT_TRUSTED / ROOT_CA_UNTRUSTED), including this service's
  // own when it runs the sim attester.
  bool allow_simulation = false;
  std::string simulation_root;  // Default: <attester.sim_dir>/root.pem.
};

// AuthenticationConfig: [services.authentication] tunables.
struct AuthenticationConfig {
  absl::Duration token_lifetime = absl::Hours(1);
  uint32_t max_sessions = 100000;
  uint32_t scrypt_log2_n = 15;
};

// StorageConfig: [services.storage] tunables.
struct StorageConfig {
  uint32_t max_key_bytes = 1024;
  uint32_t max_value_bytes = 1024 * 1024;
};

// DeploymentConfig is a parsed, validated config with every default and
// derived path filled in.
struct DeploymentConfig {
  std::string deployment = "demo";
  std::string data_dir = "mra-data";
  std::string log_level = "info";
  ManifestConfig manifest;
  AttesterConfig attester;
  CollateralConfig collateral;
  PolicyConfig policy;
  // Exactly the kPlatformServices, always present.
  std::map<std::string, ServiceConfig, std::less<>> services;
  AuthenticationConfig authentication;
  StorageConfig storage;

  // Service returns the table of `name`, which must be one of
  // kPlatformServices (MRA_CHECK: a programmer error otherwise).
  const ServiceConfig& Service(std::string_view name) const;
  ServiceConfig& MutableService(std::string_view name);
};

// DefaultDeploymentConfig returns the configuration used without a file
// (paths relative to the current directory).
DeploymentConfig DefaultDeploymentConfig();

// ParseDeploymentConfig parses `toml_text`. `origin` names the file in
// messages; relative paths in the file are resolved against `base_dir`
// (empty: left relative to the current directory).
// @return kInvalidArgument naming the line and key for syntax errors, unknown
//         keys or tables, wrong types and out-of-range or inconsistent
//         values (e.g. two services listening on one address).
absl::StatusOr<DeploymentConfig> ParseDeploymentConfig(
    std::string_view toml_text, std::string_view origin,
    std::string_view base_dir);

// LoadDeploymentConfig reads and parses `path` (at most kMaxConfigLen bytes);
// relative paths inside are resolved against the file's directory.
// @return kNotFound when the file is missing, kUnavailable on I/O errors,
//         otherwise as ParseDeploymentConfig.
absl::StatusOr<DeploymentConfig> LoadDeploymentConfig(const std::string& path);

// FormatDeploymentConfig renders the effective configuration as TOML that
// ParseDeploymentConfig accepts and maps back to an equal config.
std::string FormatDeploymentConfig(const DeploymentConfig& config);

// ResolveSignatureFiles returns the manifest signature files: the explicit
// list, or every regular "*.sig" file in signature_dir (sorted; a missing
// directory yields an empty list, which verification then refuses).
// @return kUnavailable when the directory exists but cannot be listed.
absl::StatusOr<std::vector<std::string>> ResolveSignatureFiles(
    const ManifestConfig& manifest);

}  // namespace mra::platform
