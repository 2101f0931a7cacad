// What semdedup may do to a user's directories, through the binary: outputs apart from inputs,
// --overwrite deleting only what semdedup wrote, the lock file, explicitly named inputs, no
// half-written output, the manifest / _SUCCESS markers, --resume checked against the run it
// finishes, and discovery skipping earlier outputs. docs/bad-input.md tables them.
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <thread>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "testing/testing.hpp"

namespace semdedup {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::Not;
using testing::list_files;
using testing::read_bytes;
using testing::run_and_kill_after;
using testing::run_semdedup;
using testing::TempDir;

using Tree = std::map<std::string, std::string>;

// Every regular file under `dir` with its bytes.
Tree snapshot(const fs::path& dir) {
  Tree tree;
  for (const auto& name : list_files(dir)) tree[name] = read_bytes(dir / name);
  return tree;
}

int lines(const std::string& text) {
  return static_cast<int>(std::count(text.begin(), text.end(), '\n'));
}

void write_text(const fs::path& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

// A run that must fail: its exit status, exactly one line on stderr holding every part.
void expect_refused(const testing::CommandResult& r, int exit_code,
                    const std::vector<std::string>& parts) {
  EXPECT_EQ(r.exit_code, exit_code) << r.err;
  EXPECT_EQ(lines(r.err), 1) << r.err;
  for (const auto& part : parts) EXPECT_THAT(r.err, HasSubstr(part));
}

// 200 rows of dimension 8 in two Parquet files under <root>/gen/data, a KMeans output in
// <root>/km, its pairwise output in <root>/pw and identify's in <root>/id.
class OutputSafety : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(run_semdedup({"generate", "--output", dir_ / "gen", "--rows", "200", "--dim", "8",
                            "--files", "2", "--clusters", "6", "--quiet"})
                  .exit_code,
              0);
    data_ = (dir_.path() / "gen" / "data").string();
  }

  void make_stages(const std::string& k = "3") {
    ASSERT_EQ(run_semdedup(kmeans_args(data_, dir_ / "km", k)).exit_code, 0);
    ASSERT_EQ(run_semdedup({"pairwise", "--input", dir_ / "km", "--output", dir_ / "pw",
                            "--quiet"})
                  .exit_code,
              0);
    ASSERT_EQ(run_semdedup({"identify", "--input", dir_ / "pw", "--output", dir_ / "id", "--eps",
                            "0.1", "--quiet"})
                  .exit_code,
              0);
  }

  static std::vector<std::string> kmeans_args(const std::string& in, const std::string& out,
                                              const std::string& k = "3") {
    return {"kmeans", "--input", in, "--output", out, "--n-clusters", k, "--quiet"};
  }

  TempDir dir_;
  std::string data_;
};

