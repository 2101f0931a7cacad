// use_blas_library: another OpenBLAS (the scipy-openblas32 wheel of the project venv, symbols
// prefixed scipy_, a pthreads build) chosen before the first GEMM, refused after it. Each test
// runs in a process of its own (gtest_discover_tests), so the BLAS is not loaded at its start.
#include <algorithm>
#include <string>

#include "semdedup/kernels/blas.hpp"
#include "semdedup/pairwise/pairwise.hpp"
#include "testing/random_rows.hpp"
#include "testing/testing.hpp"

namespace semdedup {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using testing::StatusIs;

std::string wheel_blas_path() {
  const auto r = testing::run_python(
      "import importlib.util as u, os; "
      "print(os.path.join(u.find_spec('scipy_openblas32').submodule_search_locations[0], 'lib', "
      "'libscipy_openblas.so'))");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  std::string path = r.out;
  while (!path.empty() && path.back() == '\n') path.pop_back();
  return path;
}

TEST(BlasChoice, APrefixedPthreadsBuildGivesTheSameResults) {
  const Matrix rows = testing::random_unit_rows(300, 48, 5);
  ASSERT_OK(kernels::use_blas_library({wheel_blas_path(), "scipy_", true}));
  Context ctx = Context::make_default(2);
  ASSERT_OK_AND_ASSIGN(auto result, pairwise::pairwise_cosine_similarity_batched(ctx, rows.view()));
  EXPECT_THAT(kernels::blas_description(), Not(HasSubstr("USE_OPENMP")));
  // Oracle: the brute-force maximum in double.
  for (int64_t j = 1; j < rows.rows(); ++j) {
    double best = -2;
    for (int64_t i = 0; i < j; ++i) {
      double dot = 0;
      for (int64_t c = 0; c < rows.cols(); ++c) dot += double(rows.row(i)[c]) * rows.row(j)[c];
      best = std::max(best, dot);
    }
    if (best > 0) {
      EXPECT_NEAR(result.first[static_cast<size_t>(j)], best, 1e-5) << j;
    }
  }
}

TEST(BlasChoice, RefusedOnceABlasIsLoaded) {
  EXPECT_THAT(kernels::blas_description(), HasSubstr("OpenBLAS"));
  EXPECT_THAT(kernels::use_blas_library({"/nowhere/libopenblas.so", "", false}),
              StatusIs(StatusCode::kInvalidArgument, "a BLAS is already loaded"));
}

}  // namespace
}  // namespace semdedup
