#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "kmeans_testing.hpp"
#include "semdedup/core/context.hpp"
#include "semdedup/io/npy.hpp"
#include "semdedup/kmeans/kmeans.hpp"
#include "testing/testing.hpp"

namespace semdedup::kmeans {
namespace {

using ::semdedup::testing::adjusted_rand_index;
using ::semdedup::testing::make_blobs;
using ::semdedup::testing::StatusIs;
using ::semdedup::testing::TempDir;

FitParams params_for(int64_t k) {
  FitParams p;
  p.n_clusters = k;
  return p;
}

bool same_bits(const Matrix& a, const Matrix& b) {
  return a.rows() == b.rows() && a.cols() == b.cols() &&
         std::memcmp(a.data(), b.data(),
                     sizeof(float) * static_cast<size_t>(a.rows() * a.cols())) == 0;
}

// Lloyd in double precision, the textbook way: assign by exact distance, move to the mean,
// keep a centroid without rows. Returns the labels after `iterations` updates.
std::vector<int32_t> brute_force_lloyd(const Matrix& x, const Matrix& init, int iterations) {
  const int64_t n = x.rows(), d = x.cols(), k = init.rows();
  std::vector<double> c(static_cast<size_t>(k * d));
  for (int64_t i = 0; i < k * d; ++i) c[static_cast<size_t>(i)] = init.data()[i];
  std::vector<int32_t> labels(static_cast<size_t>(n));
  auto assign = [&] {
    for (int64_t r = 0; r < n; ++r) {
      double best = std::numeric_limits<double>::infinity();
      for (int64_t j = 0; j < k; ++j) {
        double dist = 0;
        for (int64_t t = 0; t < d; ++t) {
          const double diff = x.row(r)[t] - c[static_cast<size_t>(j * d + t)];
          dist += diff * diff;
        }
        if (dist < best) {
          best = dist;
          labels[static_cast<size_t>(r)] = static_cast<int32_t>(j);
        }
      }
    }
  };
  for (int it = 0; it < iterations; ++it) {
    assign();
    std::vector<double> sums(static_cast<size_t>(k * d), 0.0);
    std::vector<int64_t> counts(static_cast<size_t>(k), 0);
    for (int64_t r = 0; r < n; ++r) {
      const int32_t l = labels[static_cast<size_t>(r)];
      ++counts[static_cast<size_t>(l)];
      for (int64_t t = 0; t < d; ++t) sums[static_cast<size_t>(l * d + t)] += x.row(r)[t];
    }
    for (int64_t j = 0; j < k; ++j) {
      if (counts[static_cast<size_t>(j)] == 0) continue;
      for (int64_t t = 0; t < d; ++t) {
        c[static_cast<size_t>(j * d + t)] = sums[static_cast<size_t>(j * d + t)] /
                                            static_cast<double>(counts[static_cast<size_t>(j)]);
      }
    }
  }
  assign();
  return labels;
}

TEST(Fit, FourSeparatedBlobsIn1024Dims) {
  // NeMo's test: 4 blobs x 10,000 rows x 1024 dims, std 0.5, normalised; ARI > 0.99.
  const auto blobs = make_blobs(10000, 4, 1024, 0.5f, 42);
  const Context ctx = Context::make_default(2);
  ASSERT_OK_AND_ASSIGN(const FitResult result, fit(ctx, blobs.x.view(), params_for(4)));
  EXPECT_GT(adjusted_rand_index(result.labels, blobs.truth), 0.99);
  EXPECT_EQ(result.centroids.rows(), 4);
  EXPECT_EQ(result.centroids.cols(), 1024);
  EXPECT_EQ(result.n_runs, 1);
  EXPECT_GE(result.n_iter, 1);
}

TEST(Fit, RandomInitAlsoSeparatesBlobs) {
  const auto blobs = make_blobs(500, 5, 24, 1.0f, 7);
  FitParams p = params_for(5);
  p.init = InitMethod::kRandom;
  p.n_init = 0;  // auto: 10 runs for random init
  ASSERT_OK_AND_ASSIGN(const FitResult result, fit(Context::make_default(2), blobs.x.view(), p));
  EXPECT_EQ(result.n_runs, 10);
  EXPECT_GT(adjusted_rand_index(result.labels, blobs.truth), 0.99);
}

TEST(Fit, GivenInitMatchesBruteForceLloyd) {
  const auto blobs = make_blobs(400, 5, 16, 3.0f, 3);
  // Three initial centres in blob 0, one each in blobs 1 and 2: Lloyd has to move them.
  Matrix init(5, 16);
  const int64_t rows[5] = {0, 5, 10, 1, 2};
  for (int i = 0; i < 5; ++i) std::memcpy(init.row(i), blobs.x.row(rows[i]), sizeof(float) * 16);
  FitParams p = params_for(5);
  p.init = InitMethod::kArray;
  p.init_centroids = init;
  p.max_iter = 15;
  p.tol = 0.0;  // stops only when no centroid moves (a fixed point of Lloyd) or at max_iter
  ASSERT_OK_AND_ASSIGN(const FitResult result, fit(Context::make_default(2), blobs.x.view(), p));
  ASSERT_LE(result.n_iter, 15);
  if (result.n_iter < 15) {
    EXPECT_EQ(result.history.back().shift, 0.0);
  }
  EXPECT_GT(result.history.front().shift, 0.0);
  EXPECT_EQ(result.labels, brute_force_lloyd(blobs.x, init, 15));
}

TEST(Fit, StopsAtTheFirstShiftBelowTol) {
  const auto blobs = make_blobs(300, 4, 8, 2.0f, 9);
  FitParams p = params_for(6);
  p.tol = 1e-6;
  ASSERT_OK_AND_ASSIGN(const FitResult result, fit(Context::make_default(2), blobs.x.view(), p));
  ASSERT_EQ(static_cast<int64_t>(result.history.size()), result.n_iter);
  for (size_t i = 0; i + 1 < result.history.size(); ++i) {
    EXPECT_GE(result.history[i].shift, p.tol);
    EXPECT_EQ(result.history[i].iteration, static_cast<int64_t>(i) + 1);
    // Lloyd never increases the inertia (up to rounding of the float centroids).
    EXPECT_LE(result.history[i + 1].inertia, result.history[i].inertia * (1 + 1e-6));
  }
  EXPECT_LT(result.history.back().shift, p.tol);
  EXPECT_LT(result.n_iter, p.max_iter);
  EXPECT_LE(result.inertia, result.history.back().inertia * (1 + 1e-6));
}

TEST(Fit, MaxIterBoundsTheIterations) {
  const auto blobs = make_blobs(300, 4, 8, 4.0f, 10);
  FitParams p = params_for(12);
  p.max_iter = 2;
  p.tol = 0.0;
  ASSERT_OK_AND_ASSIGN(const FitResult result, fit(Context::make_default(1), blobs.x.view(), p));
  EXPECT_EQ(result.n_iter, 2);
  EXPECT_EQ(result.history.size(), 2u);
}

TEST(Fit, SameBitsForAnyThreadCountAndBatchSize) {
  const auto blobs = make_blobs(700, 6, 32, 6.0f, 11);
  for (const InitMethod init : {InitMethod::kKMeansParallel, InitMethod::kRandom}) {
    FitParams p = params_for(20);
    p.init = init;
    p.n_init = 2;
    p.max_iter = 25;
    ASSERT_OK_AND_ASSIGN(const FitResult reference,
                         fit(Context::make_default(1), blobs.x.view(), p));
    for (const int threads : {1, 2}) {
      for (const int64_t batch : {int64_t{1}, int64_t{7}, int64_t{100}, int64_t{32768}}) {
        p.max_samples_per_batch = batch;
        ASSERT_OK_AND_ASSIGN(const FitResult other,
                             fit(Context::make_default(threads), blobs.x.view(), p));
        EXPECT_TRUE(same_bits(reference.centroids, other.centroids))
            << "threads " << threads << " batch " << batch;
        EXPECT_EQ(reference.labels, other.labels);
        EXPECT_EQ(reference.inertia, other.inertia);
        EXPECT_EQ(reference.n_iter, other.n_iter);
      }
    }
  }
}

TEST(Fit, SeedsChangeTheInitialisation) {
  const auto blobs = make_blobs(200, 8, 16, 6.0f, 12);
  FitParams p = params_for(10);
  p.max_iter = 1;
  ASSERT_OK_AND_ASSIGN(const FitResult a, fit(Context::make_default(2), blobs.x.view(), p));
  p.random_state = 43;
  ASSERT_OK_AND_ASSIGN(const FitResult b, fit(Context::make_default(2), blobs.x.view(), p));
  EXPECT_FALSE(same_bits(a.centroids, b.centroids));
}

TEST(Fit, MoreRunsNeverGiveAWorseInertia) {
  const auto blobs = make_blobs(200, 8, 16, 6.0f, 13);
  FitParams p = params_for(8);
  p.init = InitMethod::kRandom;
  p.n_init = 1;
  ASSERT_OK_AND_ASSIGN(const FitResult one, fit(Context::make_default(2), blobs.x.view(), p));
  p.n_init = 6;
  ASSERT_OK_AND_ASSIGN(const FitResult six, fit(Context::make_default(2), blobs.x.view(), p));
  EXPECT_EQ(six.n_runs, 6);
  EXPECT_LE(six.inertia, one.inertia);
  if (six.best_run == 0) {
    EXPECT_TRUE(same_bits(one.centroids, six.centroids));
  }
}

TEST(Fit, AnEmptyCentroidIsReseededBySplittingTheLargestCluster) {
  const auto blobs = make_blobs(100, 2, 4, 1.0f, 14);
  Matrix init(3, 4);
  std::memcpy(init.row(0), blobs.x.row(0), sizeof(float) * 4);
  std::memcpy(init.row(1), blobs.x.row(1), sizeof(float) * 4);
  // Far from every unit vector: never the nearest, so empty after the first assignment.
  for (int j = 0; j < 4; ++j) init.row(2)[j] = 50.0f + static_cast<float>(j);
  FitParams p = params_for(3);
  p.init = InitMethod::kArray;
  p.init_centroids = init;
  ASSERT_OK_AND_ASSIGN(const FitResult result, fit(Context::make_default(2), blobs.x.view(), p));
  double norm = 0;
  for (int j = 0; j < 4; ++j) norm += double(result.centroids.row(2)[j]) * result.centroids.row(2)[j];
  EXPECT_LE(norm, 1.0 + 1e-6) << "re-seeded inside the data";
  int64_t in_third = 0;
  for (const int32_t label : result.labels) in_third += label == 2;
  EXPECT_GT(in_third, 0);
  // The same fit from 2 threads: re-seeding is a function of counts and centroids alone.
  ASSERT_OK_AND_ASSIGN(const FitResult again, fit(Context::make_default(1), blobs.x.view(), p));
  EXPECT_EQ(again.labels, result.labels);
}

TEST(Fit, AnEmptyCentroidKeepsItsValueOnceNothingMoves) {
  // Two distinct rows, each repeated, and the initial centres on them: the first update moves
  // nothing, so the far centroid is left as it is.
  Matrix x(40, 4);
  for (int64_t r = 0; r < x.rows(); ++r) x.row(r)[r % 2] = 1.0f;
  Matrix init(3, 4);
  init.row(0)[0] = 1.0f;
  init.row(1)[1] = 1.0f;
  for (int j = 0; j < 4; ++j) init.row(2)[j] = 50.0f + static_cast<float>(j);
  FitParams p = params_for(3);
  p.init = InitMethod::kArray;
  p.init_centroids = init;
  ASSERT_OK_AND_ASSIGN(const FitResult result, fit(Context::make_default(2), x.view(), p));
  EXPECT_EQ(result.n_iter, 1);
  EXPECT_EQ(std::memcmp(result.centroids.row(2), init.row(2), sizeof(float) * 4), 0);
  for (const int32_t label : result.labels) EXPECT_NE(label, 2);
}

TEST(Fit, AsManyClustersAsRowsGivesZeroInertia) {
  const auto blobs = make_blobs(10, 3, 5, 1.0f, 15);
  for (const InitMethod init : {InitMethod::kKMeansParallel, InitMethod::kRandom}) {
    FitParams p = params_for(30);
    p.init = init;
    ASSERT_OK_AND_ASSIGN(const FitResult result, fit(Context::make_default(2), blobs.x.view(), p));
    EXPECT_LT(result.inertia, 1e-6);
    std::vector<int32_t> sorted = result.labels;
    std::sort(sorted.begin(), sorted.end());
    EXPECT_EQ(std::unique(sorted.begin(), sorted.end()) - sorted.begin(), 30);
  }
}

TEST(Fit, IdenticalRowsAreFine) {
  Matrix x(50, 3);
  for (int64_t r = 0; r < 50; ++r) x.row(r)[1] = 1.0f;
  ASSERT_OK_AND_ASSIGN(const FitResult result,
                       fit(Context::make_default(2), x.view(), params_for(3)));
  EXPECT_EQ(result.inertia, 0.0);
  for (const int32_t label : result.labels) EXPECT_EQ(label, 0);  // ties go to the lowest index
}

TEST(Fit, AutoNInitMeansOneRunForKMeansParallel) {
  const auto blobs = make_blobs(50, 2, 4, 1.0f, 16);
  FitParams p = params_for(2);
  p.n_init = 0;
  ASSERT_OK_AND_ASSIGN(const FitResult result, fit(Context::make_default(1), blobs.x.view(), p));
  EXPECT_EQ(result.n_runs, 1);
}

TEST(Fit, InitFromAnNpyFile) {
  const auto blobs = make_blobs(100, 3, 6, 1.0f, 17);
  TempDir dir;
  Matrix init(3, 6);
  for (int i = 0; i < 3; ++i) std::memcpy(init.row(i), blobs.x.row(i), sizeof(float) * 6);
  ASSERT_OK(io::write_npy(dir / "init.npy", init.view()));
  FitParams from_file = params_for(3);
  ASSERT_OK(parse_init(dir / "init.npy", from_file));
  EXPECT_EQ(from_file.init, InitMethod::kFile);
  FitParams from_array = params_for(3);
  from_array.init = InitMethod::kArray;
  from_array.init_centroids = init;
  // fit reads no file: the caller reads it first.
  ASSERT_OK_AND_ASSIGN(from_file, read_init_file(std::move(from_file)));
  EXPECT_TRUE(same_bits(from_file.init_centroids, init));
  ASSERT_OK_AND_ASSIGN(const FitResult a, fit(Context::make_default(2), blobs.x.view(), from_file));
  ASSERT_OK_AND_ASSIGN(const FitResult b,
                       fit(Context::make_default(2), blobs.x.view(), from_array));
  EXPECT_TRUE(same_bits(a.centroids, b.centroids));
  EXPECT_EQ(a.labels, b.labels);
}

TEST(Fit, BadParametersAreClearErrors) {
  const auto blobs = make_blobs(2, 2, 4, 1.0f, 18);  // 4 rows
  const Context ctx = Context::make_default(1);
  const MatrixView x = blobs.x.view();
  auto fit_with = [&](auto change) {
    FitParams p = params_for(2);
    change(p);
    return fit(ctx, x, p).status();
  };
  using Code = StatusCode;
  EXPECT_THAT(fit_with([](FitParams& p) { p.n_clusters = 0; }),
              StatusIs(Code::kInvalidArgument, "n_clusters must be >= 1, got 0"));
  EXPECT_THAT(fit_with([](FitParams& p) { p.n_clusters = 5; }),
              StatusIs(Code::kInvalidArgument, "n_clusters (5) exceeds the number of rows (4)"));
  EXPECT_THAT(fit_with([](FitParams& p) { p.tol = -1e-9; }),
              StatusIs(Code::kInvalidArgument, "tol must be >= 0"));
  EXPECT_THAT(fit_with([](FitParams& p) { p.tol = std::nan(""); }),
              StatusIs(Code::kInvalidArgument, "tol must be >= 0"));
  EXPECT_THAT(fit_with([](FitParams& p) { p.max_iter = 0; }),
              StatusIs(Code::kInvalidArgument, "max_iter must be >= 1, got 0"));
  EXPECT_THAT(fit_with([](FitParams& p) { p.oversampling_factor = 0; }),
              StatusIs(Code::kInvalidArgument, "oversampling_factor must be > 0"));
  EXPECT_THAT(fit_with([](FitParams& p) { p.oversampling_factor = -2; }),
              StatusIs(Code::kInvalidArgument, "oversampling_factor must be > 0"));
  EXPECT_THAT(fit_with([](FitParams& p) { p.max_samples_per_batch = 0; }),
              StatusIs(Code::kInvalidArgument, "max_samples_per_batch must be >= 1"));
  EXPECT_THAT(fit_with([](FitParams& p) {
                p.init = InitMethod::kArray;
                p.init_centroids = Matrix(2, 3);
              }),
              StatusIs(Code::kInvalidArgument,
                       "have shape (2, 3) but n_clusters is 2 and the rows have 4"));
  EXPECT_THAT(fit_with([](FitParams& p) {
                p.init = InitMethod::kArray;
                p.init_centroids = Matrix(3, 4);
              }),
              StatusIs(Code::kInvalidArgument, "init array has 3 rows but n_clusters is 2"));
  EXPECT_THAT(fit_with([](FitParams& p) {
                p.init = InitMethod::kArray;
                p.init_centroids = Matrix(2, 4);
                p.init_centroids.row(1)[2] = std::numeric_limits<float>::infinity();
              }),
              StatusIs(Code::kInvalidArgument, "row 1 has a NaN or infinite value"));

  TempDir dir;
  ASSERT_OK(io::write_npy(dir / "wrong.npy", Matrix(2, 5).view()));
  // An init file is read before fit (read_init_file); fit itself reads no path.
  auto fit_file = [&](const std::string& path) -> Status {
    FitParams p = params_for(2);
    EXPECT_OK(parse_init(path, p));
    Result<FitParams> ready = read_init_file(std::move(p));
    if (!ready.ok()) return ready.status();
    return fit(ctx, x, *ready).status();
  };
  EXPECT_THAT(fit_file(dir / "wrong.npy"),
              StatusIs(Code::kInvalidArgument,
                       "have shape (2, 5) but n_clusters is 2 and the rows have 4"));
  EXPECT_THAT(fit_file(dir / "missing.npy"), StatusIs(Code::kIOError, "missing.npy"));
  EXPECT_THAT(fit_with([&](FitParams& p) { ASSERT_OK(parse_init(dir / "wrong.npy", p)); }),
              StatusIs(Code::kInvalidArgument, "were not read: read_init_file first"));
}

TEST(Fit, RowsThatAreNotNormalisedAreRejected) {
  Matrix x(5, 2);
  for (int64_t r = 0; r < 5; ++r) x.row(r)[0] = 1.0f;
  x.row(3)[1] = std::numeric_limits<float>::quiet_NaN();
  EXPECT_THAT(fit(Context::make_default(1), x.view(), params_for(2)).status(),
              StatusIs(StatusCode::kInvalidArgument, "k-means input row 3 is not L2-normalised"));
  x.row(3)[1] = 0.0f;
  x.row(4)[0] = 30.0f;
  EXPECT_THAT(fit(Context::make_default(1), x.view(), params_for(2)).status(),
              StatusIs(StatusCode::kInvalidArgument, "k-means input row 4"));
}

TEST(Fit, StopsWhenCancelled) {
  const auto blobs = make_blobs(100, 2, 4, 1.0f, 19);
  Context ctx = Context::make_default(1);
  ctx.cancel_flag->store(true);
  EXPECT_THAT(fit(ctx, blobs.x.view(), params_for(2)).status(),
              StatusIs(StatusCode::kCancelled, ""));
}

TEST(ParseInit, NeMoSpellings) {
  FitParams p;
  ASSERT_OK(parse_init("random", p));
  EXPECT_EQ(p.init, InitMethod::kRandom);
  ASSERT_OK(parse_init("k-means||", p));
  EXPECT_EQ(p.init, InitMethod::kKMeansParallel);
  ASSERT_OK(parse_init("scalable-k-means++", p));
  EXPECT_EQ(p.init, InitMethod::kKMeansParallel);
  ASSERT_OK(parse_init("/some/centres.npy", p));
  EXPECT_EQ(p.init, InitMethod::kFile);
  EXPECT_EQ(p.init_file, "/some/centres.npy");
  EXPECT_THAT(parse_init("", p), StatusIs(StatusCode::kInvalidArgument, "init must be"));

  ASSERT_OK_AND_ASSIGN(const int64_t automatic, parse_n_init("auto"));
  EXPECT_EQ(automatic, 0);
  ASSERT_OK_AND_ASSIGN(const int64_t three, parse_n_init("3"));
  EXPECT_EQ(three, 3);
  for (const char* bad : {"0", "-1", "x", "3x", ""}) {
    EXPECT_THAT(parse_n_init(bad).status(), StatusIs(StatusCode::kInvalidArgument, "n_init"));
  }
}

TEST(Predict, MatchesTheFitLabels) {
  const auto blobs = make_blobs(300, 4, 12, 3.0f, 20);
  const Context ctx = Context::make_default(2);
  ASSERT_OK_AND_ASSIGN(const FitResult result, fit(ctx, blobs.x.view(), params_for(7)));
  std::vector<int32_t> labels(1200);
  std::vector<float> sq(1200);
  ASSERT_OK(predict(ctx, blobs.x.view(), result.centroids.view(), labels.data(), sq.data()));
  EXPECT_EQ(labels, result.labels);
  double total = 0;
  for (const float d : sq) total += d;
  EXPECT_NEAR(total, result.inertia, 1e-4 * result.inertia);
  EXPECT_THAT(
      predict(ctx, blobs.x.view(), Matrix(3, 5).view(), labels.data(), nullptr),
      StatusIs(StatusCode::kInvalidArgument, "centroids have 5 dimensions but the rows have 12"));
  EXPECT_THAT(predict(ctx, blobs.x.view(), Matrix(0, 12).view(), labels.data(), nullptr),
              StatusIs(StatusCode::kInvalidArgument, "at least one centroid"));
}

TEST(CentroidDistances, NeMoAssignDistancesExample) {
  // spec §17 item 17: l2 [0, 0, √0.8], cosine [0, 0, 0.4].
  const float centroids[4] = {1, 0, 0, 1};
  const float rows[6] = {1, 0, 0, 1, 0.6f, 0.8f};
  const int32_t labels[3] = {0, 1, 0};
  float l2[3], cosine[3];
  centroid_distances(Context::make_default(1), MatrixView(rows, 3, 2), MatrixView(centroids, 2, 2),
                     labels, l2, cosine);
  EXPECT_FLOAT_EQ(l2[0], 0.0f);
  EXPECT_FLOAT_EQ(l2[1], 0.0f);
  EXPECT_NEAR(l2[2], std::sqrt(0.8), 1e-6);
  EXPECT_FLOAT_EQ(cosine[0], 0.0f);
  EXPECT_FLOAT_EQ(cosine[1], 0.0f);
  EXPECT_NEAR(cosine[2], 0.4, 1e-6);
}

TEST(CentroidDistances, UseTheUnnormalisedCentroidForL2Only) {
  // c = (0.5, 0): l2 of e = (1, 0) is 0.5, cosine distance 0; the zero centroid gives 1.
  const float centroids[4] = {0.5f, 0, 0, 0};
  const float rows[4] = {1, 0, 0, 1};
  const int32_t labels[2] = {0, 1};
  float l2[2], cosine[2];
  centroid_distances(Context::make_default(1), MatrixView(rows, 2, 2), MatrixView(centroids, 2, 2),
                     labels, l2, cosine);
  EXPECT_FLOAT_EQ(l2[0], 0.5f);
  EXPECT_FLOAT_EQ(cosine[0], 0.0f);
  EXPECT_FLOAT_EQ(l2[1], 1.0f);
  EXPECT_FLOAT_EQ(cosine[1], 1.0f);
}

}  // namespace
}  // namespace semdedup::kmeans
