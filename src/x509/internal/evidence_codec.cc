#include "src/x509/internal/evidence_codec.h"

#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "src/x509/internal/cbor.h"

#include "mra/base/status.h"
#include "mra/base/strings.h"
#include "mra/base/verify_failure.h"
#include "mra/x509/evidence_format.h"

namespace mra::x509::internal {
namespace {

using Kind = CborHead::Kind;

absl::Status Malformed(std::string_view field, std::string_view what) {
  return VerifyError(VerifyFailure::kCertificateMalformed,
                     StrCat("evidence ", field, ": ", what));
}

size_t HashLen(uint64_t alg) {
  switch (alg) {
    case kHashAlgSha256:
      return 32;
    case kHashAlgSha384:
      return 48;
    case kHashAlgSha512:
      return 64;
    default:
      return 0;
  }
}

std::string_view AsText(std::span<const uint8_t> bytes) {
  return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

absl::StatusOr<PubkeyHash> DecodeHashEntry(std::span<const uint8_t> value) {
  constexpr std::string_view kField = "claims[\"pubkey-hash\"]";
  CborReader r(value);
  CborHead head;
  if (!r.Next(&head) || head.kind != Kind::kArray || head.value != 2) {
    return Malformed(kField, "expected a definite 2-element array");
  }
  if (!r.Next(&head) || head.kind != Kind::kUint) {
    return Malformed(kField, "hash-alg-id is not an unsigned integer");
  }
  PubkeyHash out;
  out.hash_alg = head.value;
  size_t want = HashLen(out.hash_alg);
  if (want == 0) {
    return Malformed(kField, StrCat("unsupported hash-alg-id ", head.value,
                                    " (1 = sha-256, 7 = sha-384, "
                                    "8 = sha-512)"));
  }
  if (!r.Next(&head) || head.kind != Kind::kBytes) {
    return Malformed(kField, "hash value is not a definite byte string");
  }
  if (head.bytes.size() != want) {
    return Malformed(kField, StrCat("hash value is ", head.bytes.size(),
                                    " bytes, expected ", want));
  }
  out.hash.assign(head.bytes.begin(), head.bytes.end());
  if (!r.empty()) {
    return Malformed(kField, "trailing bytes after the hash entry");
  }
  return out;
}

}  // namespace

std::vector<uint8_t> EncodeClaims(const crypto::Sha256Digest& spki_sha256) {
  CborWriter entry;
  entry.ArrayStart(2);
  entry.Uint(kHashAlgSha256);
  entry.Bytes(spki_sha256);
  CborWriter claims;
  claims.MapStart(1);
  claims.Text(kClaimPubkeyHash);
  claims.Bytes(entry.bytes());
  return claims.Release();
}

std::vector<uint8_t> EncodeTaggedEvidence(std::span<const uint8_t> quote,
                                          std::span<const uint8_t> claims) {
  CborWriter w;
  w.Tag(kCborTagIntelTeeQuote);
  w.ArrayStart(2);
  w.Bytes(quote);
  w.Bytes(claims);
  return w.Release();
}

absl::StatusOr<TaggedEvidence> DecodeTaggedEvidence(
    std::span<const uint8_t> value) {
  CborReader r(value);
  CborHead head;
  if (!r.Next(&head) || head.kind != Kind::kTag) {
    return Malformed("tag", "expected a CBOR tag");
  }
  if (head.value != kCborTagIntelTeeQuote) {
    return Malformed("tag",
                     StrCat("CBOR tag ", head.value, " is not ",
                            kCborTagIntelTeeQuote, " (Intel TEE quote)"));
  }
  if (!r.Next(&head) || head.kind != Kind::kArray || head.value != 2) {
    return Malformed("array",
                     "expected a definite 2-element array [quote, claims]");
  }
  TaggedEvidence out;
  if (!r.Next(&head) || head.kind != Kind::kBytes) {
    return Malformed("quote", "not a definite byte string");
  }
  if (head.bytes.empty() || head.bytes.size() > kMaxQuoteLen) {
    return Malformed("quote", StrCat(head.bytes.size(), " bytes; expected 1..",
                                     kMaxQuoteLen));
  }
  out.quote = head.bytes;
  if (!r.Next(&head) || head.kind != Kind::kBytes) {
    return Malformed("claims", "not a definite byte string");
  }
  if (head.bytes.empty() || head.bytes.size() > kMaxClaimsLen) {
    return Malformed("claims", StrCat(head.bytes.size(), " bytes; expected 1..",
                                      kMaxClaimsLen));
  }
  out.claims = head.bytes;
  if (!r.empty()) {
    return Malformed("value", "trailing bytes after the tagged evidence");
  }
  return out;
}

absl::StatusOr<PubkeyHash> DecodePubkeyHashClaim(
    std::span<const uint8_t> claims) {
  CborReader r(claims);
  CborHead head;
  if (!r.Next(&head) || head.kind != Kind::kMap) {
    return Malformed("claims", "not a definite CBOR map");
  }
  if (head.value == 0 || head.value > kMaxClaims) {
    return Malformed("claims",
                     StrCat(head.value, " claims; expected 1..", kMaxClaims));
  }
  const uint64_t num_pairs = head.value;
  std::set<std::string, std::less<>> seen;
  std::optional<PubkeyHash> pubkey_hash;
  for (uint64_t i = 0; i < num_pairs; ++i) {
    if (!r.Next(&head) || head.kind != Kind::kText) {
      return Malformed("claims", StrCat("key ", i, " is not a text string"));
    }
    std::string_view name = AsText(head.bytes);
    if (!seen.emplace(name).second) {
      // The (untrusted) name is not echoed into the message.
      return Malformed("claims", StrCat("key ", i, " repeats an earlier key"));
    }
    CborHead value;
    if (!r.Next(&value) || value.kind != Kind::kBytes) {
      return Malformed("claims", StrCat("value of claim ", i,
                                        " is not a definite byte string"));
    }
    if (name == kClaimPubkeyHash) {
      MRA_ASSIGN_OR_RETURN(pubkey_hash, DecodeHashEntry(value.bytes));
    }
  }
  if (!r.empty()) {
    return Malformed("claims", "trailing bytes after the claims map");
  }
  if (!pubkey_hash.has_value()) {
    return Malformed("claims", "no \"pubkey-hash\" claim");
  }
  return *std::move(pubkey_hash);
}

}  // namespace mra::x509::internal
