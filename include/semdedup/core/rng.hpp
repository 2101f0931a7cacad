#pragma once
/// \file Counter-based random numbers: a draw is a pure function of (seed, stream, counter),
/// so any split of the rows over threads or ranks draws the same numbers.

#include <cstdint>

namespace semdedup {

/// Philox-4x32-10 (Salmon et al. 2011): 128-bit counter, 64-bit key, 10 rounds.
class CounterRng {
 public:
  /// `seed` is the user's seed; `stream` separates independent uses (e.g. k-means|| round).
  constexpr CounterRng(uint64_t seed, uint64_t stream) : seed_(seed), stream_(stream) {}

  /// 64 random bits for `counter` (e.g. a global row index).
  uint64_t bits(uint64_t counter) const;
  /// Uniform double in [0, 1) with 53 random bits.
  double uniform(uint64_t counter) const {
    return static_cast<double>(bits(counter) >> 11) * 0x1.0p-53;
  }
  /// Uniform integer in [0, n), n > 0 (Lemire's multiply-shift; bias < n / 2^64).
  uint64_t below(uint64_t counter, uint64_t n) const {
    return static_cast<uint64_t>((static_cast<unsigned __int128>(bits(counter)) * n) >> 64);
  }

 private:
  uint64_t seed_;
  uint64_t stream_;
};

}  // namespace semdedup
