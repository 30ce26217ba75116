// Copyright The mra Authors.
//
// File: mra/x509/evidence_format.h
// -----------------------------------------------------------------------------
// The wire format of evidence in attested (RA-TLS) certificates, and how that
// evidence is bound to the certificate's key. Two formats are understood:
//
// 1. Interoperable RA-TLS (CCC-Attestation "interoperable-ra-tls", TCG DICE),
//    what CreateAttestedCertificate writes by default:
//      extension OID  2.23.133.5.4.9 (tcg-dice-tagged-evidence); the
//                     extension's OCTET STRING holds the CBOR bytes
//      CBOR           60000([ quote: bstr, claims: bstr ])
//                     (tag 60000 = "Intel TEE quote", definite-length array)
//      claims         bstr holding a definite-length CBOR map with text keys
//                     and byte-string values:
//                       { "pubkey-hash": bstr(CBOR [ hash-alg-id, hash ]) }
//                     plus optionally "nonce" and other claims (ignored).
//                     hash = H(SubjectPublicKeyInfo DER of the certificate);
//                     hash-alg-id is IANA named-information: 1 = SHA-256
//                     (what we write), 7 = SHA-384, 8 = SHA-512 (accepted).
//      report data    SHA-256(claims bytes) || 32 zero bytes
//
// 2. Gramine legacy RA-TLS (Gramine <= 1.6, still emitted by many services):
//      extension OID  the raw DCAP quote in the extension's OCTET STRING.
//                     Gramine encodes the intended 1.2.840.113741.1337.6 with
//                     a stray DER header inside the OID value, so on the wire
//                     it reads 0.6.9.42.840.113741.1337.6; both spellings are
//                     recognised as this format.
//      report data    SHA-256(SubjectPublicKeyInfo DER) || 32 zero bytes
//
// The verifier checks both halves of the binding: claims/SPKI hash against the
// certificate's key (ParseAttestedCertificate, kKeyBindingMismatch), and the
// quote's REPORTDATA against the expected report data computed here
// (AttestedPeerVerifier, kKeyBindingMismatch), so evidence lifted from another
// certificate is refused even by a permissive appraiser.

#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "mra/attest/attester.h"
#include "mra/crypto/digest.h"

namespace mra::x509 {

using ReportData = std::array<uint8_t, attest::kReportDataLen>;

// EvidenceFormat names the certificate extension the evidence came in.
enum class EvidenceFormat {
  kTcgDiceTaggedEvidence,  // 2.23.133.5.4.9, CBOR tag 60000 (interoperable).
  kGramineLegacy,          // Raw quote, Gramine's legacy OID.
};

// EvidenceFormatName returns "tcg-dice-tagged-evidence" or "gramine-legacy".
std::string_view EvidenceFormatName(EvidenceFormat format);

// Dotted OIDs of the evidence extensions (see the file comment).
inline constexpr std::string_view kTcgDiceTaggedEvidenceOid = "2.23.133.5.4.9";
inline constexpr std::string_view kGramineLegacyQuoteOid =
    "1.2.840.113741.1337.6";
inline constexpr std::string_view kGramineLegacyQuoteWireOid =
    "0.6.9.42.840.113741.1337.6";

// CBOR tag of an Intel TEE (SGX/TDX ECDSA) quote in tagged evidence.
inline constexpr uint64_t kCborTagIntelTeeQuote = 60000;

// Claim names and IANA named-information hash algorithm ids.
inline constexpr std::string_view kClaimPubkeyHash = "pubkey-hash";
inline constexpr std::string_view kClaimNonce = "nonce";
inline constexpr uint64_t kHashAlgSha256 = 1;
inline constexpr uint64_t kHashAlgSha384 = 7;
inline constexpr uint64_t kHashAlgSha512 = 8;

// Limits that bound memory and time on hostile certificates.
inline constexpr size_t kMaxCertificateDerLen = size_t{64} * 1024;
inline constexpr size_t kMaxCertificatePemLen = size_t{96} * 1024;
inline constexpr size_t kMaxQuoteLen = size_t{48} * 1024;
inline constexpr size_t kMaxClaimsLen = size_t{4} * 1024;
inline constexpr size_t kMaxClaims = 16;

// ReportDataForClaims returns SHA-256(claims) || 32 zero bytes, the report
// data that binds interoperable evidence to its claims.
ReportData ReportDataForClaims(std::span<const uint8_t> claims);

// ReportDataForSpki returns SHA-256(spki_der) || 32 zero bytes, the report
// data of Gramine legacy evidence.
ReportData ReportDataForSpki(std::span<const uint8_t> spki_der);

}  // namespace mra::x509
