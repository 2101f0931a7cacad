// The path helpers and storage options of io/filesystem.hpp (the S3 round trips are in
// tests/unit/s3, against a real server).

#include "semdedup/io/filesystem.hpp"

#include <fstream>

#include "testing/testing.hpp"

namespace semdedup::io {
namespace {

using testing::StatusIs;
using testing::TempDir;

TEST(FilesystemPaths, S3UrisJoinAndSplitOnSlashes) {
  EXPECT_TRUE(is_s3_path("s3://bucket/key"));
  EXPECT_TRUE(is_s3_path("S3://bucket/key"));
  EXPECT_FALSE(is_s3_path("/data/s3://x"));
  EXPECT_FALSE(is_s3_path("s3:/bucket"));
  EXPECT_EQ(join_path("s3://bucket/out", "_SUCCESS"), "s3://bucket/out/_SUCCESS");
  EXPECT_EQ(join_path("s3://bucket/out/", "a/b.parquet"), "s3://bucket/out/a/b.parquet");
  EXPECT_EQ(parent_path("s3://bucket/out/_SUCCESS"), "s3://bucket/out");
  EXPECT_EQ(parent_path("s3://bucket/out/"), "s3://bucket");
  EXPECT_EQ(parent_path("s3://bucket"), "s3://");
  EXPECT_EQ(file_name("s3://bucket/out/"), "out");
  EXPECT_EQ(file_name("s3://bucket/out/part-0.parquet"), "part-0.parquet");
}

TEST(FilesystemPaths, LocalPathsKeepTheirSpelling) {
  EXPECT_EQ(join_path("out", "_SUCCESS"), "out/_SUCCESS");
  EXPECT_EQ(join_path("out/", "_SUCCESS"), "out/_SUCCESS");
  EXPECT_EQ(parent_path("out/_SUCCESS"), "out");
  EXPECT_EQ(file_name("out/a.parquet"), "a.parquet");
  EXPECT_EQ(strip_file_scheme("file:///tmp/x"), "/tmp/x");
  EXPECT_EQ(strip_file_scheme("s3://b/x"), "s3://b/x");
}

TEST(FilesystemPaths, ResolvePicksTheFilesystemFromTheScheme) {
  ASSERT_OK_AND_ASSIGN(const Location local, resolve("file:///tmp/x"));
  EXPECT_TRUE(local.local);
  EXPECT_EQ(local.path, "/tmp/x");
  EXPECT_THAT(resolve("gs://bucket/x"), StatusIs(StatusCode::kInvalidArgument, "unsupported scheme 'gs'"));
  EXPECT_THAT(resolve("s3://"), StatusIs(StatusCode::kInvalidArgument, "names a bucket"));
}

TEST(FilesystemLocal, ListStatMoveAndRemoveThroughOneLayer) {
  TempDir dir;
  const std::string root = dir.path().string();
  ASSERT_OK(create_directories(join_path(root, "a/b")));
  std::ofstream(dir / "a/b/f.txt") << "hello";
  std::filesystem::create_symlink(dir / "a/b/f.txt", dir / "a/link");
  ASSERT_OK_AND_ASSIGN(const Entry file, stat_path(join_path(root, "a/b/f.txt")));
  EXPECT_EQ(file.type, EntryType::kFile);
  EXPECT_EQ(file.size, 5);
  EXPECT_GT(file.mtime_ns, 0);
  ASSERT_OK_AND_ASSIGN(const auto top, list_directory(join_path(root, "a")));
  ASSERT_EQ(top.size(), 2u);
  EXPECT_EQ(top[0].name, "b");
  EXPECT_EQ(top[0].type, EntryType::kDirectory);
  EXPECT_EQ(top[1].name, "link");
  EXPECT_EQ(top[1].type, EntryType::kSymlink);  // the guards must see links
  ASSERT_OK_AND_ASSIGN(const auto followed, list_directory(join_path(root, "a"), false, true));
  EXPECT_EQ(followed[1].type, EntryType::kFile);
  ASSERT_OK_AND_ASSIGN(const auto all, list_directory(join_path(root, "a"), true));
  EXPECT_EQ(all.size(), 3u);
  EXPECT_EQ(all[1].path, join_path(root, "a/b/f.txt"));
  ASSERT_OK_AND_ASSIGN(const std::string text, read_whole_file("file://" + root + "/a/b/f.txt"));
  EXPECT_EQ(text, "hello");
  ASSERT_OK(move_path(join_path(root, "a/b/f.txt"), join_path(root, "a/g.txt")));
  EXPECT_FALSE(path_exists(join_path(root, "a/b/f.txt")));
  EXPECT_TRUE(is_regular_file(join_path(root, "a/g.txt")));
  ASSERT_OK(remove_file(join_path(root, "a/link")));  // the link, not what it led to
  EXPECT_TRUE(is_regular_file(join_path(root, "a/g.txt")));
  // Deleting a tree deletes a link in it, never what the link leads to.
  ASSERT_OK(create_directories(join_path(root, "outside")));
  std::ofstream(dir / "outside/keep.txt") << "keep";
  std::filesystem::create_directory_symlink(dir / "outside", dir / "a/to_outside");
  ASSERT_OK(remove_all(join_path(root, "a")));
  EXPECT_FALSE(path_exists(join_path(root, "a")));
  EXPECT_TRUE(is_regular_file(join_path(root, "outside/keep.txt")));
  ASSERT_OK(remove_all(join_path(root, "a")));  // missing: nothing to do
  EXPECT_THAT(list_directory(join_path(root, "a")), StatusIs(StatusCode::kIOError, "cannot list"));
}

TEST(StorageOptions, AcceptsArrowsAndFsspecsSpellingsAndRefusesTheRest) {
  EXPECT_OK(validate_storage_options({}));
  EXPECT_OK(validate_storage_options({{"endpoint_override", "http://127.0.0.1:9000"},
                                      {"region", "eu-west-1"},
                                      {"access_key", "a"},
                                      {"secret_key", "s"},
                                      {"scheme", "http"},
                                      {"connect_timeout", "2.5"}}));
  EXPECT_OK(validate_storage_options(
      {{"client_kwargs.endpoint_url", "http://h:1"}, {"key", "a"}, {"secret", "s"}, {"token", "t"}}));
  EXPECT_OK(validate_storage_options({{"anon", "true"}}));
  EXPECT_THAT(validate_storage_options({{"bogus", "1"}}),
              StatusIs(StatusCode::kInvalidArgument, "unknown storage option 'bogus'"));
  EXPECT_THAT(validate_storage_options({{"key", "a"}, {"access_key", "b"}, {"secret", "s"}}),
              StatusIs(StatusCode::kInvalidArgument, "access_key is given twice"));
  EXPECT_THAT(validate_storage_options({{"key", "a"}}),
              StatusIs(StatusCode::kInvalidArgument, "go together"));
  EXPECT_THAT(validate_storage_options({{"scheme", "ftp"}}),
              StatusIs(StatusCode::kInvalidArgument, "http or https"));
  EXPECT_THAT(validate_storage_options({{"anonymous", "yes please"}}),
              StatusIs(StatusCode::kInvalidArgument, "true or false"));
  EXPECT_THAT(validate_storage_options({{"request_timeout", "-1"}}),
              StatusIs(StatusCode::kInvalidArgument, "seconds > 0"));
  EXPECT_THAT(configure_storage({{"bogus", "1"}}), StatusIs(StatusCode::kInvalidArgument, "bogus"));
}

}  // namespace
}  // namespace semdedup::io
