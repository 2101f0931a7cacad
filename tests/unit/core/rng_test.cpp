#include "semdedup/core/rng.hpp"

#include <set>

#include "testing/testing.hpp"

namespace semdedup {
namespace {

TEST(CounterRng, IsAPureFunctionOfSeedStreamAndCounter) {
  const CounterRng a(42, 1), b(42, 1);
  for (uint64_t i = 0; i < 100; ++i) EXPECT_EQ(a.bits(i), b.bits(i));
  EXPECT_NE(CounterRng(42, 1).bits(0), CounterRng(43, 1).bits(0));
  EXPECT_NE(CounterRng(42, 1).bits(0), CounterRng(42, 2).bits(0));
}

TEST(CounterRng, UniformLooksUniform) {
  const CounterRng rng(7, 0);
  constexpr int kDraws = 100000;
  int buckets[10] = {};
  std::set<uint64_t> distinct;
  for (int i = 0; i < kDraws; ++i) {
    const double u = rng.uniform(static_cast<uint64_t>(i));
    ASSERT_GE(u, 0.0);
    ASSERT_LT(u, 1.0);
    ++buckets[static_cast<int>(u * 10)];
    distinct.insert(rng.bits(static_cast<uint64_t>(i)));
  }
  for (int count : buckets) EXPECT_NEAR(count, kDraws / 10, 500);  // ~5 sigma
  EXPECT_EQ(distinct.size(), static_cast<size_t>(kDraws));
  for (int i = 0; i < 1000; ++i) EXPECT_LT(rng.below(static_cast<uint64_t>(i), 7), 7u);
}

}  // namespace
}  // namespace semdedup
