#include "mra/attest/factory.h"

#include "mra/base/status.h"
#include "mra/base/strings.h"

namespace mra::attest {

std::vector<std::string_view> AttesterKinds() {
  return {"sim", "gramine", "tsm", "auto"};
}

absl::StatusOr<std::unique_ptr<Attester>> MakeAttester(
    std::string_view kind, const AttesterOptions& opts) {
  if (kind == "sim") {
    MRA_ASSIGN_OR_RETURN(std::unique_ptr<SimAttester> a,
                         SimAttester::Create(opts.sim));
    return std::unique_ptr<Attester>(std::move(a));
  }
  if (kind == "gramine") {
    MRA_ASSIGN_OR_RETURN(std::unique_ptr<GramineAttester> a,
                         GramineAttester::Create(opts.gramine));
    return std::unique_ptr<Attester>(std::move(a));
  }
  if (kind == "tsm") {
    MRA_ASSIGN_OR_RETURN(std::unique_ptr<TsmAttester> a,
                         TsmAttester::Create(opts.tsm));
    return std::unique_ptr<Attester>(std::move(a));
  }
  if (kind == "auto") {
    absl::StatusOr<std::unique_ptr<GramineAttester>> g =
        GramineAttester::Create(opts.gramine);
    if (g.ok()) {
      return std::unique_ptr<Attester>(*std::move(g));
    }
    absl::StatusOr<std::unique_ptr<TsmAttester>> t =
        TsmAttester::Create(opts.tsm);
    if (t.ok()) {
      return std::unique_ptr<Attester>(*std::move(t));
    }
    return absl::UnavailableError(StrCat(
        "no attestation hardware found (gramine: ", ToStd(g.status().message()),
        "; tsm: ", ToStd(t.status().message()),
        "); simulation must be requested explicitly with 'sim'"));
  }
  return absl::InvalidArgumentError(
      StrCat("unknown attester '", kind, "' (sim, gramine, tsm, auto)"));
}

}  // namespace mra::attest
