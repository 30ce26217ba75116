#include "src/attest/internal/pck_extension.h"

#include <string>
#include <vector>

#include "mra/base/status.h"

namespace mra::attest::internal {
namespace {

std::string SubOid(std::string_view suffix) {
  return std::string(kSgxExtensionOid) + "." + std::string(suffix);
}

}  // namespace

absl::StatusOr<Der> EncodeSgxExtension(const PckExtensionValues& v) {
  DerWriter w;
  auto entry = [&w](std::string_view suffix, Der value) {
    return w.Sequence({w.Oid(SubOid(suffix).c_str()), std::move(value)});
  };

  std::vector<Der> tcb;
  for (size_t i = 0; i < v.sgx_tcb_components.size(); ++i) {
    tcb.push_back(entry("2." + std::to_string(i + 1),
                        w.Integer(v.sgx_tcb_components[i])));
  }
  tcb.push_back(entry("2.17", w.Integer(v.pce_svn)));
  tcb.push_back(entry("2.18", w.OctetString(v.cpusvn)));

  std::vector<Der> top;
  top.push_back(entry("1", w.OctetString(v.ppid)));
  top.push_back(entry("2", w.Sequence(tcb)));
  top.push_back(entry("3", w.OctetString(v.pce_id)));
  top.push_back(entry("4", w.OctetString(v.fmspc)));
  top.push_back(entry("5", w.Enumerated(v.sgx_type)));
  if (v.platform_instance_id.has_value()) {
    top.push_back(entry("6", w.OctetString(*v.platform_instance_id)));
  }
  if (v.configuration.has_value()) {
    const PckConfiguration& c = *v.configuration;
    top.push_back(
        entry("7", w.Sequence({entry("7.1", w.Boolean(c.dynamic_platform)),
                               entry("7.2", w.Boolean(c.cached_keys)),
                               entry("7.3", w.Boolean(c.smt_enabled))})));
  }
  Der out = w.Sequence(top);
  MRA_RETURN_IF_ERROR(w.status());
  return out;
}

}  // namespace mra::attest::internal