// Item 1: an output that is, contains or lies inside an input is refused before anything is
// touched, however the paths are spelt.
TEST_F(OutputSafety, OutputOverlappingAnInputIsRefusedByEveryCommand) {
  ASSERT_NO_FATAL_FAILURE(make_stages());
  const fs::path root = dir_.path();
  fs::create_symlink(data_, root / "link_to_data");
  fs::create_directories(root / "cfg");
  write_text(root / "cfg" / "c.yaml", "# no settings\n");
  const Tree before = snapshot(root);
  const std::string km = root / "km", pw = root / "pw", dups = root / "id" / "duplicates";
  const std::string dotdot = (fs::path(data_) / ".." / "data").string();
  struct Case {
    std::vector<std::string> args;
    std::string relation;
  };
  const std::vector<Case> cases = {
      {{"kmeans", "--input", data_, "--output", data_, "--n-clusters", "2", "--overwrite"}, "is"},
      {{"kmeans", "--input", data_, "--output", dotdot, "--n-clusters", "2", "--overwrite"}, "is"},
      {{"kmeans", "--input", data_, "--output", root / "link_to_data", "--n-clusters", "2",
        "--overwrite"},
       "is"},
      {{"kmeans", "--input", data_, "--output", root / "gen", "--n-clusters", "2", "--overwrite"},
       "contains"},
      {{"kmeans", "--input", data_, "--output", data_ + "/out", "--n-clusters", "2"},
       "lies inside"},
      {{"kmeans", "--input", data_, "--output", root / "k2", "--n-clusters", "2", "--cache-path",
        data_},
       "is"},
      {{"pairwise", "--input", km, "--output", km, "--overwrite"}, "is"},
      {{"pairwise", "--input", km, "--output", km + "/pw"}, "lies inside"},
      {{"identify", "--input", pw, "--output", root, "--eps", "0.1", "--overwrite"}, "contains"},
      {{"run", "--input", data_, "--output", root / "r", "--cache-path", root / "gen",
        "--n-clusters", "2", "--overwrite"},
       "contains"},
      {{"remove", "--input", data_, "--duplicates", dups, "--output", data_ + "/clean"},
       "lies inside"},
      {{"remove", "--input", data_, "--duplicates", dups, "--output", root / "id", "--overwrite"},
       "contains"},
      {{"report", "--input", pw, "--html", pw + "/report.html"}, "lies inside"},
      {{"generate", "--output", root / "cfg", "--rows", "10", "--dim", "2", "--config",
        root / "cfg" / "c.yaml", "--overwrite"},
       "contains"},
  };
  for (const Case& c : cases) {
    std::vector<std::string> args = c.args;
    args.push_back("--quiet");
    const auto r = run_semdedup(args);
    SCOPED_TRACE(::testing::PrintToString(args));
    expect_refused(r, 2, {" " + c.relation + " the input ", "apart from every input"});
    EXPECT_EQ(snapshot(root), before);
  }
}

// Item 1: --overwrite deletes only what semdedup's layouts name.
TEST_F(OutputSafety, OverwriteRefusesADirectoryHoldingForeignFiles) {
  ASSERT_NO_FATAL_FAILURE(make_stages());
  const fs::path km = dir_.path() / "km";
  write_text(km / "notes.txt", "mine");
  fs::create_directories(km / "centroid=0" / "sub");
  write_text(km / "centroid=0" / "sub" / "thesis.tex", "mine too");
  const Tree before = snapshot(km);
  auto r = run_semdedup(kmeans_args(data_, km.string(), "2"));
  expect_refused(r, 1, {"is not empty", "--overwrite"});
  std::vector<std::string> overwrite = kmeans_args(data_, km.string(), "2");
  overwrite.push_back("--overwrite");
  r = run_semdedup(overwrite);
  expect_refused(r, 2, {(km / "centroid=0/sub/thesis.tex").string(), "did not write"});
  EXPECT_EQ(snapshot(km), before);

  fs::remove_all(km / "centroid=0" / "sub");
  r = run_semdedup(overwrite);
  expect_refused(r, 2, {(km / "notes.txt").string(), "nothing was deleted"});
  fs::remove(km / "notes.txt");
  // What semdedup wrote alone is replaced.
  r = run_semdedup(overwrite);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(fs::exists(km / "centroid=1")) << r.err;
  EXPECT_FALSE(fs::exists(km / "centroid=2"));

  // A user's directory that merely looks like an output (a data file) is not semdedup's.
  fs::create_directories(dir_.path() / "mine");
  write_text(dir_.path() / "mine" / "table.parquet", "x");
  overwrite = kmeans_args(data_, dir_ / "mine", "2");
  overwrite.push_back("--overwrite");
  expect_refused(run_semdedup(overwrite), 2, {"table.parquet"});
  EXPECT_EQ(read_bytes(dir_.path() / "mine" / "table.parquet"), "x");
}

