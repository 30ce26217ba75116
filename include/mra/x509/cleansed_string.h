// Copyright The mra Authors.
//
// File: mra/x509/cleansed_string.h
// -----------------------------------------------------------------------------
// CleansedString holds secret text that an API outside our control needs as a
// std::string (gRPC's IdentityKeyCertPair::private_key), and wipes it with
// OPENSSL_cleanse when destroyed (CCF ScopedCleanse). Like SecretBytes it
// cannot be streamed or formatted; the text is reached only through the
// greppable UnsafeString(SecretAccess::Get()).

#pragma once

#include <memory>
#include <string>

#include "mra/base/secret_bytes.h"

namespace mra::x509 {

// CleansedString owns one heap-allocated string and cleanses it on
// destruction. Movable (the buffer moves with it), not copyable.
// Thread-compatible.
class CleansedString {
 public:
  // Copies `secret` into a buffer allocated once at its final size, so no
  // stale copy is left behind by reallocation.
  explicit CleansedString(const SecretBytes& secret);
  ~CleansedString();

  CleansedString(CleansedString&&) noexcept = default;
  CleansedString& operator=(CleansedString&& other) noexcept;
  CleansedString(const CleansedString&) = delete;
  CleansedString& operator=(const CleansedString&) = delete;

  // UnsafeString exposes the secret. WARNING: every copy made from it is
  // outside this object's protection; pass it straight to the consumer.
  const std::string& UnsafeString(SecretAccess /*unused*/) const {
    return *text_;
  }

 private:
  void Wipe();
  std::unique_ptr<std::string> text_;
};

}  // namespace mra::x509
