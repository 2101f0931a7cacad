#pragma once
// Pairwise-result and dataset fixtures for the identify / report / remove tests.

#include <filesystem>
#include <string>
#include <vector>

#include "semdedup/io/arrow_runtime.hpp"
#include "semdedup/io/writer.hpp"
#include "testing/testing.hpp"

namespace semdedup::testing {

/// Writes <dir>/cluster_<k>.parquet with id (int64), max_id and float32 scores.
inline void write_cluster_file(const std::filesystem::path& dir, int64_t k,
                               std::vector<int64_t> ids, std::vector<float> scores) {
  ASSERT_OK(io::initialize_arrow());
  std::filesystem::create_directories(dir);
  std::vector<int64_t> max_ids(ids.size(), ids.empty() ? 0 : ids[0]);
  ASSERT_OK_AND_ASSIGN(auto table, io::make_table({{"id", std::move(ids)},
                                                   {"max_id", std::move(max_ids)},
                                                   {"cosine_sim_score", std::move(scores)}}));
  ASSERT_OK(io::write_parquet((dir / fmt::format("cluster_{}.parquet", k)).string(), table));
}

/// Runs python with pyarrow and returns stdout stripped of the trailing newline.
inline std::string python_out(const std::string& script, const std::vector<std::string>& args) {
  const auto r = run_python(script, args);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  std::string out = r.out;
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
  return out;
}

/// "ids|row_groups" of every duplicates file in `dir`, sorted by name, joined by ";".
inline std::string describe_id_files(const std::filesystem::path& dir) {
  return python_out(R"(
import sys, os, pyarrow.parquet as pq
d = sys.argv[1]
out = []
for name in sorted(os.listdir(d)):
    f = pq.ParquetFile(os.path.join(d, name))
    ids = f.read().column("id").to_pylist()
    out.append(",".join(map(str, ids)) + "|" + str(f.num_row_groups))
print(";".join(out))
)",
                    {dir.string()});
}

}  // namespace semdedup::testing
