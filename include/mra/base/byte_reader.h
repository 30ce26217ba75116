// Copyright The mra Authors.
//
// File: mra/base/byte_reader.h
// -----------------------------------------------------------------------------
// ByteReader is the one bounds-checked cursor over untrusted bytes (BoringSSL
// CBS style). Every read checks the remaining length first, never forms a
// pointer past the end, and either fully succeeds (advancing) or fails leaving
// the reader unchanged. Integers are little-endian, as in SGX structures.

#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

namespace mra {

class ByteReader {
 public:
  ByteReader() = default;
  explicit ByteReader(std::span<const uint8_t> data) : data_(data) {}

  // remaining returns the number of unread bytes.
  size_t remaining() const { return data_.size(); }
  bool empty() const { return data_.empty(); }
  // consumed returns how many bytes have been read since construction.
  size_t consumed() const { return consumed_; }
  // Rest returns the unread bytes without consuming them.
  std::span<const uint8_t> Rest() const { return data_; }

  [[nodiscard]] bool ReadU8(uint8_t* out);
  [[nodiscard]] bool ReadU16Le(uint16_t* out);
  [[nodiscard]] bool ReadU32Le(uint32_t* out);
  [[nodiscard]] bool ReadU64Le(uint64_t* out);

  // ReadBytes consumes `len` bytes and points `out` at them (a view into the
  // original buffer; it lives as long as that buffer).
  [[nodiscard]] bool ReadBytes(size_t len, std::span<const uint8_t>* out);

  // ReadArray copies exactly N bytes into `out`.
  template <size_t N>
  [[nodiscard]] bool ReadArray(std::array<uint8_t, N>* out) {
    std::span<const uint8_t> bytes;
    if (!ReadBytes(N, &bytes)) {
      return false;
    }
    for (size_t i = 0; i < N; ++i) {
      (*out)[i] = bytes[i];
    }
    return true;
  }

  // ReadSubReader consumes `len` bytes and returns a reader over just them.
  [[nodiscard]] bool ReadSubReader(size_t len, ByteReader* out);

  // Skip consumes `len` bytes.
  [[nodiscard]] bool Skip(size_t len);

 private:
  std::span<const uint8_t> data_;
  size_t consumed_ = 0;
};

}  // namespace mra
