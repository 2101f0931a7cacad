#include "semdedup/dedup/generate.hpp"

#include <arrow/api.h>
#include <arrow/io/file.h>
#include <parquet/arrow/reader.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include "semdedup/io/arrow_runtime.hpp"
#include "testing/testing.hpp"

namespace semdedup::dedup {
namespace {

namespace fs = std::filesystem;
using semdedup::testing::list_files;
using semdedup::testing::read_bytes;
using semdedup::testing::run_python;
using semdedup::testing::StatusIs;
using semdedup::testing::TempDir;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

// All rows of a generated Parquet dataset, concatenated in file order.
struct Data {
  std::vector<int64_t> ids;
  std::vector<std::vector<float>> embeddings;
  std::vector<float> quality;
  std::vector<int64_t> rows_per_file;
};

Data read_data(const GenerateResult& result) {
  Data data;
  for (const auto& path : result.data_files) {
    auto table = semdedup::testing::read_parquet_table(path);
    const auto& ids = static_cast<const arrow::Int64Array&>(*table->GetColumnByName("id")->chunk(0));
    const auto& emb =
        static_cast<const arrow::ListArray&>(*table->GetColumnByName("embeddings")->chunk(0));
    const auto& values = static_cast<const arrow::FloatArray&>(*emb.values());
    const auto& quality =
        static_cast<const arrow::FloatArray&>(*table->GetColumnByName("quality")->chunk(0));
    for (int64_t i = 0; i < table->num_rows(); ++i) {
      data.ids.push_back(ids.Value(i));
      data.embeddings.emplace_back(values.raw_values() + emb.value_offset(i),
                                   values.raw_values() + emb.value_offset(i) + emb.value_length(i));
      data.quality.push_back(quality.Value(i));
    }
    data.rows_per_file.push_back(table->num_rows());
  }
  return data;
}

struct Truth {
  std::vector<int64_t> id, duplicate_of;
  std::vector<std::string> kind;
  std::vector<float> cosine;
};

Truth read_truth(const std::string& path) {
  auto table = semdedup::testing::read_parquet_table(path);
  EXPECT_EQ(table->schema()->ToString(),
            "id: int64\nduplicate_of: int64\nkind: string\ncosine: float");
  Truth truth;
  if (table->num_rows() == 0) return truth;
  const auto& id = static_cast<const arrow::Int64Array&>(*table->column(0)->chunk(0));
  const auto& of = static_cast<const arrow::Int64Array&>(*table->column(1)->chunk(0));
  const auto& kind = static_cast<const arrow::StringArray&>(*table->column(2)->chunk(0));
  const auto& cosine = static_cast<const arrow::FloatArray&>(*table->column(3)->chunk(0));
  for (int64_t i = 0; i < table->num_rows(); ++i) {
    truth.id.push_back(id.Value(i));
    truth.duplicate_of.push_back(of.Value(i));
    truth.kind.push_back(kind.GetString(i));
    truth.cosine.push_back(cosine.Value(i));
  }
  return truth;
}

double cosine(const std::vector<float>& a, const std::vector<float>& b) {
  double ab = 0, aa = 0, bb = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    ab += static_cast<double>(a[i]) * b[i];
    aa += static_cast<double>(a[i]) * a[i];
    bb += static_cast<double>(b[i]) * b[i];
  }
  return ab / std::sqrt(aa * bb);
}

class GenerateTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_OK(io::initialize_arrow()); }

  GenerateParams params(const std::string& name) const {
    GenerateParams p;
    p.output_path = dir_ / name;
    p.rows = 1000;
    p.dim = 16;
    p.files = 4;
    return p;
  }

  TempDir dir_;
};

