#include "semdedup/io/kmeans_output.hpp"

#include <arrow/api.h>
#include <arrow/io/file.h>
#include <arrow/json/from_string.h>
#include <parquet/arrow/reader.h>

#include <filesystem>

#include "semdedup/io/arrow_runtime.hpp"
#include "testing/testing.hpp"

namespace semdedup::io {
namespace {

namespace fs = std::filesystem;
using semdedup::testing::list_files;
using semdedup::testing::read_bytes;
using semdedup::testing::read_parquet_table;
using semdedup::testing::run_python;
using semdedup::testing::StatusIs;
using semdedup::testing::TempDir;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

// Ten rows: id 100 + r, quality r / 8, source "s<r>", an ignored column, embedding row r =
// (r, r + 0.5, -r) / norm, labels with centroids 3 and 5 (of 6) empty.
class KMeansOutputTest : public ::testing::Test {
 protected:
  static constexpr int64_t kRows = 10;
  static constexpr int64_t kDim = 3;

  void SetUp() override {
    ASSERT_OK(initialize_arrow());
    embeddings_ = Matrix(kRows, kDim);
    for (int64_t r = 0; r < kRows; ++r) {
      const float v[] = {static_cast<float>(r), static_cast<float>(r) + 0.5f,
                         -static_cast<float>(r)};
      const float norm = std::sqrt(v[0] * v[0] + v[1] * v[1] + v[2] * v[2]);
      for (int64_t c = 0; c < kDim; ++c) embeddings_.row(r)[c] = v[c] / norm;
      l2_.push_back(static_cast<float>(r) + 0.25f);
      cosine_.push_back(static_cast<float>(r) / 16.0f);
    }
  }

  // The id/metadata rows cut into record batches of the given sizes.
  std::vector<std::shared_ptr<arrow::RecordBatch>> batches(std::vector<int64_t> sizes) const {
    arrow::Int64Builder ids;
    arrow::FloatBuilder quality;
    arrow::StringBuilder source;
    arrow::Int32Builder ignored;
    for (int64_t r = 0; r < kRows; ++r) {
      EXPECT_TRUE(ids.Append(100 + r).ok());
      EXPECT_TRUE(quality.Append(static_cast<float>(r) / 8.0f).ok());
      EXPECT_TRUE(source.Append("s" + std::to_string(r)).ok());
      EXPECT_TRUE(ignored.Append(-1).ok());
    }
    auto schema = arrow::schema({arrow::field("ignored", arrow::int32()),
                                 arrow::field("id", arrow::int64()),
                                 arrow::field("quality", arrow::float32()),
                                 arrow::field("source", arrow::utf8())});
    auto batch = arrow::RecordBatch::Make(
        schema, kRows,
        {ignored.Finish().ValueOrDie(), ids.Finish().ValueOrDie(), quality.Finish().ValueOrDie(),
         source.Finish().ValueOrDie()});
    std::vector<std::shared_ptr<arrow::RecordBatch>> out;
    int64_t offset = 0;
    for (int64_t size : sizes) {
      out.push_back(batch->Slice(offset, size));
      offset += size;
    }
    return out;
  }

  KMeansPart part(int64_t index, std::vector<int64_t> sizes = {4, 6}) const {
    KMeansPart p;
    p.index = index;
    p.batches = batches(std::move(sizes));
    p.embeddings = embeddings_.view();
    p.labels = labels_;
    p.l2_dist = l2_;
    p.cosine_dist = cosine_;
    p.n_clusters = 6;
    return p;
  }

  ColumnSpec spec() const {
    ColumnSpec columns;
    columns.metadata_fields = {"quality", "source"};
    return columns;
  }

