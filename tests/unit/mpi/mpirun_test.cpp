// The same binary under `mpirun -np N` (N = 1..4, one thread per rank) writes the same bytes as
// one process, fails on every rank when one rank meets a bad file, and resumes after a killed
// rank.

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "testing/testing.hpp"

namespace semdedup::testing {
namespace {

namespace fs = std::filesystem;

// Runs `cd <cwd> && [mpirun -np N] semdedup <args>`, np 0 meaning without mpirun.
CommandResult run_in(const fs::path& cwd, int np, const std::string& args) {
  static int counter = 0;
  const fs::path out = cwd / fmt::format(".out{}", counter),
                 err = cwd / fmt::format(".err{}", counter);
  ++counter;
  std::string launcher;
  if (np > 0) {
    launcher = fmt::format(
        "OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 "
        "OMPI_MCA_btl_vader_single_copy_mechanism=none OMPI_MCA_rmaps_base_oversubscribe=1 "
        "mpirun --oversubscribe --allow-run-as-root --mca btl self,vader -np {} ",
        np);
  }
  const std::string command =
      fmt::format("cd '{}' && {}'{}' {} >'{}' 2>'{}' </dev/null", cwd.string(), launcher,
                  SEMDEDUP_BINARY, args, out.string(), err.string());
  CommandResult result;
  const int status = std::system(command.c_str());
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  result.out = read_bytes(out);
  result.err = read_bytes(err);
  fs::remove(out);
  fs::remove(err);
  return result;
}

// `text` with every "<number> s" (a duration) replaced by "T s".
std::string without_seconds(const std::string& text) {
  static const std::regex seconds("[0-9]+\\.[0-9]+ s");
  return std::regex_replace(text, seconds, "T s");
}

// Every file under `dir` with its bytes; summary.json without its timing lines.
std::map<std::string, std::string> snapshot(const fs::path& dir) {
  std::map<std::string, std::string> files;
  for (const std::string& name : list_files(dir)) {
    std::string bytes = read_bytes(dir / name);
    if (fs::path(name).filename() == "summary.json") {
      std::istringstream in(bytes);
      std::string line, kept;
      while (std::getline(in, line)) {
        if (line.find("_time\"") == std::string::npos) kept += line + "\n";
      }
      bytes = kept;
    }
    files[name] = std::move(bytes);
  }
  return files;
}

void expect_same_files(const fs::path& expected, const fs::path& actual, const std::string& what,
                       bool with_summary = true) {
  auto want = snapshot(expected), got = snapshot(actual);
  if (!with_summary) {
    want.erase("summary.json");
    got.erase("summary.json");
  }
  ASSERT_FALSE(want.empty()) << what;
  std::vector<std::string> want_names, got_names;
  for (const auto& [name, bytes] : want) want_names.push_back(name);
  for (const auto& [name, bytes] : got) got_names.push_back(name);
  ASSERT_EQ(want_names, got_names) << what;
  for (const auto& [name, bytes] : want) {
    EXPECT_TRUE(bytes == got.at(name)) << what << ": " << name << " differs";
  }
}

constexpr const char* kClusterFlags = "--n-clusters 24 --rows-per-part 150 --threads 1 --quiet";

class Mpirun : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    const CommandResult generated =
        run_in(dir_->path(), 0,
               "generate --output gen --rows 2400 --dim 8 --files 5 --clusters 30 --quiet");
    ASSERT_EQ(generated.exit_code, 0) << generated.err;
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }

  // A fresh working directory holding a link to the generated data as `data`.
  static fs::path workdir(const std::string& name) {
    const fs::path dir = dir_->path() / name;
    fs::create_directories(dir);
    fs::create_directory_symlink(dir_->path() / "gen" / "data", dir / "data");
    return dir;
  }

  // Runs `args` once without mpirun and then under mpirun -np 1..4, each in its own working
  // directory (so relative paths in summary.json agree), and compares the `output` trees.
  static void expect_ranks_agree(const std::string& name, const std::string& args,
                                 const std::string& output,
                                 const std::function<void(const fs::path&)>& prepare = {}) {
    const fs::path reference = workdir(name + "-ref");
    if (prepare) prepare(reference);
    const CommandResult one = run_in(reference, 0, args);
    ASSERT_EQ(one.exit_code, 0) << one.err;
    for (int np = 1; np <= 4; ++np) {
      const fs::path dir = workdir(fmt::format("{}-np{}", name, np));
      if (prepare) prepare(dir);
      const CommandResult many = run_in(dir, np, args);
      ASSERT_EQ(many.exit_code, 0) << "np " << np << ": " << many.err;
      EXPECT_EQ(without_seconds(many.out), without_seconds(one.out))
          << "np " << np << ": only rank 0 prints the summary line";
      expect_same_files(reference / output, dir / output, fmt::format("{} np {}", name, np));
    }
  }

