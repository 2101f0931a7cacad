#pragma once
// Shared test helpers: status matchers, temporary directories, running the binary.

#include <arrow/type_fwd.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "semdedup/core/status.hpp"
#include "testing/random_rows.hpp"

#define ASSERT_OK(expr)                                              \
  do {                                                               \
    const auto& _st = ::semdedup::internal::to_status((expr));       \
    ASSERT_TRUE(_st.ok()) << _st.to_string();                        \
  } while (false)

#define EXPECT_OK(expr)                                              \
  do {                                                               \
    const auto& _st = ::semdedup::internal::to_status((expr));       \
    EXPECT_TRUE(_st.ok()) << _st.to_string();                        \
  } while (false)

/// ASSERT_OK_AND_ASSIGN(auto x, make_x());
#define ASSERT_OK_AND_ASSIGN(lhs, rexpr)                                       \
  auto SD_CONCAT(_sd_test_result_, __LINE__) = (rexpr);                        \
  ASSERT_TRUE(SD_CONCAT(_sd_test_result_, __LINE__).ok())                      \
      << SD_CONCAT(_sd_test_result_, __LINE__).status().to_string();           \
  lhs = std::move(SD_CONCAT(_sd_test_result_, __LINE__)).value()

namespace semdedup::testing {

/// Matches a failed Status/Result with `code` whose message contains every `parts` string.
MATCHER_P2(StatusIs, code, substring,
           "fails with " + std::string(status_code_name(code)) + " containing \"" +
               std::string(substring) + "\"") {
  const Status st = ::semdedup::internal::to_status(arg);
  *result_listener << "status is " << st.to_string();
  return st.code() == code && st.message().find(substring) != std::string::npos;
}

/// A fresh directory under the system temp dir (never the working directory), removed with
/// its contents when the object dies.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::string operator/(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

/// Every regular file under `dir`, relative paths, sorted.
std::vector<std::string> list_files(const std::filesystem::path& dir);

/// A whole Parquet file read back (null, with a test failure, when it cannot be read).
std::shared_ptr<arrow::Table> read_parquet_table(const std::filesystem::path& path);

/// Reads a whole file as bytes.
std::string read_bytes(const std::filesystem::path& file);

struct CommandResult {
  int exit_code = -1;
  std::string out;  ///< stdout
  std::string err;  ///< stderr
};

/// Runs `argv` (argv[0] an executable path) with no stdin and captures its output.
CommandResult run_command(const std::vector<std::string>& argv);

/// Runs `semdedup <args>` (the built binary) with no stdin and captures its output.
CommandResult run_semdedup(const std::vector<std::string>& args);

/// Runs the project's venv python with `-c script` and `args`; for interop checks with pyarrow.
CommandResult run_python(const std::string& script, const std::vector<std::string>& args = {});

/// Starts `semdedup args` (stdout and stderr to /dev/null), lets it run for `ms` milliseconds
/// and kills it with SIGKILL.
void run_and_kill_after(const std::vector<std::string>& args, int64_t ms);

/// `row` / ||row|| with the norm summed in float32 in index order and no FMA contraction: the
/// reader's arithmetic for ordinary rows (spec section 4), as an oracle.
std::vector<float> float32_normalised(const std::vector<float>& row);

}  // namespace semdedup::testing
