// Every params enum's name table, read both ways: each row's name parses back to its value and
// each value prints as its row's name, names and values are distinct, and an unknown name is
// refused with a message listing the names.
#include "semdedup/core/enum_names.hpp"

#include <set>
#include <string>

#include "semdedup/core/context.hpp"
#include "semdedup/core/log.hpp"
#include "semdedup/core/progress.hpp"
#include "semdedup/io/common.hpp"
#include "semdedup/io/half.hpp"
#include "semdedup/kernels/isa.hpp"
#include "semdedup/kmeans/params.hpp"
#include "semdedup/pairwise/params.hpp"
#include "testing/testing.hpp"

namespace semdedup {
namespace {

using ::testing::HasSubstr;
using testing::StatusIs;

// Names and values of `table` are each distinct, and enum_name/enum_from_name invert each other.
template <typename Enum, size_t N>
void expect_bijective(const std::array<EnumName<Enum>, N>& table) {
  std::set<std::string> names;
  std::set<Enum> values;
  for (const auto& row : table) {
    EXPECT_TRUE(names.insert(std::string(row.name)).second) << row.name << " twice";
    EXPECT_TRUE(values.insert(row.value).second) << row.name << ": value twice";
    EXPECT_EQ(enum_name(table, row.value), row.name);
    EXPECT_EQ(enum_from_name(table, row.name), row.value) << row.name;
  }
  EXPECT_FALSE(enum_from_name(table, "no-such-name").has_value());
}

// parse(name) gives the row's value and print(value) the row's name, for every row; an unknown
// name is an invalid_argument naming every row.
template <typename Enum, size_t N, typename Parse, typename Print>
void expect_pair(const std::array<EnumName<Enum>, N>& table, Parse parse, Print print) {
  expect_bijective(table);
  for (const auto& row : table) {
    ASSERT_OK_AND_ASSIGN(const Enum parsed, parse(row.name));
    EXPECT_EQ(parsed, row.value) << row.name;
    EXPECT_EQ(std::string_view(print(row.value)), row.name);
  }
  const auto unknown = parse("no-such-name");
  EXPECT_THAT(unknown, StatusIs(StatusCode::kInvalidArgument, "no-such-name"));
  for (const auto& row : table) {
    EXPECT_THAT(unknown.status().message(), HasSubstr(std::string(row.name)));
  }
}

TEST(EnumNames, JoinedAndListedInTableOrder) {
  EXPECT_EQ(enum_names_joined(io::kFileTypeNames), "parquet|jsonl");
  EXPECT_EQ(enum_names_joined(pairwise::kWhichToKeepNames, ", "), "hard, easy, random");
  EXPECT_EQ(enum_names(kProgressModeNames), (std::vector<std::string>{"auto", "always", "never"}));
}

TEST(EnumNames, IoEnums) {
  expect_pair(io::kFileTypeNames, io::parse_file_type, io::file_type_name);
  expect_pair(io::kInvalidRowsNames, io::parse_invalid_rows, io::invalid_rows_name);
  expect_pair(io::kInputEmbeddingDtypeNames, io::parse_input_embedding_dtype,
              io::input_embedding_dtype_name);
  expect_pair(io::kEmbeddingOutputDtypeNames, io::parse_embedding_output_dtype,
              io::embedding_output_dtype_name);
  expect_bijective(io::kOutputModeNames);
}

TEST(EnumNames, PairwiseEnums) {
  expect_pair(pairwise::kWhichToKeepNames, pairwise::parse_which_to_keep,
              pairwise::which_to_keep_name);
  expect_pair(pairwise::kSimMetricNames, pairwise::parse_sim_metric, pairwise::sim_metric_name);
  expect_pair(pairwise::kComputeDtypeNames, pairwise::parse_compute_dtype,
              pairwise::compute_dtype_name);
}

TEST(EnumNames, CoreEnums) {
  expect_pair(kDeviceNames, parse_device, device_name);
  expect_pair(kProgressModeNames, parse_progress_mode, progress_mode_name);
  expect_bijective(kLogLevelNames);
  for (const auto& row : kLogLevelNames) {
    ASSERT_OK_AND_ASSIGN(const auto level, parse_log_level(row.name));
    EXPECT_EQ(level, row.value) << row.name;
  }
  ASSERT_OK_AND_ASSIGN(const auto warning, parse_log_level("warning"));
  EXPECT_EQ(warning, spdlog::level::warn);
  // Every kernel name prints; parsing also needs the CPU to run it, so only the reference and
  // auto are parsed on any machine.
  expect_bijective(kCpuKernelNames);
  for (const auto& row : kCpuKernelNames) {
    EXPECT_EQ(std::string_view(kernels::cpu_kernel_name(row.value)), row.name);
  }
  for (const CpuKernel kernel : {CpuKernel::kAuto, CpuKernel::kFp32}) {
    ASSERT_OK_AND_ASSIGN(const CpuKernel parsed,
                         kernels::parse_cpu_kernel(kernels::cpu_kernel_name(kernel)));
    EXPECT_EQ(parsed, kernel);
  }
}

TEST(EnumNames, KMeansInitMethod) {
  expect_bijective(kmeans::kInitMethodNames);
  for (const auto method : {kmeans::InitMethod::kKMeansParallel, kmeans::InitMethod::kRandom}) {
    kmeans::FitParams params;
    ASSERT_OK(kmeans::parse_init(kmeans::init_method_name(method), params));
    EXPECT_EQ(params.init, method);
  }
  kmeans::FitParams alias;
  ASSERT_OK(kmeans::parse_init(kmeans::kKMeansParallelAlias, alias));
  EXPECT_EQ(alias.init, kmeans::InitMethod::kKMeansParallel);
  // Any other text names a file of centres.
  kmeans::FitParams file;
  ASSERT_OK(kmeans::parse_init("centres.npy", file));
  EXPECT_EQ(file.init, kmeans::InitMethod::kFile);
  EXPECT_EQ(file.init_file, "centres.npy");
}

}  // namespace
}  // namespace semdedup
