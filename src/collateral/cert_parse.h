// Certificate parsing shared by the collateral bundle parsers.
#ifndef MRA_SRC_COLLATERAL_CERT_PARSE_H_
#define MRA_SRC_COLLATERAL_CERT_PARSE_H_

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"

#include "mra/collateral/collateral.h"
#include "mra/crypto/openssl_ptr.h"

namespace mra::collateral::internal {

// CertInterner parses each distinct DER certificate once (with
// crypto::ParseCertificateDer: public keys are not decoded) and hands out
// references: a bundle repeats the root in three chains and the TCB signing
// certificate in two. The Intel SGX Root CA is parsed once per process (it is
// a compile-time constant). Not thread-safe; use one per bundle.
class CertInterner {
 public:
  // Parse requires the DER to be consumed exactly. `field` and `index` name
  // the certificate in errors (kCollateralMalformed).
  absl::StatusOr<crypto::X509Ptr> Parse(std::span<const uint8_t> der,
                                        std::string_view field, size_t index);

  // ParsePemBody is Parse for one PEM body (crypto::SplitPemCertificates).
  // A body seen before, or the Intel root's text, is not even decoded; the
  // bundle's PEM must outlive the interner.
  absl::StatusOr<crypto::X509Ptr> ParsePemBody(std::string_view body,
                                               std::string_view field,
                                               size_t index);

 private:
  std::vector<std::pair<std::vector<uint8_t>, crypto::X509Ptr>> seen_;
  std::vector<std::pair<std::string_view, X509*>> seen_bodies_;
};

// ParsePemChain is collateral::ParsePemChain with a caller's interner.
absl::StatusOr<CertChain> ParsePemChain(std::string_view pem,
                                        std::string_view field,
                                        CertInterner& interner);

}  // namespace mra::collateral::internal

#endif  // MRA_SRC_COLLATERAL_CERT_PARSE_H_
