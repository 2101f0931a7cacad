#pragma once
// Test helpers: KMeans-output Parquet files (centroid=K/ partitions) written with Arrow C++,
// including malformed embedding columns, and reading a pairwise result back.

#include <arrow/api.h>
#include <arrow/io/file.h>
#include <parquet/arrow/reader.h>
#include <parquet/arrow/writer.h>

#include <cmath>
#include <filesystem>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "semdedup/io/arrow_runtime.hpp"
#include "testing/testing.hpp"

namespace semdedup::testing {

/// Initialises Arrow once per test binary.
class ClusterFixtureArrowEnvironment : public ::testing::Environment {
 public:
  void SetUp() override { ASSERT_OK(io::initialize_arrow()); }
};

inline const ::testing::Environment* const kClusterFixtureArrowEnvironment =
    ::testing::AddGlobalTestEnvironment(new ClusterFixtureArrowEnvironment);

/// How the embedding column of a fixture file is stored.
enum class EmbeddingLayout { kList, kLargeList, kFixedSizeList, kListOfDouble, kPlainFloat };

/// One non-embedding column of a fixture file.
struct FixtureColumn {
  std::string name;
  std::variant<std::vector<int64_t>, std::vector<float>, std::vector<std::string>,
               std::vector<std::optional<double>>>
      values;
};

inline std::shared_ptr<arrow::Array> finish(arrow::ArrayBuilder& builder) {
  std::shared_ptr<arrow::Array> out;
  EXPECT_TRUE(builder.Finish(&out).ok());
  return out;
}

inline std::shared_ptr<arrow::Array> column_array(const FixtureColumn& column) {
  if (const auto* v = std::get_if<std::vector<int64_t>>(&column.values)) {
    arrow::Int64Builder b;
    EXPECT_TRUE(b.AppendValues(*v).ok());
    return finish(b);
  }
  if (const auto* v = std::get_if<std::vector<float>>(&column.values)) {
    arrow::FloatBuilder b;
    EXPECT_TRUE(b.AppendValues(*v).ok());
    return finish(b);
  }
  if (const auto* v = std::get_if<std::vector<std::string>>(&column.values)) {
    arrow::StringBuilder b;
    EXPECT_TRUE(b.AppendValues(*v).ok());
    return finish(b);
  }
  arrow::DoubleBuilder b;
  for (const auto& value : std::get<std::vector<std::optional<double>>>(column.values)) {
    EXPECT_TRUE((value ? b.Append(*value) : b.AppendNull()).ok());
  }
  return finish(b);
}

/// The embedding column; a row given as nullopt is a null list.
inline std::shared_ptr<arrow::Array> embedding_array(
    const std::vector<std::optional<std::vector<float>>>& rows, EmbeddingLayout layout) {
  if (layout == EmbeddingLayout::kPlainFloat) {
    arrow::FloatBuilder b;
    for (const auto& row : rows) EXPECT_TRUE(b.Append(row ? (*row)[0] : 0.0f).ok());
    return finish(b);
  }
  const bool is_double = layout == EmbeddingLayout::kListOfDouble;
  auto values = is_double ? std::shared_ptr<arrow::ArrayBuilder>(std::make_shared<arrow::DoubleBuilder>())
                          : std::shared_ptr<arrow::ArrayBuilder>(std::make_shared<arrow::FloatBuilder>());
  std::shared_ptr<arrow::ArrayBuilder> list;
  int32_t width = 0;
  for (const auto& row : rows) {
    if (row) width = static_cast<int32_t>(row->size());
  }
  if (layout == EmbeddingLayout::kLargeList) {
    list = std::make_shared<arrow::LargeListBuilder>(arrow::default_memory_pool(), values);
  } else if (layout == EmbeddingLayout::kFixedSizeList) {
    list = std::make_shared<arrow::FixedSizeListBuilder>(arrow::default_memory_pool(), values, width);
  } else {
    list = std::make_shared<arrow::ListBuilder>(arrow::default_memory_pool(), values);
  }
  for (const auto& row : rows) {
    if (!row) {
      EXPECT_TRUE(list->AppendNull().ok());
      continue;
    }
    if (layout == EmbeddingLayout::kLargeList) {
      EXPECT_TRUE(static_cast<arrow::LargeListBuilder&>(*list).Append().ok());
    } else if (layout == EmbeddingLayout::kFixedSizeList) {
      EXPECT_TRUE(static_cast<arrow::FixedSizeListBuilder&>(*list).Append().ok());
    } else {
      EXPECT_TRUE(static_cast<arrow::ListBuilder&>(*list).Append().ok());
    }
    for (float v : *row) {
      EXPECT_TRUE((is_double ? static_cast<arrow::DoubleBuilder&>(*values).Append(v)
                             : static_cast<arrow::FloatBuilder&>(*values).Append(v))
                      .ok());
    }
  }
  return finish(*list);
}

/// Writes one Parquet file with `columns` then the embedding column `embedding_name`.
inline void write_fixture_file(const std::filesystem::path& path,
                               const std::vector<FixtureColumn>& columns,
                               const std::vector<std::optional<std::vector<float>>>& embeddings,
                               EmbeddingLayout layout = EmbeddingLayout::kList,
                               const std::string& embedding_name = "embeddings") {
  std::filesystem::create_directories(path.parent_path());
  arrow::FieldVector fields;
  arrow::ArrayVector arrays;
  for (const auto& column : columns) {
    arrays.push_back(column_array(column));
    fields.push_back(arrow::field(column.name, arrays.back()->type()));
  }
  arrays.push_back(embedding_array(embeddings, layout));
  fields.push_back(arrow::field(embedding_name, arrays.back()->type()));
  auto table = arrow::Table::Make(arrow::schema(fields), arrays);
  auto sink = arrow::io::FileOutputStream::Open(path.string());
  ASSERT_TRUE(sink.ok()) << sink.status().ToString();
  ASSERT_TRUE(parquet::arrow::WriteTable(*table, arrow::default_memory_pool(), *sink, 1 << 20).ok());
  ASSERT_TRUE((*sink)->Close().ok());
}


/// The int64 values of column `name`.
inline std::vector<int64_t> int64_column(const arrow::Table& table, const std::string& name) {
  std::vector<int64_t> out;
  const auto column = table.GetColumnByName(name);
  for (const auto& chunk : column->chunks()) {
    const auto& typed = static_cast<const arrow::Int64Array&>(*chunk);
    for (int64_t r = 0; r < typed.length(); ++r) out.push_back(typed.Value(r));
  }
  return out;
}

/// The float32 values of column `name`.
inline std::vector<float> float_column(const arrow::Table& table, const std::string& name) {
  std::vector<float> out;
  const auto column = table.GetColumnByName(name);
  for (const auto& chunk : column->chunks()) {
    const auto& typed = static_cast<const arrow::FloatArray&>(*chunk);
    for (int64_t r = 0; r < typed.length(); ++r) out.push_back(typed.Value(r));
  }
  return out;
}

/// `rows` scaled to unit length in double, then rounded to float32.
inline std::vector<std::optional<std::vector<float>>> unit_rows(
    const std::vector<std::vector<float>>& rows) {
  std::vector<std::optional<std::vector<float>>> out;
  for (const auto& row : rows) {
    double norm = 0;
    for (float v : row) norm += double(v) * v;
    std::vector<float> unit;
    for (float v : row) unit.push_back(static_cast<float>(v / std::sqrt(norm)));
    out.emplace_back(std::move(unit));
  }
  return out;
}

}  // namespace semdedup::testing