TEST_F(GenerateTest, WritesEvenlySplitFilesAndGroundTruth) {
  ASSERT_OK_AND_ASSIGN(auto result, generate(Context::make_default(2), params("g")));
  EXPECT_THAT(list_files(dir_ / "g"),
              ElementsAre("data/part-00000.parquet", "data/part-00001.parquet",
                          "data/part-00002.parquet", "data/part-00003.parquet",
                          "ground_truth.parquet"));
  EXPECT_EQ(result.ground_truth_file, dir_ / "g/ground_truth.parquet");
  int64_t bytes = 0;
  for (const auto& file : list_files(dir_ / "g")) bytes += fs::file_size(dir_.path() / "g" / file);
  EXPECT_EQ(result.bytes, bytes);

  const Data data = read_data(result);
  EXPECT_THAT(data.rows_per_file, ElementsAre(250, 250, 250, 250));
  for (int64_t i = 0; i < 1000; ++i) {
    ASSERT_EQ(data.ids[i], i);
    ASSERT_EQ(data.embeddings[i].size(), 16u);
    double norm = 0;
    for (float v : data.embeddings[i]) norm += static_cast<double>(v) * v;
    EXPECT_NEAR(std::sqrt(norm), 1.0, 1e-6) << "row " << i;
    EXPECT_GE(data.quality[i], 0.0f);
    EXPECT_LT(data.quality[i], 1.0f);
  }
}

TEST_F(GenerateTest, UnevenSplitPutsTheRemainderLast) {
  GenerateParams p = params("g");
  p.rows = 10;
  p.files = 3;
  ASSERT_OK_AND_ASSIGN(auto result, generate(Context::make_default(1), p));
  // File f holds ids [floor(f * 10 / 3), floor((f + 1) * 10 / 3)).
  EXPECT_THAT(read_data(result).rows_per_file, ElementsAre(3, 3, 4));
}

TEST_F(GenerateTest, PlantedDuplicatesHaveTheirKindsCosine) {
  ASSERT_OK_AND_ASSIGN(auto result, generate(Context::make_default(2), params("g")));
  const Data data = read_data(result);
  const Truth truth = read_truth(result.ground_truth_file);
  // round(0.1 * 1000) = 100 duplicates, kinds in turn exact, near99, near95: 34, 33, 33.
  ASSERT_EQ(truth.id.size(), 100u);
  EXPECT_EQ(result.exact_duplicates, 34);
  EXPECT_EQ(result.near99_duplicates, 33);
  EXPECT_EQ(result.near95_duplicates, 33);
  const std::set<int64_t> planted(truth.id.begin(), truth.id.end());
  std::map<std::string, int> kinds;
  std::set<int64_t> files_with_duplicates;
  for (size_t i = 0; i < truth.id.size(); ++i) {
    const int64_t id = truth.id[i], source = truth.duplicate_of[i];
    if (i > 0) {
      EXPECT_LT(truth.id[i - 1], id);
    }
    EXPECT_LT(source, id);
    EXPECT_FALSE(planted.count(source)) << "source " << source << " is itself planted";
    const double c = cosine(data.embeddings[id], data.embeddings[source]);
    EXPECT_NEAR(truth.cosine[i], c, 1e-6);
    ++kinds[truth.kind[i]];
    files_with_duplicates.insert(id / 250);
    if (truth.kind[i] == "exact") {
      EXPECT_EQ(data.embeddings[id], data.embeddings[source]) << id;
    } else if (truth.kind[i] == "near99") {
      EXPECT_GE(c, 0.99) << id;
      EXPECT_LT(c, 1.0) << id;
    } else {
      ASSERT_EQ(truth.kind[i], "near95");
      EXPECT_GE(c, 0.95) << id;
      EXPECT_LT(c, 0.99) << id;
    }
  }
  EXPECT_EQ(kinds["exact"], 34);
  EXPECT_EQ(kinds["near99"], 33);
  EXPECT_EQ(kinds["near95"], 33);
  EXPECT_EQ(files_with_duplicates.size(), 4u);
}

TEST_F(GenerateTest, OriginalsAreClusteredButNotNearDuplicates) {
  GenerateParams p = params("g");
  p.dim = 32;
  p.clusters = 10;
  p.duplicate_fraction = 0.0;
  ASSERT_OK_AND_ASSIGN(auto result, generate(Context::make_default(2), p));
  const Data data = read_data(result);
  // Rows of one cluster: cosine about 1 / (1 + 0.75^2) = 0.64; of different clusters about
  // 0.64 * cos(centres), which is within +-0.2 for random centres in 32 dimensions. So pairs
  // above 0.4 are (almost all) same-cluster pairs: a share near sum_c p_c^2 ~ 1 / 10.
  int64_t close = 0, pairs = 0;
  double max_cosine = -1;
  for (int64_t a = 0; a < 1000; ++a) {
    for (int64_t b = a + 1; b < 1000; ++b) {
      const double c = cosine(data.embeddings[a], data.embeddings[b]);
      max_cosine = std::max(max_cosine, c);
      close += c > 0.4;
      ++pairs;
    }
  }
  EXPECT_LT(max_cosine, 0.95);
  const double share = static_cast<double>(close) / static_cast<double>(pairs);
  EXPECT_GT(share, 0.07);
  EXPECT_LT(share, 0.16);
}

