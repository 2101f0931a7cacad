#include "semdedup/io/output_lock.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "testing/testing.hpp"

namespace semdedup::io {
namespace {

namespace fs = std::filesystem;
using ::semdedup::testing::StatusIs;
using ::semdedup::testing::TempDir;
using ::testing::HasSubstr;

TEST(OutputLock, LivesBesideTheDirectoryAndNamesTheHolder) {
  TempDir dir;
  const std::string out = dir / "out";
  ASSERT_OK_AND_ASSIGN(OutputLock lock, OutputLock::acquire(out));
  EXPECT_EQ(lock.path(), (fs::canonical(dir.path()) / ".out.semdedup.lock").string());
  EXPECT_FALSE(fs::exists(out)) << "the lock never creates the directory itself";
  EXPECT_EQ(testing::read_bytes(lock.path()), std::to_string(getpid()) + "\n");

  // A second lock of the same directory, however spelled, is refused and names the holder.
  fs::create_directories(out);
  fs::create_directory_symlink(out, dir / "alias");
  for (const std::string& spelling : {out, out + "/", dir / "alias", dir / "x/../out"}) {
    EXPECT_THAT(OutputLock::acquire(spelling),
                StatusIs(StatusCode::kIOError,
                         "is in use by another semdedup run (pid " + std::to_string(getpid()) + ")"))
        << spelling;
  }
  lock.release();
  EXPECT_FALSE(fs::exists(lock.path()));
  EXPECT_EQ(testing::list_files(dir.path()), std::vector<std::string>{});
  ASSERT_OK(OutputLock::acquire(dir / "alias"));
}

TEST(OutputLock, AnotherProcessIsRefusedUntilTheHolderDies) {
  TempDir dir;
  const std::string out = dir / "out";
  int ready[2];
  ASSERT_EQ(pipe(ready), 0);
  const pid_t child = fork();
  if (child == 0) {
    auto lock = OutputLock::acquire(out);
    const char byte = lock.ok() ? 'y' : 'n';
    if (write(ready[1], &byte, 1) != 1) _exit(2);
    pause();  // killed by the parent: the lock dies with the process, the file stays
    _exit(0);
  }
  char byte = 0;
  ASSERT_EQ(read(ready[0], &byte, 1), 1);
  ASSERT_EQ(byte, 'y');
  EXPECT_THAT(OutputLock::acquire(out),
              StatusIs(StatusCode::kIOError, "(pid " + std::to_string(child) + ")"));
  kill(child, SIGKILL);
  waitpid(child, nullptr, 0);
  close(ready[0]);
  close(ready[1]);
  ASSERT_TRUE(fs::exists(dir / ".out.semdedup.lock")) << "a killed holder leaves its file";
  ASSERT_OK_AND_ASSIGN(OutputLock lock, OutputLock::acquire(out));
  EXPECT_EQ(testing::read_bytes(lock.path()), std::to_string(getpid()) + "\n");
}

TEST(OutputLock, CreatesMissingParentsAndRemovesThemWhenLeftEmpty) {
  TempDir dir;
  {
    ASSERT_OK_AND_ASSIGN(OutputLock lock, OutputLock::acquire(dir / "a/b/out"));
    EXPECT_TRUE(fs::is_directory(dir / "a/b"));
  }
  EXPECT_FALSE(fs::exists(dir / "a")) << "a failed run leaves no empty parents";
  {
    ASSERT_OK_AND_ASSIGN(OutputLock lock, OutputLock::acquire(dir / "a/b/out"));
    fs::create_directories(dir / "a/b/out");
    std::ofstream(dir / "a/b/out/result") << "x";
  }
  EXPECT_EQ(testing::list_files(dir.path()), std::vector<std::string>{"a/b/out/result"});
}

TEST(OutputLock, AParentThatIsAFileIsAnIoErrorNamingIt) {
  TempDir dir;
  std::ofstream(dir / "file") << "not a directory";
  EXPECT_THAT(OutputLock::acquire(dir / "file/out"),
              StatusIs(StatusCode::kIOError, "file is not a directory"));
  EXPECT_THAT(OutputLock::acquire(dir / "file/deeper/out"),
              StatusIs(StatusCode::kIOError, "cannot create output directory"));
  EXPECT_EQ(testing::list_files(dir.path()), std::vector<std::string>{"file"});
}

TEST(OutputLock, MovedLockKeepsOneOwner) {
  TempDir dir;
  ASSERT_OK_AND_ASSIGN(OutputLock first, OutputLock::acquire(dir / "out"));
  OutputLock moved = std::move(first);
  first.release();  // the moved-from lock owns nothing
  EXPECT_TRUE(fs::exists(moved.path()));
  EXPECT_THAT(OutputLock::acquire(dir / "out"), StatusIs(StatusCode::kIOError, "in use"));
}

}  // namespace
}  // namespace semdedup::io
