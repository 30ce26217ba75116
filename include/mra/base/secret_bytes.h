// Copyright The mra Authors.
//
// File: mra/base/secret_bytes.h
// -----------------------------------------------------------------------------
// SecretBytes holds key material. Its memory is cleansed on release, it
// compares in constant time, and it cannot be streamed or formatted: raw
// access goes through the greppable UnsafeView(SecretAccess::Get()).

#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

namespace mra {

namespace internal {
void Cleanse(void* ptr, size_t len);
bool ConstantTimeEqual(const void* a, const void* b, size_t len);

// CleansingAllocator wipes memory before returning it to the heap.
template <typename T>
struct CleansingAllocator {
  using value_type = T;
  CleansingAllocator() = default;
  template <typename U>
  explicit CleansingAllocator(const CleansingAllocator<U>& /*unused*/) {}
  T* allocate(size_t n) { return std::allocator<T>().allocate(n); }
  void deallocate(T* p, size_t n) {
    Cleanse(p, n * sizeof(T));
    std::allocator<T>().deallocate(p, n);
  }
  template <typename U>
  bool operator==(const CleansingAllocator<U>& /*unused*/) const {
    return true;
  }
};
}  // namespace internal

// SecretAccess is the token that must be presented to read secret bytes, so
// every such read is easy to find in review.
class SecretAccess {
 public:
  static SecretAccess Get() { return SecretAccess(); }

 private:
  SecretAccess() = default;
};

class SecretBytes {
 public:
  SecretBytes() = default;
  explicit SecretBytes(std::string_view data)
      : bytes_(data.begin(), data.end()) {}
  explicit SecretBytes(std::span<const uint8_t> data)
      : bytes_(data.begin(), data.end()) {}

  size_t size() const { return bytes_.size(); }
  bool empty() const { return bytes_.empty(); }

  // UnsafeView exposes the secret. WARNING: do not copy it into ordinary
  // strings or log it.
  std::string_view UnsafeView(SecretAccess /*unused*/) const {
    return {reinterpret_cast<const char*>(bytes_.data()), bytes_.size()};
  }

  // Constant-time equality.
  bool operator==(const SecretBytes& other) const {
    return bytes_.size() == other.bytes_.size() &&
           internal::ConstantTimeEqual(bytes_.data(), other.bytes_.data(),
                                       bytes_.size());
  }

 private:
  std::vector<uint8_t, internal::CleansingAllocator<uint8_t>> bytes_;
};

}  // namespace mra
