#include "testing/testing.hpp"

#include <arrow/io/file.h>
#include <arrow/table.h>
#include <parquet/arrow/reader.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <thread>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <random>
#include <sstream>

namespace semdedup::testing {

namespace fs = std::filesystem;

TempDir::TempDir() {
  static std::atomic<int> counter{0};
  std::random_device rd;
  path_ = fs::temp_directory_path() /
          fmt::format("semdedup-test-{}-{}-{:08x}", getpid(), counter++, rd());
  fs::create_directories(path_);
}

TempDir::~TempDir() {
  std::error_code ec;
  fs::remove_all(path_, ec);
}

std::vector<std::string> list_files(const fs::path& dir) {
  std::vector<std::string> files;
  if (!fs::exists(dir)) return files;
  for (const auto& entry : fs::recursive_directory_iterator(dir)) {
    if (entry.is_regular_file()) files.push_back(fs::relative(entry.path(), dir).string());
  }
  std::sort(files.begin(), files.end());
  return files;
}

std::string read_bytes(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::shared_ptr<arrow::Table> read_parquet_table(const std::filesystem::path& path) {
  auto input = arrow::io::ReadableFile::Open(path.string());
  EXPECT_TRUE(input.ok()) << path;
  if (!input.ok()) return nullptr;
  auto reader = parquet::arrow::OpenFile(*input, arrow::default_memory_pool());
  EXPECT_TRUE(reader.ok()) << path;
  if (!reader.ok()) return nullptr;
  auto table = (*reader)->ReadTable();
  EXPECT_TRUE(table.ok()) << path;
  return table.ok() ? (*table)->CombineChunks().ValueOrDie() : nullptr;
}

namespace {

CommandResult run_process(const std::vector<std::string>& argv) {
  TempDir scratch;
  const fs::path out_path = scratch.path() / "stdout", err_path = scratch.path() / "stderr";
  const pid_t pid = fork();
  if (pid == 0) {
    std::vector<char*> cargv;
    for (const auto& a : argv) cargv.push_back(const_cast<char*>(a.c_str()));
    cargv.push_back(nullptr);
    if (!freopen("/dev/null", "r", stdin) || !freopen(out_path.c_str(), "w", stdout) ||
        !freopen(err_path.c_str(), "w", stderr)) {
      _exit(126);
    }
    execv(cargv[0], cargv.data());
    _exit(127);
  }
  CommandResult result;
  int status = 0;
  waitpid(pid, &status, 0);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  result.out = read_bytes(out_path);
  result.err = read_bytes(err_path);
  return result;
}

}  // namespace

CommandResult run_command(const std::vector<std::string>& argv) { return run_process(argv); }

CommandResult run_semdedup(const std::vector<std::string>& args) {
  std::vector<std::string> argv{SEMDEDUP_BINARY};
  argv.insert(argv.end(), args.begin(), args.end());
  return run_process(argv);
}

CommandResult run_python(const std::string& script, const std::vector<std::string>& args) {
  std::vector<std::string> argv{SEMDEDUP_PYTHON, "-c", script};
  argv.insert(argv.end(), args.begin(), args.end());
  return run_process(argv);
}

void run_and_kill_after(const std::vector<std::string>& args, int64_t ms) {
  const pid_t pid = fork();
  if (pid == 0) {
    std::vector<char*> argv{const_cast<char*>(SEMDEDUP_BINARY)};
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    if (!freopen("/dev/null", "w", stderr) || !freopen("/dev/null", "w", stdout)) _exit(126);
    execv(argv[0], argv.data());
    _exit(127);
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(ms));
  kill(pid, SIGKILL);
  int status = 0;
  waitpid(pid, &status, 0);
}

[[gnu::optimize("fp-contract=off")]] std::vector<float> float32_normalised(
    const std::vector<float>& row) {
  float sum = 0.0f;
  for (const float value : row) {
    const float square = value * value;
    sum += square;
  }
  const float norm = std::sqrt(sum);
  std::vector<float> out;
  for (const float value : row) out.push_back(value / norm);
  return out;
}

}  // namespace semdedup::testing
