// Copyright The mra Authors.
//
// File: src/attest/internal/der_writer.h
// -----------------------------------------------------------------------------
// DerWriter encodes the handful of ASN.1 types the SGX PCK certificate
// extension uses (OBJECT IDENTIFIER, INTEGER, OCTET STRING, ENUMERATED,
// BOOLEAN, SEQUENCE) with OpenSSL's ASN.1 primitives (i2d_*, ASN1_put_object),
// so no DER length or tag logic is written by hand here.
//
// Errors are sticky: every method returns an empty encoding after a failure
// and status() reports the first one, so callers build a whole tree and check
// once. Not thread-safe; use one writer per encoding.

#pragma once

#include <cstdint>
#include <initializer_list>
#include <span>
#include <string_view>
#include <vector>

#include "absl/status/status.h"

namespace mra::attest::internal {

using Der = std::vector<uint8_t>;

class DerWriter {
 public:
  // Oid encodes a dotted-decimal OBJECT IDENTIFIER ("1.2.840.113741.1.13.1").
  Der Oid(const char* dotted);
  // Integer encodes a non-negative INTEGER (minimal two's complement).
  Der Integer(uint64_t value);
  // OctetString encodes an OCTET STRING.
  Der OctetString(std::span<const uint8_t> bytes);
  // Enumerated encodes an ENUMERATED.
  Der Enumerated(int64_t value);
  // Boolean encodes a BOOLEAN (DER: 0xff for true).
  Der Boolean(bool value);
  // Sequence wraps the concatenated encodings of `children` in a SEQUENCE.
  Der Sequence(std::initializer_list<Der> children);
  Der Sequence(std::span<const Der> children);

  // status is OK unless an OpenSSL call failed (its message names the call).
  [[nodiscard]] absl::Status status() const { return status_; }

 private:
  Der Fail(std::string_view what);
  absl::Status status_;
};

}  // namespace mra::attest::internal
