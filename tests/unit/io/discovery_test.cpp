#include "semdedup/io/discovery.hpp"

#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include "testing/testing.hpp"

namespace semdedup::io {
namespace {

namespace fs = std::filesystem;
using ::semdedup::testing::StatusIs;
using ::semdedup::testing::TempDir;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

void touch(const fs::path& path) {
  fs::create_directories(path.parent_path());
  std::ofstream(path) << "x";
}

/// root/
///   .hidden.parquet  .parquet  ..parquet  B.PARQUET  a.parquet  c.pq
///   x.jsonl.gz  y.jsonl  z.json  notes.txt
///   sub/d.parquet  sub/f.txt  sub/deeper/e.parquet  sub/deeper/g.JSON
class DiscoveryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* name : {".hidden.parquet", ".parquet", "..parquet", "B.PARQUET", "a.parquet",
                             "c.pq", "x.jsonl.gz", "y.jsonl", "z.json", "notes.txt",
                             "sub/d.parquet", "sub/f.txt", "sub/deeper/e.parquet",
                             "sub/deeper/g.JSON"}) {
      touch(dir_.path() / name);
    }
  }
  std::string path(const std::string& relative) const { return dir_ / relative; }
  std::string root() const { return dir_.path().string(); }

  TempDir dir_;
};

TEST(ExtensionMatches, LastSuffixOfTheBasenameCaseInsensitive) {
  const std::vector<std::string> parquet{".parquet"};
  EXPECT_TRUE(extension_matches("a.parquet", parquet));
  EXPECT_TRUE(extension_matches("/data/x.PARQUET", parquet));
  EXPECT_TRUE(extension_matches("/data/x.parquet", {".PaRqUeT"}));
  EXPECT_FALSE(extension_matches("/data/x.parquet.bak", parquet));
  EXPECT_FALSE(extension_matches("/data/parquet", parquet));
  EXPECT_FALSE(extension_matches("/data.parquet/file", parquet));
}

TEST(ExtensionMatches, LeadingDotsBelongToTheStem) {
  const std::vector<std::string> parquet{".parquet"};
  EXPECT_FALSE(extension_matches(".parquet", parquet));
  EXPECT_FALSE(extension_matches("/data/.parquet", parquet));
  EXPECT_FALSE(extension_matches("/data/..parquet", parquet));
  EXPECT_TRUE(extension_matches("/data/.hidden.parquet", parquet));
  EXPECT_TRUE(extension_matches("/data/...x.parquet", parquet));
}

TEST(ExtensionMatches, OnlyTheLastSuffixCounts) {
  EXPECT_FALSE(extension_matches("x.jsonl.gz", {".jsonl"}));
  EXPECT_TRUE(extension_matches("x.jsonl.gz", {".gz"}));
}

TEST(ExtensionMatches, LeadingDotOptionalInTheList) {
  EXPECT_TRUE(extension_matches("c.pq", {"pq"}));
  EXPECT_TRUE(extension_matches("c.pq", {"PQ"}));
  EXPECT_TRUE(extension_matches("c.pq", {".parquet", "pq"}));
  EXPECT_FALSE(extension_matches("c.pq", {"parquet"}));
  EXPECT_FALSE(extension_matches("c.pq", {}));
}

TEST_F(DiscoveryTest, SinglePathSearchesRecursivelyAndSorts) {
  ASSERT_OK_AND_ASSIGN(auto files, discover_files({root()}, FileType::kParquet, {}));
  // Sorted by path string: '.' < 'B' < 'a' < 's'.
  EXPECT_THAT(files, ElementsAre(path(".hidden.parquet"), path("B.PARQUET"), path("a.parquet"),
                                 path("sub/d.parquet"), path("sub/deeper/e.parquet")));
}

TEST_F(DiscoveryTest, ListScansDirectoriesAtTopLevelOnly) {
  ASSERT_OK_AND_ASSIGN(auto files,
                       discover_files({path("sub"), root()}, FileType::kParquet, {}));
  EXPECT_THAT(files, ElementsAre(path(".hidden.parquet"), path("B.PARQUET"), path("a.parquet"),
                                 path("sub/d.parquet")));
}

TEST_F(DiscoveryTest, SinglePathIsAGlobWhoseDirectoriesAreSearchedRecursively) {
  ASSERT_OK_AND_ASSIGN(auto files, discover_files({path("sub/*")}, FileType::kParquet, {}));
  EXPECT_THAT(files, ElementsAre(path("sub/d.parquet"), path("sub/deeper/e.parquet")));
}

TEST_F(DiscoveryTest, GlobsInAList) {
  // glob(3), like Python's glob, is case-sensitive and does not let '*' match a leading dot.
  ASSERT_OK_AND_ASSIGN(auto files, discover_files({path("*.parquet"), path("sub/deeper")},
                                                  FileType::kParquet, {}));
  EXPECT_THAT(files, ElementsAre(path("a.parquet"), path("sub/deeper/e.parquet")));
  ASSERT_OK_AND_ASSIGN(files, discover_files({path("[aB].*")}, FileType::kParquet, {}));
  EXPECT_THAT(files, ElementsAre(path("B.PARQUET"), path("a.parquet")));
}

TEST_F(DiscoveryTest, ExplicitExtensionsLeadingDotOptionalCaseInsensitive) {
  ASSERT_OK_AND_ASSIGN(auto files, discover_files({root()}, FileType::kParquet, {"PQ"}));
  EXPECT_THAT(files, ElementsAre(path("c.pq")));
  ASSERT_OK_AND_ASSIGN(files, discover_files({root()}, FileType::kParquet, {"pq", ".txt"}));
  EXPECT_THAT(files, ElementsAre(path("c.pq"), path("notes.txt"), path("sub/f.txt")));
}