TEST_F(GenerateTest, BytesDependOnlyOnTheParameters) {
  ASSERT_OK(generate(Context::make_default(1), params("a")).status());
  ASSERT_OK(generate(Context::make_default(2), params("b")).status());
  GenerateParams other = params("c");
  other.seed = 43;
  ASSERT_OK(generate(Context::make_default(2), other).status());
  const auto files = list_files(dir_ / "a");
  ASSERT_EQ(files, list_files(dir_ / "b"));
  for (const auto& file : files) {
    EXPECT_EQ(read_bytes(dir_.path() / "a" / file), read_bytes(dir_.path() / "b" / file)) << file;
    EXPECT_NE(read_bytes(dir_.path() / "a" / file), read_bytes(dir_.path() / "c" / file)) << file;
  }
}

TEST_F(GenerateTest, JsonlHoldsTheSameRowsAsParquet) {
  ASSERT_OK(generate(Context::make_default(2), params("pq")).status());
  GenerateParams p = params("js");
  p.format = io::FileType::kJsonl;
  ASSERT_OK_AND_ASSIGN(auto result, generate(Context::make_default(2), p));
  EXPECT_THAT(list_files(dir_ / "js"),
              ElementsAre("data/part-00000.jsonl", "data/part-00001.jsonl", "data/part-00002.jsonl",
                          "data/part-00003.jsonl", "ground_truth.parquet"));
  const auto r = run_python(
      "import sys, numpy as np, pyarrow as pa, pyarrow.json as pj, pyarrow.dataset as ds\n"
      "j = pa.concat_tables([pj.read_json(f'{sys.argv[1]}/data/part-0000{i}.jsonl') for i in range(4)])\n"
      "p = ds.dataset(f'{sys.argv[2]}/data', format='parquet').to_table()\n"
      "print(j.schema.field('id').type, j.schema.field('embeddings').type, j.schema.field('quality').type)\n"
      "je = np.array(j.column('embeddings').to_pylist(), dtype=np.float32)\n"
      "pe = np.array(p.column('embeddings').to_pylist(), dtype=np.float32)\n"
      "print(j.num_rows, j.column('id').to_pylist() == p.column('id').to_pylist(),\n"
      "      np.array_equal(je, pe),\n"
      "      np.array_equal(np.array(j.column('quality').to_pylist(), np.float32),\n"
      "                     p.column('quality').to_numpy()))\n",
      {dir_ / "js", dir_ / "pq"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "int64 list<item: double> double\n1000 True True True\n");
  EXPECT_EQ(read_bytes(dir_.path() / "js/ground_truth.parquet"),
            read_bytes(dir_.path() / "pq/ground_truth.parquet"));
}

TEST_F(GenerateTest, NoDuplicatesGivesAnEmptyGroundTruth) {
  GenerateParams p = params("g");
  p.duplicate_fraction = 0.0;
  ASSERT_OK_AND_ASSIGN(auto result, generate(Context::make_default(1), p));
  EXPECT_EQ(result.exact_duplicates + result.near99_duplicates + result.near95_duplicates, 0);
  EXPECT_TRUE(read_truth(result.ground_truth_file).id.empty());
}

TEST_F(GenerateTest, AlmostAllDuplicatesStillHaveAnOriginalFirst) {
  GenerateParams p = params("g");
  p.rows = 20;
  p.files = 1;
  p.duplicate_fraction = 0.999;  // round(19.98) = 20, capped at rows - 1 = 19
  ASSERT_OK_AND_ASSIGN(auto result, generate(Context::make_default(1), p));
  const Truth truth = read_truth(result.ground_truth_file);
  ASSERT_EQ(truth.id.size(), 19u);
  for (size_t i = 0; i < truth.id.size(); ++i) {
    EXPECT_EQ(truth.id[i], static_cast<int64_t>(i) + 1);
    EXPECT_EQ(truth.duplicate_of[i], 0);
  }
}

struct BadParams {
  const char* name;
  void (*change)(GenerateParams&);
  const char* message;
};

class GenerateRejects : public GenerateTest, public ::testing::WithParamInterface<BadParams> {};

TEST_P(GenerateRejects, BeforeCreatingAnything) {
  GenerateParams p = params("g");
  GetParam().change(p);
  EXPECT_THAT(generate(Context::make_default(1), p),
              StatusIs(StatusCode::kInvalidArgument, GetParam().message));
  EXPECT_FALSE(fs::exists(dir_ / "g"));
}

INSTANTIATE_TEST_SUITE_P(
    Generate, GenerateRejects,
    ::testing::Values(
        BadParams{"rows", [](GenerateParams& p) { p.rows = 0; }, "--rows must be >= 1 (got 0)"},
        BadParams{"dim", [](GenerateParams& p) { p.dim = -3; }, "--dim must be >= 1 (got -3)"},
        BadParams{"clusters", [](GenerateParams& p) { p.clusters = 0; },
                  "--clusters must be >= 1 (got 0)"},
        BadParams{"nofiles", [](GenerateParams& p) { p.files = 0; },
                  "--files must be in [1, rows = 1000] (got 0)"},
        BadParams{"manyfiles", [](GenerateParams& p) { p.files = 1001; },
                  "--files must be in [1, rows = 1000] (got 1001)"},
        BadParams{"fraction1", [](GenerateParams& p) { p.duplicate_fraction = 1.0; },
                  "--duplicate-fraction must be in [0, 1) (got 1)"},
        BadParams{"negative", [](GenerateParams& p) { p.duplicate_fraction = -0.5; },
                  "--duplicate-fraction must be in [0, 1) (got -0.5)"},
        BadParams{"nan", [](GenerateParams& p) { p.duplicate_fraction = std::nan(""); },
                  "--duplicate-fraction must be in [0, 1)"},
        BadParams{"output", [](GenerateParams& p) { p.output_path.clear(); },
                  "--output is required"},
        BadParams{"resume", [](GenerateParams& p) { p.output_mode = io::OutputMode::kResume; },
                  "cannot resume"}),
    [](const auto& info) { return std::string(info.param.name); });

TEST_F(GenerateTest, NonEmptyOutputNeedsOverwrite) {
  fs::create_directories(dir_.path() / "g");
  { std::ofstream(dir_.path() / "g/stale.txt") << "x"; }
  EXPECT_THAT(generate(Context::make_default(1), params("g")),
              StatusIs(StatusCode::kAlreadyExists, "not empty"));
  EXPECT_THAT(list_files(dir_ / "g"), ElementsAre("stale.txt"));
  // Overwrite deletes only what semdedup's layouts name.
  GenerateParams p = params("g");
  p.output_mode = io::OutputMode::kOverwrite;
  EXPECT_THAT(generate(Context::make_default(1), p),
              StatusIs(StatusCode::kInvalidArgument, "stale.txt, which semdedup did not write"));
  EXPECT_THAT(list_files(dir_ / "g"), ElementsAre("stale.txt"));
  fs::remove(dir_.path() / "g/stale.txt");
  ASSERT_OK(generate(Context::make_default(1), params("g")).status());
  ASSERT_OK(generate(Context::make_default(1), p).status());
  EXPECT_EQ(list_files(dir_ / "g").size(), 5u);
}

TEST_F(GenerateTest, CancelledRunLeavesNoDataFile) {
  Context ctx = Context::make_default(1);
  ctx.cancel_flag = std::make_shared<std::atomic<bool>>(true);
  EXPECT_THAT(generate(ctx, params("g")), StatusIs(StatusCode::kCancelled, ""));
  EXPECT_TRUE(list_files(dir_ / "g").empty());
}

}  // namespace
}  // namespace semdedup::dedup
