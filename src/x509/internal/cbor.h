// Copyright The mra Authors.
//
// File: src/x509/internal/cbor.h
// -----------------------------------------------------------------------------
// A minimal pull reader and writer for the few CBOR shapes in RA-TLS evidence,
// on libcbor's streaming (one-head-at-a-time) API. The reader never builds a
// tree: callers walk the expected structure item by item, so nesting depth is
// fixed by the caller's code and each string is a view into the input, bounded
// by the bytes actually present. Indefinite-length items, floats and simple
// values are reported as kOther so callers can refuse them.

#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

namespace mra::x509::internal {

// CborHead is one decoded CBOR data item head (plus string content).
struct CborHead {
  enum class Kind { kUint, kNegint, kBytes, kText, kArray, kMap, kTag, kOther };
  Kind kind = Kind::kOther;
  // kUint: the value; kNegint: the encoded n (meaning -1-n); kArray/kMap: the
  // number of elements/pairs; kTag: the tag number.
  uint64_t value = 0;
  // kBytes/kText: the content, a view into the reader's input.
  std::span<const uint8_t> bytes;
};

// CborReader walks CBOR items from a byte span. Thread-compatible.
class CborReader {
 public:
  explicit CborReader(std::span<const uint8_t> data) : data_(data) {}

  // Next decodes the next item head into `out` and advances past it (and past
  // the content of a definite-length byte or text string). Returns false, and
  // does not advance, when the input is empty, truncated or malformed.
  [[nodiscard]] bool Next(CborHead* out);

  bool empty() const { return data_.empty(); }

 private:
  std::span<const uint8_t> data_;
};

// CborWriter appends CBOR heads and strings to a byte vector.
class CborWriter {
 public:
  void Uint(uint64_t value);
  void Tag(uint64_t tag);
  void ArrayStart(size_t num_elements);
  void MapStart(size_t num_pairs);
  void Bytes(std::span<const uint8_t> bytes);
  void Text(std::string_view text);

  const std::vector<uint8_t>& bytes() const { return out_; }
  std::vector<uint8_t> Release() { return std::move(out_); }

 private:
  std::vector<uint8_t> out_;
};

}  // namespace mra::x509::internal
