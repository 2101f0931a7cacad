#pragma once
// Synthetic data and clustering-quality helpers for the k-means tests.

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <map>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "semdedup/core/matrix.hpp"
#include "semdedup/io/jsonl_writer.hpp"
#include "semdedup/io/writer.hpp"

namespace semdedup::testing {

/// sklearn.make_blobs-like data: `centers` centres uniform in [-10, 10]^dim, `per_center` rows
/// around each (Gaussian, `stddev`), row r belonging to centre r % centers; each row then
/// L2-normalised in float32 as the reader does.
struct Blobs {
  Matrix x;
  std::vector<int32_t> truth;
};

inline Blobs make_blobs(int64_t per_center, int64_t centers, int64_t dim, float stddev,
                        uint32_t seed) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<float> uniform(-10.0f, 10.0f);
  std::normal_distribution<float> normal(0.0f, stddev);
  Matrix c(centers, dim);
  for (int64_t i = 0; i < centers * dim; ++i) c.data()[i] = uniform(gen);
  Blobs blobs{Matrix(per_center * centers, dim), {}};
  for (int64_t r = 0; r < per_center * centers; ++r) {
    const int64_t label = r % centers;
    blobs.truth.push_back(static_cast<int32_t>(label));
    float* row = blobs.x.row(r);
    float norm = 0.0f;
    for (int64_t j = 0; j < dim; ++j) {
      row[j] = c.row(label)[j] + normal(gen);
      norm += row[j] * row[j];
    }
    norm = std::sqrt(norm);
    for (int64_t j = 0; j < dim; ++j) row[j] /= norm;
  }
  return blobs;
}

/// Adjusted Rand index of two labelings (Hubert & Arabie).
inline double adjusted_rand_index(const std::vector<int32_t>& a, const std::vector<int32_t>& b) {
  std::map<std::pair<int32_t, int32_t>, int64_t> joint;
  std::map<int32_t, int64_t> rows, cols;
  for (size_t i = 0; i < a.size(); ++i) {
    ++joint[{a[i], b[i]}];
    ++rows[a[i]];
    ++cols[b[i]];
  }
  auto pairs = [](int64_t n) { return static_cast<double>(n) * static_cast<double>(n - 1) / 2.0; };
  double index = 0, sum_rows = 0, sum_cols = 0;
  for (const auto& [key, n] : joint) index += pairs(n);
  for (const auto& [key, n] : rows) sum_rows += pairs(n);
  for (const auto& [key, n] : cols) sum_cols += pairs(n);
  const double expected = sum_rows * sum_cols / pairs(static_cast<int64_t>(a.size()));
  const double max_index = (sum_rows + sum_cols) / 2.0;
  return (index - expected) / (max_index - expected);
}

/// Writes the rows of `x` into `files` files (row-contiguous slices, sizes differing by at most
/// one) named part-NN.<ext> under `dir`, with columns id (int64: 1000 + row),
/// embeddings (list<float32>) and random_col (int64: row × 7 % 5). Returns the file paths.
inline std::vector<std::string> write_embedding_files(const std::string& dir, MatrixView x,
                                                      int files, bool jsonl = false) {
  std::filesystem::create_directories(dir);
  std::vector<std::string> paths;
  int64_t first = 0;
  for (int f = 0; f < files; ++f) {
    const int64_t count = x.rows / files + (f < x.rows % files ? 1 : 0);
    std::vector<int64_t> ids, random_col;
    for (int64_t r = first; r < first + count; ++r) {
      ids.push_back(1000 + r);
      random_col.push_back(r * 7 % 5);
    }
    std::vector<io::Column> columns;
    columns.push_back({"id", std::move(ids)});
    columns.push_back({"embeddings", x.slice_rows(first, count)});
    columns.push_back({"random_col", std::move(random_col)});
    auto table = io::make_table(std::move(columns));
    if (!table.ok()) return {};
    char name[32];
    std::snprintf(name, sizeof(name), "part-%02d.%s", f, jsonl ? "jsonl" : "parquet");
    const std::string path = (std::filesystem::path(dir) / name).string();
    const Status st = jsonl ? io::write_jsonl(path, *table) : io::write_parquet(path, *table);
    if (!st.ok()) return {};
    paths.push_back(path);
    first += count;
  }
  return paths;
}

}  // namespace semdedup::testing
