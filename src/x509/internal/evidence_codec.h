// Copyright The mra Authors.
//
// File: src/x509/internal/evidence_codec.h
// -----------------------------------------------------------------------------
// Encoding and strict decoding of interoperable RA-TLS tagged evidence and its
// claims (see mra/x509/evidence_format.h for the layout). Decoding failures
// are kCertificateMalformed with a message naming the field.

#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "absl/status/statusor.h"

#include "mra/crypto/digest.h"

namespace mra::x509::internal {

// EncodeClaims returns the claims map {"pubkey-hash": bstr([1, spki_sha256])}.
std::vector<uint8_t> EncodeClaims(const crypto::Sha256Digest& spki_sha256);

// EncodeTaggedEvidence returns 60000([bstr quote, bstr claims]).
std::vector<uint8_t> EncodeTaggedEvidence(std::span<const uint8_t> quote,
                                          std::span<const uint8_t> claims);

// TaggedEvidence views the two byte strings inside tagged evidence.
struct TaggedEvidence {
  std::span<const uint8_t> quote;
  std::span<const uint8_t> claims;
};

// DecodeTaggedEvidence parses the extension value: exactly one tag-60000 item
// holding a definite two-element array of byte strings, nothing after it,
// quote 1..kMaxQuoteLen bytes, claims 1..kMaxClaimsLen bytes. The result
// views `value`.
absl::StatusOr<TaggedEvidence> DecodeTaggedEvidence(
    std::span<const uint8_t> value);

// PubkeyHash is the decoded "pubkey-hash" claim.
struct PubkeyHash {
  uint64_t hash_alg = 0;  // kHashAlgSha256 / kHashAlgSha384 / kHashAlgSha512.
  std::vector<uint8_t> hash;
};

// DecodePubkeyHashClaim parses the claims map: definite, at most kMaxClaims
// pairs, text keys (no duplicates), byte-string values, exactly one
// "pubkey-hash" whose value is a definite [uint alg, bstr hash] with a
// supported algorithm and a hash of that algorithm's length; nothing after the
// map.
absl::StatusOr<PubkeyHash> DecodePubkeyHashClaim(
    std::span<const uint8_t> claims);

}  // namespace mra::x509::internal