  Matrix embeddings_;
  std::vector<int32_t> labels_{2, 0, 2, 1, 0, 2, 2, 4, 0, 2};
  std::vector<float> l2_, cosine_;
  TempDir dir_;
};

TEST_F(KMeansOutputTest, PartPathIsHiveStyleWithSixDigitPart) {
  EXPECT_EQ(kmeans_part_path("/o", 12, 7), "/o/centroid=12/part-000007.parquet");
}

TEST_F(KMeansOutputTest, WritesOneFilePerNonEmptyCentroid) {
  ASSERT_OK(write_kmeans_part(dir_.path().string(), part(7), spec()));
  EXPECT_THAT(list_files(dir_.path()),
              ElementsAre("centroid=0/part-000007.parquet", "centroid=1/part-000007.parquet",
                          "centroid=2/part-000007.parquet", "centroid=4/part-000007.parquet"));
  EXPECT_FALSE(fs::exists(dir_.path() / "centroid=3"));
  EXPECT_FALSE(fs::exists(dir_.path() / "centroid=5"));
}

TEST_F(KMeansOutputTest, FileHoldsTheCentroidsRowsInInputOrder) {
  ASSERT_OK(write_kmeans_part(dir_.path().string(), part(0), spec()));
  auto table = read_parquet_table(kmeans_part_path(dir_.path().string(), 2, 0));
  ASSERT_TRUE(table);
  // Parquet names a list's child "element" (compliant nested types), whatever Arrow called it.
  EXPECT_EQ(table->schema()->ToString(),
            "id: int64\nembeddings: list<element: float>\nquality: float\nsource: string\n"
            "l2_dist_to_cent: float\ncosine_dist_to_cent: float");
  // Centroid 2 holds input rows 0, 2, 5, 6, 9.
  const std::vector<int64_t> rows{0, 2, 5, 6, 9};
  ASSERT_EQ(table->num_rows(), 5);
  auto combined = table->CombineChunksToBatch().ValueOrDie();
  const auto& ids = static_cast<const arrow::Int64Array&>(*combined->column(0));
  const auto& emb = static_cast<const arrow::ListArray&>(*combined->column(1));
  const auto& emb_values = static_cast<const arrow::FloatArray&>(*emb.values());
  const auto& quality = static_cast<const arrow::FloatArray&>(*combined->column(2));
  const auto& source = static_cast<const arrow::StringArray&>(*combined->column(3));
  const auto& l2 = static_cast<const arrow::FloatArray&>(*combined->column(4));
  const auto& cosine = static_cast<const arrow::FloatArray&>(*combined->column(5));
  for (int64_t i = 0; i < 5; ++i) {
    const int64_t r = rows[static_cast<size_t>(i)];
    EXPECT_EQ(ids.Value(i), 100 + r);
    EXPECT_EQ(quality.Value(i), static_cast<float>(r) / 8.0f);
    EXPECT_EQ(source.GetString(i), "s" + std::to_string(r));
    EXPECT_EQ(l2.Value(i), static_cast<float>(r) + 0.25f);
    EXPECT_EQ(cosine.Value(i), static_cast<float>(r) / 16.0f);
    ASSERT_EQ(emb.value_length(i), kDim);
    for (int64_t c = 0; c < kDim; ++c) {
      EXPECT_EQ(emb_values.Value(emb.value_offset(i) + c), embeddings_.row(r)[c]);
    }
  }
}

TEST_F(KMeansOutputTest, PyarrowReadsTheDirectoryAsAHiveDataset) {
  // Two parts (p = 0 and 1, the second with other labels) in one directory.
  ASSERT_OK(write_kmeans_part(dir_.path().string(), part(0), spec()));
  labels_ = {4, 4, 4, 4, 4, 0, 0, 0, 0, 0};
  ASSERT_OK(write_kmeans_part(dir_.path().string(), part(1), spec()));
  const auto r = run_python(
      "import sys, pyarrow.dataset as ds\n"
      "d = ds.dataset(sys.argv[1], format='parquet', partitioning='hive')\n"
      "t = d.to_table()\n"
      "print([f'{f.name}:{f.type}' for f in t.schema])\n"
      "for k in sorted(set(t.column('centroid').to_pylist())):\n"
      "    files = sorted(f.split('/')[-1] for f in d.files if f'/centroid={k}/' in f)\n"
      "    rows = d.to_table(filter=ds.field('centroid') == k)\n"
      "    print(k, files, rows.column('id').to_pylist())\n",
      {dir_.path().string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // Within each file rows keep input order; pyarrow lists the files in path order.
  EXPECT_EQ(r.out,
            "['id:int64', 'embeddings:list<element: float>', 'quality:float', 'source:string', "
            "'l2_dist_to_cent:float', 'cosine_dist_to_cent:float', 'centroid:int32']\n"
            "0 ['part-000000.parquet', 'part-000001.parquet'] [101, 104, 108, 105, 106, 107, 108, 109]\n"
            "1 ['part-000000.parquet'] [103]\n"
            "2 ['part-000000.parquet'] [100, 102, 105, 106, 109]\n"
            "4 ['part-000000.parquet', 'part-000001.parquet'] [107, 100, 101, 102, 103, 104]\n");
}

TEST_F(KMeansOutputTest, BytesDoNotDependOnBatchingOrThreads) {
  TempDir other;
  ASSERT_OK(write_kmeans_part(dir_.path().string(), part(3, {10}), spec()));
  ASSERT_OK(write_kmeans_part(other.path().string(), part(3, {1, 2, 3, 4}), spec(),
                              {.threads = 3, .durable = false}));
  const auto files = list_files(dir_.path());
  ASSERT_EQ(files, list_files(other.path()));
  for (const auto& file : files) {
    EXPECT_EQ(read_bytes(dir_.path() / file), read_bytes(other.path() / file)) << file;
  }
}

TEST_F(KMeansOutputTest, StringIdsKeepTheirType) {
  auto p = part(0);
  ColumnSpec columns;
  columns.id_field = "source";
  columns.embedding_field = "emb";
  ASSERT_OK(write_kmeans_part(dir_.path().string(), p, columns));
  auto table = read_parquet_table(kmeans_part_path(dir_.path().string(), 1, 0));
  EXPECT_EQ(table->schema()->ToString(),
            "source: string\nemb: list<element: float>\nl2_dist_to_cent: float\n"
            "cosine_dist_to_cent: float");
}

TEST_F(KMeansOutputTest, MissingColumnIsADataErrorAndWritesNothing) {
  ColumnSpec columns = spec();
  columns.metadata_fields.push_back("url");
  EXPECT_THAT(write_kmeans_part(dir_.path().string(), part(0), columns),
              StatusIs(StatusCode::kDataError, "column 'url' missing"));
  EXPECT_THAT(list_files(dir_.path()), IsEmpty());
}

TEST_F(KMeansOutputTest, LabelOutOfRangeWritesNothing) {
  labels_[4] = 6;
  EXPECT_THAT(write_kmeans_part(dir_.path().string(), part(0), spec()),
              StatusIs(StatusCode::kInternal, "row 4 has label 6 outside [0, 6)"));
  EXPECT_THAT(list_files(dir_.path()), IsEmpty());
}

TEST_F(KMeansOutputTest, MismatchedLengthsAreRejected) {
  auto p = part(0);
  p.l2_dist = std::span<const float>(l2_).subspan(1);
  EXPECT_THAT(write_kmeans_part(dir_.path().string(), p, spec()),
              StatusIs(StatusCode::kInternal, "10 labels but 10 embeddings, 9 l2"));
  auto q = part(0, {4, 5});
  EXPECT_THAT(write_kmeans_part(dir_.path().string(), q, spec()),
              StatusIs(StatusCode::kInternal, "batches hold 9 rows, labels 10"));
  EXPECT_THAT(list_files(dir_.path()), IsEmpty());
}

TEST_F(KMeansOutputTest, EmptyPartWritesNothing) {
  KMeansPart p;
  p.n_clusters = 4;
  p.embeddings = MatrixView(nullptr, 0, kDim);
  ASSERT_OK(write_kmeans_part(dir_.path().string(), p, spec()));
  EXPECT_THAT(list_files(dir_.path()), IsEmpty());
}

}  // namespace
}  // namespace semdedup::io