  static TempDir* dir_;
};

TempDir* Mpirun::dir_ = nullptr;

TEST_F(Mpirun, RunWritesTheSameBytesOnOneToFourRanks) {
  expect_ranks_agree(
      "run", fmt::format("run --input data --output out --eps 0.05 {}", kClusterFlags), "out");
}

TEST_F(Mpirun, KMeansWritesTheSameBytesOnOneToFourRanks) {
  expect_ranks_agree("kmeans", fmt::format("kmeans --input data --output out {}", kClusterFlags),
                     "out");
}

// 2,400 rows and 4 clusters: more than 512 rows per cluster, so k-means|| runs on a seeded
// sample drawn by global row, whichever rank holds the row.
TEST_F(Mpirun, KMeansWithASampledInitWritesTheSameBytes) {
  expect_ranks_agree("kmeans-sampled",
                     "kmeans --input data --output out --n-clusters 4 --rows-per-part 150 "
                     "--threads 1 --quiet",
                     "out");
}

TEST_F(Mpirun, KMeansWithFitDataFractionWritesTheSameBytes) {
  expect_ranks_agree(
      "kmeans-fraction",
      fmt::format("kmeans --input data --output out --fit-data-fraction 0.6 {}", kClusterFlags),
      "out");
}

TEST_F(Mpirun, SkippedInvalidRowsGoWithTheirParts) {
  const auto corrupt = [](const fs::path& dir) {
    std::ofstream bad(dir / "extra.jsonl");
    for (int row = 0; row < 400; ++row) {
      const bool invalid = row % 97 == 5;
      bad << "{\"id\": " << 100000 + row << ", \"embeddings\": ["
          << (invalid ? "null" : std::to_string(1 + row % 7)) << ", 1, 0.5, 0, 2, 1, 0, "
          << (row % 3) << "]}\n";
    }
    bad.close();
    // One modification time in every directory: the output's manifest records it.
    fs::last_write_time(dir / "extra.jsonl", fs::file_time_type(std::chrono::hours(1)));
  };
  expect_ranks_agree(
      "skip",
      fmt::format("kmeans --input extra.jsonl --input-filetype jsonl --output out "
                  "--invalid-rows skip --n-clusters 5 --rows-per-part 60 --threads 1 "
                  "--quiet"),
      "out", corrupt);
}

TEST_F(Mpirun, PairwiseIdentifyAndRemoveWriteTheSameBytes) {
  const fs::path base = workdir("stages");
  const CommandResult kmeans =
      run_in(base, 0, fmt::format("kmeans --input data --output km {}", kClusterFlags));
  ASSERT_EQ(kmeans.exit_code, 0) << kmeans.err;
  const auto link = [&](const std::string& name) {
    return
        [&, name](const fs::path& dir) { fs::create_directory_symlink(base / name, dir / name); };
  };
  expect_ranks_agree("pairwise", "pairwise --input km --output pw --threads 1 --quiet", "pw",
                     link("km"));
  const CommandResult pairwise =
      run_in(base, 0, "pairwise --input km --output pw --threads 1 --quiet");
  ASSERT_EQ(pairwise.exit_code, 0) << pairwise.err;
  expect_ranks_agree("identify", "identify --input pw --output dup --eps 0.1 --threads 1 --quiet",
                     "dup", link("pw"));
  const CommandResult identified =
      run_in(base, 0, "identify --input pw --output dup --eps 0.1 --threads 1 --quiet");
  ASSERT_EQ(identified.exit_code, 0) << identified.err;
  expect_ranks_agree("remove",
                     "remove --input data --duplicates dup --output kept --threads 1 --quiet",
                     "kept", link("dup"));
}

