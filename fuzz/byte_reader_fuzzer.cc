// Fuzzes mra::ByteReader, the one cursor every binary parser reads untrusted
// bytes through. The input is both the data and, read backwards from its
// end, a program of reads (opcode byte, length byte). Invariants after every
// operation: consumed() + remaining() is the input size; a failed read
// changes nothing; a successful read returns exactly the bytes at the
// previous position (views point into the input, never past its end) and
// integers decode little-endian; sub-readers see exactly their slice.
#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "mra/base/byte_reader.h"

namespace {

[[noreturn]] void Fail() { __builtin_trap(); }

uint64_t LittleEndian(const uint8_t* p, size_t n) {
  uint64_t v = 0;
  for (size_t i = 0; i < n; ++i) {
    v |= uint64_t{p[i]} << (8 * i);
  }
  return v;
}

// Run executes the program on `r`, whose bytes start at base[offset].
void Run(mra::ByteReader& r, const uint8_t* base, size_t total,
         const uint8_t* prog, size_t prog_len, int depth) {
  for (size_t pc = 0; pc + 1 < prog_len; pc += 2) {
    const uint8_t op = prog[pc] % 9;
    const size_t arg = prog[pc + 1];
    const size_t before_remaining = r.remaining();
    const size_t before_consumed = r.consumed();
    const uint8_t* at = r.Rest().data();
    size_t want = 0;
    bool ok = false;
    uint64_t value = 0;
    switch (op) {
      case 0: {
        uint8_t v = 0;
        ok = r.ReadU8(&v);
        want = 1;
        value = v;
        break;
      }
      case 1: {
        uint16_t v = 0;
        ok = r.ReadU16Le(&v);
        want = 2;
        value = v;
        break;
      }
      case 2: {
        uint32_t v = 0;
        ok = r.ReadU32Le(&v);
        want = 4;
        value = v;
        break;
      }
      case 3: {
        uint64_t v = 0;
        ok = r.ReadU64Le(&v);
        want = 8;
        value = v;
        break;
      }
      case 4: {
        std::span<const uint8_t> out;
        want = arg;
        ok = r.ReadBytes(want, &out);
        if (ok && (out.data() != at || out.size() != want)) {
          Fail();
        }
        break;
      }
      case 5: {
        want = arg * 257;  // Large lengths, up to ~64 KiB.
        ok = r.Skip(want);
        break;
      }
      case 6: {
        std::array<uint8_t, 16> out{};
        want = 16;
        ok = r.ReadArray(&out);
        for (size_t i = 0; ok && i < 16; ++i) {
          if (out[i] != at[i]) {
            Fail();
          }
        }
        break;
      }
      case 7: {
        mra::ByteReader sub;
        want = arg;
        ok = r.ReadSubReader(want, &sub);
        if (ok) {
          if (sub.remaining() != want || sub.consumed() != 0 ||
              sub.Rest().data() != at) {
            Fail();
          }
          if (depth < 4) {
            Run(sub, base, total, prog + pc + 2, prog_len - pc - 2, depth + 1);
          }
        }
        break;
      }
      default: {
        // Huge lengths near SIZE_MAX must fail without overflow.
        std::span<const uint8_t> out;
        want = SIZE_MAX - arg;
        ok = r.ReadBytes(want, &out);
        if (ok) {
          Fail();
        }
        break;
      }
    }
    if (ok != (want <= before_remaining)) {
      Fail();
    }
    if (ok) {
      if (r.remaining() != before_remaining - want ||
          r.consumed() != before_consumed + want) {
        Fail();
      }
      if (op <= 3 && value != LittleEndian(at, want)) {
        Fail();
      }
    } else if (r.remaining() != before_remaining ||
               r.consumed() != before_consumed || r.Rest().data() != at) {
      Fail();
    }
    if (r.remaining() > 0 && r.Rest().data() + r.remaining() > base + total) {
      Fail();
    }
    if (r.empty() != (r.remaining() == 0)) {
      Fail();
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  mra::ByteReader r(std::span<const uint8_t>(data, size));
  // The program is the input reversed (so the same bytes are data and code).
  std::vector<uint8_t> prog(data, data + size);
  std::reverse(prog.begin(), prog.end());
  Run(r, data, size, prog.data(), prog.size(), 0);
  if (r.consumed() + r.remaining() != size) {
    Fail();
  }
  return 0;
}