TEST_F(DiscoveryTest, EmptyExtensionListMeansTheFiletypeDefaults) {
  ASSERT_OK_AND_ASSIGN(auto files, discover_files({root()}, FileType::kJsonl, {}));
  // .jsonl and .json, any case; x.jsonl.gz is not a .jsonl file.
  EXPECT_THAT(files, ElementsAre(path("sub/deeper/g.JSON"), path("y.jsonl"), path("z.json")));
}

// NeMo skips a named file with another extension without a word; semdedup reads it (and the
// reader then names it if it is not of the file type). Globs and directories still filter.
TEST_F(DiscoveryTest, FilesNamedDirectlyAreTakenWhateverTheirExtension) {
  ASSERT_OK_AND_ASSIGN(auto files, discover_files({path("a.parquet"), path("c.pq"),
                                                   path("sub/d.parquet")},
                                                  FileType::kParquet, {}));
  EXPECT_THAT(files, ElementsAre(path("a.parquet"), path("c.pq"), path("sub/d.parquet")));
  ASSERT_OK_AND_ASSIGN(files, discover_files({path("c.pq")}, FileType::kParquet, {}));
  EXPECT_THAT(files, ElementsAre(path("c.pq")));
  EXPECT_THAT(discover_files({path("*.pq")}, FileType::kParquet, {}),
              StatusIs(StatusCode::kIOError, "no parquet files found"));
}

TEST_F(DiscoveryTest, NamedPathThatIsNeitherFileNorDirectoryIsRefused) {
  ASSERT_EQ(::mkfifo(path("fifo").c_str(), 0600), 0);
  EXPECT_THAT(discover_files({path("fifo")}, FileType::kParquet, {}),
              StatusIs(StatusCode::kIOError, path("fifo")));
}

TEST_F(DiscoveryTest, RecursiveSearchSkipsDirectoriesHoldingASemdedupOutput) {
  touch(dir_.path() / "sub" / "out" / "x.parquet");
  touch(dir_.path() / "sub" / "out" / "_semdedup_manifest");
  touch(dir_.path() / "sub" / "nemo" / "y.parquet");  // no manifest: input like any other
  ASSERT_OK_AND_ASSIGN(auto files, discover_files({path("sub")}, FileType::kParquet, {}));
  EXPECT_THAT(files, ElementsAre(path("sub/d.parquet"), path("sub/deeper/e.parquet"),
                                 path("sub/nemo/y.parquet")));
}

TEST_F(DiscoveryTest, SortsTheConcatenationOfAllInputs) {
  ASSERT_OK_AND_ASSIGN(auto files,
                       discover_files({path("z.json"), path("sub"), path("a.parquet"),
                                       path("y.jsonl")},
                                      FileType::kParquet, {"parquet", "json", "jsonl"}));
  EXPECT_THAT(files, ElementsAre(path("a.parquet"), path("sub/d.parquet"), path("y.jsonl"),
                                 path("z.json")));
}

TEST_F(DiscoveryTest, DuplicatesAreKept) {
  ASSERT_OK_AND_ASSIGN(auto files, discover_files({path("a.parquet"), path("a.parquet")},
                                                  FileType::kParquet, {}));
  EXPECT_THAT(files, ElementsAre(path("a.parquet"), path("a.parquet")));
  ASSERT_OK_AND_ASSIGN(files, discover_files({path("sub"), path("sub/d.parquet")},
                                             FileType::kParquet, {}));
  EXPECT_THAT(files, ElementsAre(path("sub/d.parquet"), path("sub/d.parquet")));
}

TEST_F(DiscoveryTest, MissingPathIsAnErrorNamingIt) {
  EXPECT_THAT(discover_files({path("nope")}, FileType::kParquet, {}),
              StatusIs(StatusCode::kIOError, path("nope")));
  EXPECT_THAT(discover_files({path("a.parquet"), path("missing.parquet")}, FileType::kParquet, {}),
              StatusIs(StatusCode::kIOError, "input '" + path("missing.parquet") + "'"));
  EXPECT_THAT(discover_files({path("nothing*.parquet")}, FileType::kParquet, {}),
              StatusIs(StatusCode::kIOError, "matches no file as a glob"));
}

TEST_F(DiscoveryTest, NoMatchingFileIsAnErrorNamingInputsAndExtensions) {
  const auto result = discover_files({path("*.txt"), path("*.pq")}, FileType::kParquet, {});
  EXPECT_THAT(result, StatusIs(StatusCode::kIOError, "no parquet files found"));
  EXPECT_THAT(result, StatusIs(StatusCode::kIOError, path("*.txt")));
  EXPECT_THAT(result, StatusIs(StatusCode::kIOError, path("*.pq")));
  EXPECT_THAT(result, StatusIs(StatusCode::kIOError, ".parquet"));
  EXPECT_THAT(discover_files({root()}, FileType::kJsonl, {".csv", "tsv"}),
              StatusIs(StatusCode::kIOError, ".csv, tsv"));
}

TEST(Discovery, NoInputsIsAUsageError) {
  EXPECT_THAT(discover_files({}, FileType::kParquet, {}),
              StatusIs(StatusCode::kInvalidArgument, "no input"));
}

}  // namespace
}  // namespace semdedup::io