// Item 2: the lock beside the output is never followed through a symlink nor truncated when
// semdedup did not write it; a killed run's lock is taken over.
TEST_F(OutputSafety, LockPathThatIsNotALockFileIsRefusedAndLeftAlone) {
  const fs::path root = dir_.path();
  const fs::path lock = root / ".out.semdedup.lock";
  write_text(root / "victim", "precious\n");
  const auto out = (root / "out").string();

  fs::create_symlink(root / "victim", lock);
  expect_refused(run_semdedup(kmeans_args(data_, out)), 1, {lock.string(), "symbolic link"});
  EXPECT_EQ(read_bytes(root / "victim"), "precious\n");
  EXPECT_FALSE(fs::exists(out));
  fs::remove(lock);

  write_text(lock, "not a pid\n");
  expect_refused(run_semdedup(kmeans_args(data_, out)), 1,
                 {lock.string(), "not a semdedup lock file"});
  EXPECT_EQ(read_bytes(lock), "not a pid\n");
  fs::remove(lock);

  fs::create_hard_link(root / "victim", lock);  // a second name of a file: not a lock
  write_text(root / "victim", "12345\n");
  expect_refused(run_semdedup(kmeans_args(data_, out)), 1, {"not a semdedup lock file"});
  EXPECT_EQ(read_bytes(root / "victim"), "12345\n");
  fs::remove(lock);

  ASSERT_EQ(::mkfifo(lock.c_str(), 0600), 0);
  expect_refused(run_semdedup(kmeans_args(data_, out)), 1, {"not a semdedup lock file"});
  fs::remove(lock);

  write_text(lock, "999999\n");  // left by a killed run
  const auto r = run_semdedup(kmeans_args(data_, out));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_FALSE(fs::exists(lock));
}

