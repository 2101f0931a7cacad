// Faults from outside through the binary: a full disk (RLIMIT_FSIZE) and a second semdedup run
// on the same output directory. Each fails with exit 1 and one line, and leaves nothing behind.
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <thread>

#include "semdedup/io/output_lock.hpp"
#include "testing/testing.hpp"

namespace semdedup {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using testing::run_semdedup;
using testing::TempDir;

pid_t spawn(const std::vector<std::string>& args, const fs::path& err_path,
            rlim_t max_file_bytes = RLIM_INFINITY) {
  const pid_t pid = fork();
  if (pid == 0) {
    std::vector<char*> argv{const_cast<char*>(SEMDEDUP_BINARY)};
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    const rlimit limit{max_file_bytes, max_file_bytes};
    if (setrlimit(RLIMIT_FSIZE, &limit) != 0 || !freopen("/dev/null", "r", stdin) ||
        !freopen("/dev/null", "w", stdout) || !freopen(err_path.c_str(), "w", stderr)) {
      _exit(126);
    }
    execv(argv[0], argv.data());
    _exit(127);
  }
  return pid;
}

int wait_for(pid_t pid) {
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// Generated test data: `rows` x `dim` in 3 files; the data directory.
fs::path generate(const fs::path& dir, int rows, int dim) {
  const auto r = run_semdedup({"generate", "--output", (dir / "gen").string(), "--rows",
                               std::to_string(rows), "--dim", std::to_string(dim), "--files", "3",
                               "--clusters", "12", "--quiet"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return dir / "gen" / "data";
}

std::map<std::string, std::string> result_files(const fs::path& out) {
  std::map<std::string, std::string> files;
  for (const auto& name : testing::list_files(out)) {
    if (name != "summary.json") files[name] = testing::read_bytes(out / name);
  }
  return files;
}

// A full disk where each file may grow to at most N bytes: the write that crosses the limit
// fails with EFBIG (the binary ignores SIGXFSZ), the run stops with an I/O error naming the
// file, and its temporary file, its lock and the output directory are all removed.
TEST(FaultCli, FullDiskFailsCleanlyInEveryStage) {
  TempDir dir;
  const fs::path data = generate(dir.path(), 20000, 32);
  struct Case {
    rlim_t max_file_bytes;
    std::vector<std::string> extra;
    std::string failing_file;  // a part of the path of the file that hits the limit
  };
  // 20000 rows x 32 floats in 12 clusters: a cluster's KMeans file holds ~1700 embeddings
  // (>200 KB), its pairwise file ~1700 x 20 bytes (>30 KB). Parts of 300 input rows make the
  // KMeans files ~25 rows (a few KB) each, so then the pairwise stage is the first to fail.
  const std::vector<Case> cases = {
      {64 << 10, {}, "kmeans_results/centroid="},
      {16 << 10, {"--rows-per-part", "300"}, "pairwise_results/cluster_"},
  };
  for (const auto& c : cases) {
    TempDir out;
    const fs::path output = out.path() / "result";
    std::vector<std::string> args = {"run",  "--input", data.string(), "--output",
                                     output.string(), "--n-clusters", "12", "--eps", "0.05",
                                     "--quiet"};
    args.insert(args.end(), c.extra.begin(), c.extra.end());
    const fs::path err_path = dir.path() / "stderr";
    const int code = wait_for(spawn(args, err_path, c.max_file_bytes));
    const std::string err = testing::read_bytes(err_path);
    EXPECT_EQ(code, 1) << err;
    EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 1) << err;
    EXPECT_THAT(err, HasSubstr(c.failing_file));
    EXPECT_THAT(err, HasSubstr("File too large"));
    EXPECT_EQ(testing::list_files(out.path()), std::vector<std::string>{})
        << "left behind after: " << err;
    EXPECT_FALSE(fs::exists(output));
  }
}

// While one run writes an output directory, a second run on it (fresh or --overwrite) is
// refused at once, touches nothing, and the first run's result is the one of a lone run.
TEST(FaultCli, ConcurrentRunOnTheSameOutputIsRefused) {
  TempDir dir;
  const fs::path data = generate(dir.path(), 60000, 64);
  auto args_for = [&](const fs::path& out, std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"run", "--input", data.string(), "--output", out.string(),
                                     "--n-clusters", "12", "--eps", "0.05", "--threads", "1",
                                     "--quiet"};
    args.insert(args.end(), extra.begin(), extra.end());
    return args;
  };
  const fs::path reference = dir.path() / "reference";
  ASSERT_EQ(run_semdedup(args_for(reference)).exit_code, 0);

  const fs::path out = dir.path() / "out";
  const fs::path lock = dir.path() / ".out.semdedup.lock";
  const pid_t first = spawn(args_for(out), dir.path() / "first.err");
  const std::string holder = std::to_string(first) + "\n";
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (testing::read_bytes(lock) != holder && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ASSERT_EQ(testing::read_bytes(lock), holder) << "the first run never showed its lock";
  for (const auto& extra : std::vector<std::vector<std::string>>{{}, {"--overwrite"}, {"--resume"}}) {
    const auto second = run_semdedup(args_for(out, extra));
    EXPECT_EQ(second.exit_code, 1) << second.err;
    EXPECT_EQ(second.err, "semdedup run: error: output directory " + out.string() +
                              " is in use by another semdedup run (pid " + std::to_string(first) +
                              ")\n");
  }
  ASSERT_EQ(wait_for(first), 0) << testing::read_bytes(dir.path() / "first.err");
  EXPECT_EQ(result_files(out), result_files(reference));
  EXPECT_FALSE(fs::exists(lock)) << "a finished run removes its lock file";
}

// Every subcommand that writes a directory takes its lock before doing anything else.
TEST(FaultCli, EverySubcommandWritingADirectoryTakesItsLock) {
  TempDir dir;
  const std::string out = dir / "out";
  const std::string missing = dir / "missing";
  auto held = io::OutputLock::acquire(out);
  ASSERT_TRUE(held.ok()) << held.status().to_string();
  const std::string in_use =
      "output directory " + out + " is in use by another semdedup run (pid " +
      std::to_string(getpid()) + ")";
  const std::vector<std::vector<std::string>> commands = {
      {"kmeans", "--input", missing, "--output", out, "--n-clusters", "2"},
      {"pairwise", "--input", missing, "--output", out},
      {"identify", "--input", missing, "--output", out, "--eps", "0.1"},
      {"run", "--input", missing, "--output", out, "--n-clusters", "2"},
      {"run", "--input", missing, "--output", dir / "elsewhere", "--cache-path", out,
       "--n-clusters", "2"},
      {"remove", "--input", missing, "--duplicates", missing, "--output", out},
      {"generate", "--output", out, "--rows", "10", "--dim", "2"},
      {"demo", "--output", out},
  };
  for (auto args : commands) {
    args.push_back("--quiet");
    const auto r = run_semdedup(args);
    EXPECT_EQ(r.exit_code, 1) << args[0] << ": " << r.err;
    EXPECT_THAT(r.err, HasSubstr(in_use)) << args[0];
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_FALSE(fs::exists(out)) << args[0];
    EXPECT_FALSE(fs::exists(dir / "elsewhere")) << args[0];
  }
}

// The lock is beside the output, never in it, and only while the run lasts; an output nested
// in the cache directory (or the other way round) is covered by one lock.
TEST(FaultCli, LockLeavesTheOutputAsTheRunWroteIt) {
  TempDir dir;
  const fs::path data = generate(dir.path(), 3000, 16);
  const fs::path cache = dir.path() / "cache";
  const auto r = run_semdedup({"run", "--input", data.string(), "--output", (cache / "out").string(),
                               "--cache-path", cache.string(), "--n-clusters", "4", "--eps",
                               "0.05", "--quiet"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const auto& name : testing::list_files(dir.path())) {
    EXPECT_EQ(name.find(".semdedup.lock"), std::string::npos) << name;
  }
  EXPECT_TRUE(fs::exists(cache / "out" / "summary.json"));
  EXPECT_TRUE(fs::is_directory(cache / "kmeans_results"));
}

}  // namespace
}  // namespace semdedup
