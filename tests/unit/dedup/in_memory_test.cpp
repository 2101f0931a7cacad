// find_duplicates over an in-memory table finds what run_workflow finds from the same rows in a
// file: the same duplicate rows, most-similar rows and score bits.
#include "semdedup/dedup/in_memory.hpp"

#include <arrow/api.h>

#include <filesystem>
#include <map>

#include "semdedup/dedup/generate.hpp"
#include "semdedup/dedup/workflow.hpp"
#include "semdedup/io/arrow_runtime.hpp"
#include "testing/testing.hpp"

namespace semdedup::dedup {
namespace {

namespace fs = std::filesystem;
using testing::StatusIs;
using testing::TempDir;

/// Column `name` of `table`, all chunks, as a vector.
template <typename ArrayT>
auto values_of(const arrow::Table& table, const std::string& name) {
  std::vector<typename ArrayT::TypeClass::c_type> out;
  for (const auto& chunk : table.GetColumnByName(name)->chunks()) {
    const auto& array = static_cast<const ArrayT&>(*chunk);
    for (int64_t r = 0; r < array.length(); ++r) out.push_back(array.Value(r));
  }
  return out;
}

class InMemory : public ::testing::TestWithParam<pairwise::WhichToKeep> {
 protected:
  void SetUp() override { ASSERT_OK(io::initialize_arrow()); }
};

TEST_P(InMemory, FindsWhatTheWorkflowFindsFromAFile) {
  TempDir dir;
  Context ctx = Context::make_default(2);
  GenerateParams gen;
  gen.output_path = (dir.path() / "data").string();
  gen.rows = 3000;
  gen.dim = 24;
  gen.clusters = 12;
  gen.duplicate_fraction = 0.2;
  ASSERT_OK_AND_ASSIGN(const GenerateResult data, generate(ctx, gen));
  ASSERT_EQ(data.data_files.size(), 1u);

  WorkflowParams wf;
  wf.kmeans.input_paths = data.data_files;
  wf.kmeans.fit.n_clusters = 12;
  wf.kmeans.output_path = wf.output_path = (dir.path() / "out").string();
  wf.pairwise.input_path = wf.pairwise.output_path = wf.output_path;
  wf.pairwise.which_to_keep = GetParam();
  wf.eps = 0.02;
  ASSERT_OK_AND_ASSIGN(const WorkflowResult run, run_workflow(ctx, wf));

  InMemoryParams params;
  params.fit = wf.kmeans.fit;
  params.pairwise = wf.pairwise;
  params.eps = *wf.eps;
  const auto table = testing::read_parquet_table(data.data_files[0]);
  ASSERT_OK_AND_ASSIGN(const InMemoryDuplicates found, find_duplicates(ctx, *table, params));
  ASSERT_EQ(static_cast<int64_t>(found.rows.size()), run.identify->duplicates);
  ASSERT_GT(found.rows.size(), 100u);

  // The workflow's pairwise results by id: (max_id, score).
  std::map<int64_t, std::pair<int64_t, float>> by_id;
  for (const auto& entry : fs::directory_iterator(pairwise_results_dir(wf))) {
    if (entry.path().extension() != ".parquet") continue;
    const auto t = testing::read_parquet_table(entry.path());
    const auto ids = values_of<arrow::Int64Array>(*t, "id");
    const auto max_ids = values_of<arrow::Int64Array>(*t, "max_id");
    const auto scores = values_of<arrow::FloatArray>(*t, "cosine_sim_score");
    for (size_t r = 0; r < ids.size(); ++r) by_id[ids[r]] = {max_ids[r], scores[r]};
  }
  const auto ids = values_of<arrow::Int64Array>(*table, "id");
  for (size_t i = 0; i < found.rows.size(); ++i) {
    const auto& [max_id, score] = by_id.at(ids[static_cast<size_t>(found.rows[i])]);
    EXPECT_EQ(ids[static_cast<size_t>(found.max_rows[i])], max_id);
    EXPECT_EQ(found.scores[i], score);  // the same bits
    if (i > 0) {
      EXPECT_LT(found.rows[i - 1], found.rows[i]);
    }
  }
}

INSTANTIATE_TEST_SUITE_P(WhichToKeep, InMemory,
                         ::testing::Values(pairwise::WhichToKeep::kHard,
                                           pairwise::WhichToKeep::kEasy,
                                           pairwise::WhichToKeep::kRandom),
                         [](const auto& info) {
                           switch (info.param) {
                             case pairwise::WhichToKeep::kHard: return std::string("hard");
                             case pairwise::WhichToKeep::kEasy: return std::string("easy");
                             default: return std::string("random");
                           }
                         });

TEST(InMemoryParams, ChecksEpsAndClusters) {
  ASSERT_OK(io::initialize_arrow());
  InMemoryParams params;
  params.fit.n_clusters = 2;
  params.eps = 1.0;
  EXPECT_THAT(params.validate(), StatusIs(StatusCode::kInvalidArgument, "eps must be in [0, 1)"));
  params.eps = 0.1;
  auto table = arrow::Table::Make(arrow::schema({arrow::field("id", arrow::int64())}),
                                  std::vector<std::shared_ptr<arrow::Array>>{
                                      arrow::MakeArrayOfNull(arrow::int64(), 0).ValueOrDie()});
  Context ctx = Context::make_default(1);
  EXPECT_THAT(find_duplicates(ctx, *table, params).status(),
              StatusIs(StatusCode::kDataError, "column 'embeddings' not found"));
}

}  // namespace
}  // namespace semdedup::dedup