// Item 3: a file named on the command line is read whatever its extension; a glob or a
// directory still selects by extension.
TEST_F(OutputSafety, ExplicitlyNamedInputFilesAreReadWhateverTheirExtension) {
  ASSERT_NO_FATAL_FAILURE(make_stages());
  const fs::path root = dir_.path();
  fs::copy_file(fs::path(data_) / "part-00001.parquet", root / "b.pq");
  const std::string a = (fs::path(data_) / "part-00000.parquet").string();
  auto r = run_semdedup({"remove", "--input", a, (root / "b.pq").string(), "--duplicates",
                         root / "id" / "duplicates", "--output", root / "clean", "--quiet"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("of 200 rows removed"));
  EXPECT_TRUE(fs::exists(root / "clean" / "b.parquet"));

  r = run_semdedup({"kmeans", "--input", root / "*.pq", "--output", root / "k_glob",
                    "--n-clusters", "2", "--quiet"});
  expect_refused(r, 1, {"no parquet files found"});

  write_text(root / "notes.txt", "id,embeddings\n");
  r = run_semdedup({"kmeans", "--input", a, (root / "notes.txt").string(), "--output",
                    root / "k_txt", "--n-clusters", "2", "--quiet"});
  expect_refused(r, 1, {(root / "notes.txt").string()});
  EXPECT_FALSE(fs::exists(root / "k_txt"));
}

// Item 6: a failure part-way leaves no part of the new output.
TEST_F(OutputSafety, RemoveAndIdentifyLeaveNothingAfterALateFailure) {
  ASSERT_NO_FATAL_FAILURE(make_stages("16"));
  const fs::path root = dir_.path();
  fs::create_directories(root / "three");
  for (const char* name : {"part-00000.parquet", "part-00001.parquet"}) {
    fs::copy_file(fs::path(data_) / name, root / "three" / name);
  }
  write_text(root / "three" / "part-00002.parquet", std::string(3000, 'x'));
  const Tree inputs = snapshot(root / "three");
  auto r = run_semdedup({"remove", "--input", root / "three", "--duplicates",
                         root / "id" / "duplicates", "--output", root / "clean", "--quiet",
                         "--threads", "1"});
  expect_refused(r, 1, {"part-00002.parquet"});
  EXPECT_FALSE(fs::exists(root / "clean"));
  EXPECT_EQ(snapshot(root / "three"), inputs);

  // Identify reads cluster files ten at a time: the second batch fails after the first is
  // written.
  std::vector<std::pair<int, std::string>> clusters;
  for (const auto& name : list_files(root / "pw")) {
    if (name.starts_with("cluster_")) clusters.emplace_back(std::stoi(name.substr(8)), name);
  }
  ASSERT_GT(clusters.size(), 10u);
  const std::string last = std::max_element(clusters.begin(), clusters.end())->second;
  // Damaged in place: same size and modification time (what --resume's fingerprint sees).
  const fs::path damaged = root / "pw" / last;
  const auto stamp = fs::last_write_time(damaged);
  write_text(damaged, std::string(fs::file_size(damaged), 'x'));
  fs::last_write_time(damaged, stamp);
  r = run_semdedup({"identify", "--input", root / "pw", "--output", root / "id2", "--eps", "0.1",
                    "--quiet"});
  expect_refused(r, 1, {last});
  EXPECT_FALSE(fs::exists(root / "id2"));
  // Over an earlier output, --resume keeps that output's files but no longer calls it done.
  const Tree earlier = snapshot(root / "id" / "duplicates");
  r = run_semdedup({"identify", "--input", root / "pw", "--output", root / "id", "--eps", "0.1",
                    "--quiet", "--resume"});
  expect_refused(r, 1, {last});
  EXPECT_EQ(snapshot(root / "id" / "duplicates"), earlier);
  EXPECT_FALSE(fs::exists(root / "id" / "_SUCCESS"));
  EXPECT_THAT(list_files(root / "id"), Not(::testing::Contains(HasSubstr(".tmp-"))));
  r = run_semdedup({"remove", "--input", data_, "--duplicates", root / "id" / "duplicates",
                    "--output", root / "clean", "--quiet"});
  expect_refused(r, 1, {"unfinished semdedup identify output", "semdedup identify ... --resume"});
}

// Item 7: _SUCCESS is written last, a manifest first; an unfinished output is refused as
// input, naming the command to finish; a directory without markers (NeMo's) is accepted.
TEST_F(OutputSafety, UnfinishedOutputsAreRefusedAndForeignOnesAccepted) {
  ASSERT_NO_FATAL_FAILURE(make_stages());
  const fs::path root = dir_.path();
  for (const char* dir : {"gen", "km", "pw", "id"}) {
    const auto files = list_files(root / dir);
    ASSERT_TRUE(fs::exists(root / dir / "_semdedup_manifest")) << dir;
    const auto done = fs::last_write_time(root / dir / "_SUCCESS");
    for (const auto& file : files) {
      EXPECT_LE(fs::last_write_time(root / dir / file), done) << dir << "/" << file;
    }
  }

  fs::remove(root / "km" / "_SUCCESS");  // as a SIGKILLed kmeans leaves it
  auto r = run_semdedup({"pairwise", "--input", root / "km", "--output", root / "pw2", "--quiet"});
  expect_refused(r, 1, {"--input", "unfinished semdedup kmeans output", "semdedup kmeans ... --resume"});
  EXPECT_FALSE(fs::exists(root / "pw2"));
  fs::remove(root / "pw" / "_SUCCESS");
  r = run_semdedup({"identify", "--input", root / "pw", "--output", root / "id2", "--eps", "0.1",
                    "--quiet"});
  expect_refused(r, 1, {"unfinished semdedup pairwise output"});
  fs::remove(root / "gen" / "_SUCCESS");
  r = run_semdedup(kmeans_args(data_, root / "km2"));
  expect_refused(r, 1, {"unfinished semdedup generate output", "--overwrite"});

  // A killed `run` leaves step directories marked as its own.
  ASSERT_EQ(run_semdedup({"generate", "--output", root / "gen", "--rows", "200", "--dim", "8",
                          "--files", "2", "--quiet", "--overwrite"})
                .exit_code,
            0);
  ASSERT_EQ(run_semdedup({"run", "--input", data_, "--output", root / "r", "--n-clusters", "3",
                          "--eps", "0.1", "--quiet"})
                .exit_code,
            0);
  fs::remove(root / "r" / "pairwise_results" / "_SUCCESS");
  r = run_semdedup({"identify", "--input", root / "r" / "pairwise_results", "--output",
                    root / "id3", "--eps", "0.1", "--quiet"});
  expect_refused(r, 1, {"unfinished semdedup run output", "semdedup run ... --resume"});

  // NeMo Curator writes no markers: its directories are read as they are.
  fs::copy(root / "km", root / "nemo_km", fs::copy_options::recursive);
  fs::remove(root / "nemo_km" / "_semdedup_manifest");
  r = run_semdedup({"pairwise", "--input", root / "nemo_km", "--output", root / "nemo_pw"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.err, HasSubstr("was not written by semdedup"));
  fs::remove(root / "nemo_pw" / "_semdedup_manifest");
  fs::remove(root / "nemo_pw" / "_SUCCESS");
  r = run_semdedup({"identify", "--input", root / "nemo_pw", "--output", root / "nemo_id",
                    "--eps", "0.1"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.err, HasSubstr("was not written by semdedup"));
  EXPECT_TRUE(fs::exists(root / "nemo_id" / "_SUCCESS"));
}

// Item 7 with a real kill: whenever a kmeans dies, the next stage never takes its output.
TEST_F(OutputSafety, KilledKMeansOutputIsNeverTakenByPairwise) {
  const fs::path root = dir_.path();
  ASSERT_EQ(run_semdedup({"generate", "--output", root / "big", "--rows", "20000", "--dim", "32",
                          "--files", "4", "--quiet"})
                .exit_code,
            0);
  const std::vector<std::string> args = {"kmeans", "--input", root / "big" / "data", "--output",
                                         root / "km_full", "--n-clusters", "16",
                                         "--rows-per-part", "2000", "--threads", "1", "--quiet"};
  const auto start = std::chrono::steady_clock::now();
  ASSERT_EQ(run_semdedup(args).exit_code, 0);
  const double full_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  int refused = 0;
  for (const double fraction : {0.3, 0.6, 0.9}) {
    const fs::path km = root / ("km_" + std::to_string(static_cast<int>(fraction * 10)));
    std::vector<std::string> killed = args;
    killed[4] = km.string();
    run_and_kill_after(killed, static_cast<int64_t>(fraction * full_ms));
    if (fs::exists(km / "_SUCCESS")) continue;  // finished before the kill
    const fs::path pw = km.string() + "_pw";
    const auto r = run_semdedup({"pairwise", "--input", km.string(), "--output", pw.string(),
                                 "--quiet"});
    EXPECT_NE(r.exit_code, 0) << "killed at " << fraction << ": " << r.out;
    EXPECT_EQ(lines(r.err), 1) << r.err;
    if (fs::exists(km / "_semdedup_manifest")) {
      EXPECT_THAT(r.err, HasSubstr("unfinished semdedup kmeans output"));
      ++refused;
    }
    EXPECT_FALSE(fs::exists(pw));
  }
  EXPECT_GT(refused, 0) << "no kill landed while the output was being written";
}

// Item 8: --resume finishes only the run it was started as.
TEST_F(OutputSafety, ResumeWithOtherParametersOrInputsIsRefused) {
  ASSERT_NO_FATAL_FAILURE(make_stages());
  const fs::path root = dir_.path();
  fs::remove(root / "pw" / "_SUCCESS");
  const Tree pw = snapshot(root / "pw");
  auto r = run_semdedup({"pairwise", "--input", root / "km", "--output", root / "pw",
                         "--which-to-keep", "easy", "--resume", "--quiet"});
  expect_refused(r, 2, {"--which-to-keep hard", "--which-to-keep easy", "--overwrite"});
  EXPECT_EQ(snapshot(root / "pw"), pw);
  // What cannot change a result may change.
  r = run_semdedup({"pairwise", "--input", root / "km", "--output", root / "pw", "--resume",
                    "--threads", "1", "--pairwise-batch-size", "7", "--log-level", "warn",
                    "--progress", "never", "--which-to-keep", "hard"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(fs::exists(root / "pw" / "_SUCCESS"));

  std::vector<std::string> resume = kmeans_args(root / "gen" / "data" / "part-00000.parquet",
                                                root / "km");
  resume.push_back("--resume");
  expect_refused(run_semdedup(resume), 2, {"--input", "part-00000.parquet"});
  resume = kmeans_args(data_, root / "km");
  resume.push_back("--resume");
  ASSERT_EQ(run_semdedup(resume).exit_code, 0);
  // Same paths, other bytes.
  const fs::path part = fs::path(data_) / "part-00001.parquet";
  fs::last_write_time(part, fs::last_write_time(part) + std::chrono::seconds(5));
  expect_refused(run_semdedup(resume), 2, {part.string(), "changed"});

  // A directory semdedup did not start has nothing to resume.
  fs::create_directories(root / "theirs");
  write_text(root / "theirs" / "cluster_0.parquet", "x");
  expect_refused(run_semdedup({"pairwise", "--input", root / "km", "--output", root / "theirs",
                               "--resume", "--quiet"}),
                 2, {"_semdedup_manifest", "nothing to resume"});
  EXPECT_EQ(read_bytes(root / "theirs" / "cluster_0.parquet"), "x");

  // A run killed before its manifest landed left only that manifest's temporary file: the
  // resume starts afresh (and removes it) instead of refusing.
  fs::create_directories(root / "early");
  write_text(root / "early" / "._semdedup_manifest.tmp-12345", "semdedup manifest 1\n");
  r = run_semdedup({"pairwise", "--input", root / "km", "--output", root / "early", "--resume",
                    "--quiet"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(fs::exists(root / "early" / "_SUCCESS"));
  EXPECT_FALSE(fs::exists(root / "early" / "._semdedup_manifest.tmp-12345"));
}

// Item 9: another run's output inside an input directory is not read as input.
TEST_F(OutputSafety, DiscoveryDoesNotEnterAnEarlierOutput) {
  ASSERT_NO_FATAL_FAILURE(make_stages());
  const fs::path root = dir_.path();
  const std::string dups = root / "id" / "duplicates";
  // The nesting itself is refused up front ...
  expect_refused(run_semdedup({"remove", "--input", data_, "--duplicates", dups, "--output",
                               data_ + "/clean", "--quiet"}),
                 2, {"lies inside"});
  EXPECT_FALSE(fs::exists(fs::path(data_) / "clean"));
  // ... and an output that got there anyway (moved in) is skipped by discovery.
  ASSERT_EQ(run_semdedup({"remove", "--input", data_, "--duplicates", dups, "--output",
                          root / "clean", "--quiet"})
                .exit_code,
            0);
  fs::rename(root / "clean", fs::path(data_) / "clean");
  for (int round = 0; round < 2; ++round) {
    const fs::path out = root / ("again" + std::to_string(round));
    const auto r = run_semdedup({"remove", "--input", data_, "--duplicates", dups, "--output",
                                 out.string(), "--quiet"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_THAT(r.out, HasSubstr("of 200 rows removed"));
    EXPECT_EQ(list_files(out), (std::vector<std::string>{"_SUCCESS", "_semdedup_manifest",
                                                         "part-00000.parquet",
                                                         "part-00001.parquet"}));
  }
}

}  // namespace
}  // namespace semdedup
