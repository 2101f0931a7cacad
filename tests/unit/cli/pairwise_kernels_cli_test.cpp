// `semdedup pairwise --cpu-kernel`: every kernel family this CPU runs writes the same bytes, at
// every thread count, and the log names the family in use.
#include <string>
#include <vector>

#include "semdedup/kernels/isa.hpp"
#include "testing/testing.hpp"

namespace semdedup {
namespace {

using ::testing::HasSubstr;
using testing::list_files;
using testing::read_bytes;
using testing::run_semdedup;
using testing::TempDir;

TEST(PairwiseKernelsCli, EveryFamilyWritesTheSameBytes) {
  TempDir dir;
  // Planted exact and near duplicates; clusters of about 1,000 rows (several 256-column panels).
  auto r = run_semdedup({"generate", "--output", dir / "gen", "--rows", "4000", "--dim", "96",
                         "--files", "2", "--quiet"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = run_semdedup({"kmeans", "--input", dir / "gen/data", "--output", dir / "km", "--n-clusters",
                    "4", "--threads", "2", "--quiet"});
  ASSERT_EQ(r.exit_code, 0) << r.err;

  std::vector<std::string> families{"fp32"};
  if (kernels::cpu_kernel_available(CpuKernel::kAvx512Bf16)) families.push_back("avx512-bf16");
  const std::string reference = dir / "pw-fp32-1";
  for (const std::string& family : families) {
    for (const char* threads : {"1", "2", "3"}) {
      SCOPED_TRACE(family + " " + threads);
      const std::string out = dir / ("pw-" + family + "-" + threads);
      r = run_semdedup({"pairwise", "--input", dir / "km", "--output", out, "--cpu-kernel", family,
                        "--threads", threads, "--progress", "never"});
      ASSERT_EQ(r.exit_code, 0) << r.err;
      EXPECT_THAT(r.err, HasSubstr(family + " kernel"));
      const std::vector<std::string> files = list_files(out);
      ASSERT_EQ(files, list_files(reference));
      int clusters = 0;
      for (const std::string& file : files) {
        if (file.rfind("cluster_", 0) != 0) continue;
        ++clusters;
        EXPECT_EQ(read_bytes(std::string(out) + "/" + file),
                  read_bytes(std::string(reference) + "/" + file))
            << file;
      }
      EXPECT_EQ(clusters, 4);
    }
  }
}

}  // namespace
}  // namespace semdedup