TEST_F(Mpirun, ABadFileOnOneRankFailsEveryRankAndLeavesNothing) {
  const fs::path dir = dir_->path() / "bad";
  fs::create_directories(dir / "in");
  for (const auto& entry : fs::directory_iterator(dir_->path() / "gen" / "data")) {
    fs::copy_file(entry.path(), dir / "in" / entry.path().filename());
  }
  // The last file is read by the last rank only.
  const std::vector<std::string> files = list_files(dir / "in");
  const fs::path last = dir / "in" / files.back();
  fs::resize_file(last, fs::file_size(last) / 2);
  for (int np : {2, 4}) {
    const CommandResult result =
        run_in(dir, np, fmt::format("run --input in --output out --eps 0.05 {}", kClusterFlags));
    EXPECT_EQ(result.exit_code, 1) << result.err;
    EXPECT_NE(result.err.find(files.back()), std::string::npos) << result.err;
    EXPECT_FALSE(fs::exists(dir / "out")) << "np " << np;
  }
}

TEST_F(Mpirun, AnIdRepeatedAcrossRanksFailsAsOnOneProcess) {
  // Two files of 100 rows, one part each: under mpirun each rank reads one file (or none), so
  // only the exchange of ids can see that b's last row repeats a's id 5.
  const fs::path dir = dir_->path() / "repeated-id";
  fs::create_directories(dir / "in");
  const CommandResult written = run_python(R"PY(
import sys, numpy as np, pyarrow as pa, pyarrow.parquet as pq
rng = np.random.default_rng(3)
for name, ids in (("a", list(range(100))), ("b", list(range(100, 199)) + [5])):
    e = rng.normal(size=(len(ids), 8)).astype("float32")
    pq.write_table(pa.table({"id": pa.array(ids, pa.int64()),
                             "embeddings": pa.array(list(e), pa.list_(pa.float32()))}),
                   f"{sys.argv[1]}/{name}.parquet")
)PY",
                                           {(dir / "in").string()});
  ASSERT_EQ(written.exit_code, 0) << written.err;
  const std::string expected =
      "error: file in/b.parquet: column 'id' row 99: duplicate id 5 (first at in/a.parquet row "
      "5); ids must be unique";
  for (const std::string extra : {"", " --fit-data-fraction 0.5"}) {
    const std::string args =
        "kmeans --input in --output out --n-clusters 3 --rows-per-part 100 --threads 1 --quiet" +
        extra;
    for (int np : {0, 2, 3}) {
      const CommandResult result = run_in(dir, np, args);
      EXPECT_EQ(result.exit_code, 1) << "np " << np << extra;
      EXPECT_NE(result.err.find(expected), std::string::npos)
          << "np " << np << extra << ": " << result.err;
      EXPECT_FALSE(fs::exists(dir / "out")) << "np " << np << extra;
    }
  }
}

TEST_F(Mpirun, AKilledRankFailsTheJobAndResumeCompletesIt) {
  const fs::path reference = workdir("killed-ref");
  const std::string args =
      "run --input data --output out --eps 0.05 --n-clusters 3 --rows-per-part 150 --threads 1 "
      "--quiet --max-iter 300 --tol 0";
  const CommandResult one = run_in(reference, 0, args);
  ASSERT_EQ(one.exit_code, 0) << one.err;

  const fs::path dir = workdir("killed");
  const fs::path script = dir / "kill_rank1.sh";
  {
    std::ofstream out(script);
    out << "#!/bin/sh\n"
        << "if [ \"$OMPI_COMM_WORLD_RANK\" = 1 ]; then (sleep 0.3; kill -9 $$) & fi\n"
        << "exec \"$@\"\n";
  }
  fs::permissions(script, fs::perms::owner_all);
  const std::string command = fmt::format(
      "cd '{}' && OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 "
      "OMPI_MCA_btl_vader_single_copy_mechanism=none mpirun --oversubscribe --allow-run-as-root "
      "--mca btl self,vader -np 2 '{}' '{}' {} >/dev/null 2>&1 </dev/null",
      dir.string(), script.string(), SEMDEDUP_BINARY, args);
  const int status = std::system(command.c_str());
  EXPECT_NE(status, 0) << "the job with a killed rank must fail";

  const CommandResult resumed = run_in(dir, 2, args + " --resume");
  ASSERT_EQ(resumed.exit_code, 0) << resumed.err;
  // summary.json tells that the run was resumed; every other file has the same bytes.
  expect_same_files(reference / "out", dir / "out", "resumed", false);
}

}  // namespace
}  // namespace semdedup::testing
