// The CLI frame: exit codes, --version, --help, usage errors.
#include "testing/testing.hpp"

namespace semdedup {
namespace {

using testing::run_semdedup;

TEST(CliFrame, VersionNamesSemdedupArrowAndBlas) {
  const auto r = run_semdedup({"--version"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_THAT(r.out, ::testing::HasSubstr("semdedup "));
  EXPECT_THAT(r.out, ::testing::HasSubstr("Arrow 25."));
  EXPECT_THAT(r.out, ::testing::HasSubstr("OpenBLAS"));
  EXPECT_THAT(r.out, ::testing::HasSubstr("build"));
}

TEST(CliFrame, HelpListsSubcommands) {
  const auto r = run_semdedup({"--help"});
  EXPECT_EQ(r.exit_code, 0);
  for (const char* sub : {"kmeans", "pairwise", "identify", "run", "remove", "report", "generate", "demo"}) {
    EXPECT_THAT(r.out, ::testing::HasSubstr(sub));
  }
}

TEST(CliFrame, MissingSubcommandIsAUsageError) {
  const auto r = run_semdedup({});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, ::testing::HasSubstr("subcommand"));
}

TEST(CliFrame, UnknownFlagIsAUsageError) {
  const auto r = run_semdedup({"--no-such-flag"});
  EXPECT_EQ(r.exit_code, 2);
}

TEST(CliFrame, BadCommonFlagValueIsAUsageError) {
  const auto r = run_semdedup({"generate", "--progress", "sometimes"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, ::testing::HasSubstr("--progress"));
}

}  // namespace
}  // namespace semdedup
