// The fit pass's file sample, drawn exactly as NeMo draws it with Python's random module, so
// the same seed picks the same files in both tools.

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <set>

#include "semdedup/kmeans/stage.hpp"

namespace semdedup::kmeans {

namespace {

// MT19937 as CPython's _randommodule.c implements it.
class Mt19937 {
 public:
  explicit Mt19937(uint64_t seed) {
    // random.seed(int): the absolute value's 32-bit words, least significant first; 0 -> [0].
    std::array<uint32_t, 2> key{static_cast<uint32_t>(seed), static_cast<uint32_t>(seed >> 32)};
    const size_t key_length = key[1] != 0 ? 2 : 1;
    init_by_array(key.data(), key_length);
  }

  uint32_t next() {
    if (index_ >= kN) twist();
    uint32_t y = state_[index_++];
    y ^= y >> 11;
    y ^= (y << 7) & 0x9d2c5680u;
    y ^= (y << 15) & 0xefc60000u;
    y ^= y >> 18;
    return y;
  }

  // random.getrandbits(k) for 0 <= k <= 32.
  uint32_t bits(int k) { return k == 0 ? 0 : next() >> (32 - k); }

  // random._randbelow(n), n >= 1.
  int64_t below(int64_t n) {
    const int k = static_cast<int>(std::bit_width(static_cast<uint64_t>(n)));
    int64_t r = bits(k);
    while (r >= n) r = bits(k);
    return r;
  }

 private:
  static constexpr int kN = 624;
  static constexpr int kM = 397;

  void init_genrand(uint32_t s) {
    state_[0] = s;
    for (int i = 1; i < kN; ++i) {
      state_[i] = 1812433253u * (state_[i - 1] ^ (state_[i - 1] >> 30)) + static_cast<uint32_t>(i);
    }
    index_ = kN;
  }

  void init_by_array(const uint32_t* key, size_t key_length) {
    init_genrand(19650218u);
    int i = 1;
    size_t j = 0;
    for (size_t k = std::max<size_t>(kN, key_length); k > 0; --k) {
      state_[i] = (state_[i] ^ ((state_[i - 1] ^ (state_[i - 1] >> 30)) * 1664525u)) + key[j] +
                  static_cast<uint32_t>(j);
      ++i;
      ++j;
      if (i >= kN) {
        state_[0] = state_[kN - 1];
        i = 1;
      }
      if (j >= key_length) j = 0;
    }
    for (int k = kN - 1; k > 0; --k) {
      state_[i] = (state_[i] ^ ((state_[i - 1] ^ (state_[i - 1] >> 30)) * 1566083941u)) -
                  static_cast<uint32_t>(i);
      ++i;
      if (i >= kN) {
        state_[0] = state_[kN - 1];
        i = 1;
      }
    }
    state_[0] = 0x80000000u;
  }

  void twist() {
    constexpr uint32_t kUpper = 0x80000000u, kLower = 0x7fffffffu, kMatrix = 0x9908b0dfu;
    for (int i = 0; i < kN; ++i) {
      const uint32_t y = (state_[i] & kUpper) | (state_[(i + 1) % kN] & kLower);
      state_[i] = state_[(i + kM) % kN] ^ (y >> 1) ^ ((y & 1u) ? kMatrix : 0u);
    }
    index_ = 0;
  }

  std::array<uint32_t, kN> state_{};
  int index_ = kN;
};

}  // namespace

int64_t fit_file_count(int64_t num_files, double fraction, bool* rounded_to_zero) {
  // std::nearbyint rounds half to even in the default rounding mode, as Python's round().
  const auto rounded =
      static_cast<int64_t>(std::nearbyint(fraction * static_cast<double>(num_files)));
  if (rounded_to_zero) *rounded_to_zero = rounded < 1;
  return std::min(num_files, std::max<int64_t>(1, rounded));
}

int64_t files_within_budget(const std::vector<int64_t>& file_bytes, int64_t budget) {
  int64_t used = 0;
  int64_t count = 0;
  for (const int64_t bytes : file_bytes) {
    if (count > 0 && used + bytes > budget) break;
    used += bytes;
    ++count;
  }
  return count;
}

std::vector<int64_t> python_sample(int64_t num_files, int64_t count, uint64_t seed) {
  Mt19937 rng(seed);
  const int64_t n = num_files;
  std::vector<int64_t> result(static_cast<size_t>(count));
  int64_t setsize = 21;
  if (count > 5) {
    setsize += static_cast<int64_t>(
        std::pow(4.0, std::ceil(std::log(static_cast<double>(count * 3)) / std::log(4.0))));
  }
  if (n <= setsize) {
    std::vector<int64_t> pool(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) pool[static_cast<size_t>(i)] = i;
    for (int64_t i = 0; i < count; ++i) {
      const int64_t j = rng.below(n - i);
      result[static_cast<size_t>(i)] = pool[static_cast<size_t>(j)];
      pool[static_cast<size_t>(j)] = pool[static_cast<size_t>(n - i - 1)];
    }
  } else {
    std::set<int64_t> selected;
    for (int64_t i = 0; i < count; ++i) {
      int64_t j = rng.below(n);
      while (selected.count(j)) j = rng.below(n);
      selected.insert(j);
      result[static_cast<size_t>(i)] = j;
    }
  }
  return result;
}

}  // namespace semdedup::kmeans
