// Copyright The mra Authors.
//
// File: src/x509/internal/oids.h
// -----------------------------------------------------------------------------
// DER content bytes (without tag and length) of the evidence extension OIDs
// named in mra/x509/evidence_format.h, compared byte for byte so no OID
// registration with OpenSSL is needed.

#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>

#include "mra/x509/evidence_format.h"

namespace mra::x509::internal {

// 2.23.133.5.4.9
inline constexpr std::array<uint8_t, 6> kTcgDiceTaggedEvidenceOidDer = {
    0x67, 0x81, 0x05, 0x05, 0x04, 0x09};
// 1.2.840.113741.1337.6
inline constexpr std::array<uint8_t, 9> kGramineLegacyQuoteOidDer = {
    0x2a, 0x86, 0x48, 0x86, 0xf8, 0x4d, 0x8a, 0x39, 0x06};
// 0.6.9.42.840.113741.1337.6 (the value above behind a stray 06 09 header).
inline constexpr std::array<uint8_t, 11> kGramineLegacyQuoteWireOidDer = {
    0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf8, 0x4d, 0x8a, 0x39, 0x06};

// EvidenceFormatOfOid maps an extension OID (DER content bytes) to the
// evidence format it carries, or nullopt for any other extension.
std::optional<EvidenceFormat> EvidenceFormatOfOid(std::span<const uint8_t> oid);

}  // namespace mra::x509::internal
