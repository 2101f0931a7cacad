#include "semdedup/io/npy.hpp"

#include <filesystem>
#include <fstream>

#include "testing/testing.hpp"

namespace semdedup::io {
namespace {

namespace fs = std::filesystem;
using semdedup::testing::list_files;
using semdedup::testing::read_bytes;
using semdedup::testing::run_python;
using semdedup::testing::StatusIs;
using semdedup::testing::TempDir;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using namespace std::string_literals;

// Row-major i / 7 for i = 0 .. rows * cols - 1, as numpy computes
// np.arange(rows * cols, dtype=np.float32).reshape(rows, cols) / 7 (float32 division).
Matrix sevenths(int64_t rows, int64_t cols) {
  Matrix m(rows, cols);
  for (int64_t i = 0; i < rows * cols; ++i) m.data()[i] = static_cast<float>(i) / 7.0f;
  return m;
}

void write_raw(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary);
  out << bytes;
}

// Runs numpy to save an array; `expr` is a Python expression using np.
void numpy_save(const std::string& path, const std::string& expr) {
  const auto r = run_python("import sys, numpy as np\nnp.save(sys.argv[1], " + expr + ")\n", {path});
  ASSERT_EQ(r.exit_code, 0) << r.err;
}

TEST(Npy, RoundTripsAStridedView) {
  TempDir dir;
  const Matrix wide = sevenths(3, 5);
  const MatrixView left(wide.data(), 3, 2, 5);  // first two columns of each row
  ASSERT_OK(write_npy(dir / "m.npy", left));
  EXPECT_THAT(list_files(dir.path()), ElementsAre("m.npy"));
  ASSERT_OK_AND_ASSIGN(Matrix back, read_npy(dir / "m.npy"));
  ASSERT_EQ(back.rows(), 3);
  ASSERT_EQ(back.cols(), 2);
  for (int64_t r = 0; r < 3; ++r) {
    for (int64_t c = 0; c < 2; ++c) EXPECT_EQ(back.row(r)[c], wide.row(r)[c]);
  }
}

TEST(Npy, BytesEqualNumpySave) {
  TempDir dir;
  for (const auto& [rows, cols] : {std::pair<int64_t, int64_t>{3, 4}, {0, 4}, {1, 1}, {17, 33}}) {
    const std::string ours = dir / "ours.npy", theirs = dir / "theirs.npy";
    ASSERT_OK(write_npy(ours, sevenths(rows, cols).view()));
    numpy_save(theirs, fmt::format("np.arange({} * {}, dtype=np.float32).reshape({}, {}) / 7",
                                   rows, cols, rows, cols));
    const std::string bytes = read_bytes(ours);
    EXPECT_EQ(bytes, read_bytes(theirs)) << rows << "x" << cols;
    // The data starts on a 64-byte boundary.
    const size_t header = 10 + static_cast<unsigned char>(bytes[8]) +
                          256 * static_cast<unsigned char>(bytes[9]);
    EXPECT_EQ(header % 64, 0u);
    EXPECT_EQ(bytes.size(), header + static_cast<size_t>(rows * cols) * 4);
  }
}

TEST(Npy, NumpyLoadsWhatWeWrite) {
  TempDir dir;
  ASSERT_OK(write_npy(dir / "m.npy", sevenths(5, 3).view()));
  const auto r = run_python(
      "import sys, numpy as np\n"
      "a = np.load(sys.argv[1])\n"
      "e = np.arange(15, dtype=np.float32).reshape(5, 3) / 7\n"
      "print(a.dtype, a.shape, a.flags['C_CONTIGUOUS'], np.array_equal(a, e))\n",
      {dir / "m.npy"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "float32 (5, 3) True True\n");
}

TEST(Npy, ReadsNumpyFloat32AndFloat64) {
  TempDir dir;
  numpy_save(dir / "f4.npy", "np.arange(12, dtype=np.float32).reshape(4, 3) / 7");
  ASSERT_OK_AND_ASSIGN(Matrix f4, read_npy(dir / "f4.npy"));
  ASSERT_EQ(f4.rows(), 4);
  ASSERT_EQ(f4.cols(), 3);
  for (int64_t i = 0; i < 12; ++i) EXPECT_EQ(f4.data()[i], static_cast<float>(i) / 7.0f);

  // float64 values are rounded to the nearest float32.
  numpy_save(dir / "f8.npy", "np.arange(6, dtype=np.float64).reshape(2, 3) / 7");
  ASSERT_OK_AND_ASSIGN(Matrix f8, read_npy(dir / "f8.npy"));
  ASSERT_EQ(f8.rows(), 2);
  ASSERT_EQ(f8.cols(), 3);
  for (int64_t i = 0; i < 6; ++i) {
    EXPECT_EQ(f8.data()[i], static_cast<float>(static_cast<double>(i) / 7.0));
  }
}

TEST(Npy, ReadsFormatVersion2) {
  TempDir dir;
  const auto r = run_python(
      "import sys, numpy as np\n"
      "with open(sys.argv[1], 'wb') as f:\n"
      "    np.lib.format.write_array(f, np.ones((2, 2), np.float32), version=(2, 0))\n",
      {dir / "v2.npy"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ASSERT_OK_AND_ASSIGN(Matrix m, read_npy(dir / "v2.npy"));
  EXPECT_EQ(m.rows(), 2);
  EXPECT_EQ(m.cols(), 2);
  for (int64_t i = 0; i < 4; ++i) EXPECT_EQ(m.data()[i], 1.0f);
}

TEST(Npy, ReadsAnEmptyMatrix) {
  TempDir dir;
  ASSERT_OK(write_npy(dir / "e.npy", Matrix(0, 8).view()));
  ASSERT_OK_AND_ASSIGN(Matrix m, read_npy(dir / "e.npy"));
  EXPECT_EQ(m.rows(), 0);
  EXPECT_EQ(m.cols(), 8);
}

struct BadNpy {
  const char* name;
  const char* numpy_expr;  // array to np.save, or nullptr when `raw` gives the bytes
  std::string raw;
  const char* message;
};

class NpyRejects : public ::testing::TestWithParam<BadNpy> {};

TEST_P(NpyRejects, WithOneLineNamingTheFile) {
  const BadNpy& bad = GetParam();
  TempDir dir;
  const std::string path = dir / (std::string(bad.name) + ".npy");
  if (bad.numpy_expr) {
    numpy_save(path, bad.numpy_expr);
  } else {
    write_raw(path, bad.raw);
  }
  const auto result = read_npy(path);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), StatusCode::kDataError);
  EXPECT_THAT(result.status().message(), ::testing::HasSubstr(path));
  EXPECT_THAT(result.status().message(), ::testing::HasSubstr(bad.message));
  EXPECT_EQ(result.status().message().find('\n'), std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(
    Npy, NpyRejects,
    ::testing::Values(
        BadNpy{"int32", "np.zeros((2, 2), np.int32)", "", "dtype '<i4' is not supported"},
        BadNpy{"float16", "np.zeros((2, 2), np.float16)", "", "dtype '<f2'"},
        BadNpy{"bigendian", "np.zeros((2, 2), '>f4')", "", "dtype '>f4'"},
        BadNpy{"fortran", "np.asfortranarray(np.zeros((2, 3), np.float32))", "",
               "Fortran-order"},
        BadNpy{"onedim", "np.zeros(4, np.float32)", "", "1 dimensions, need 2"},
        BadNpy{"threedim", "np.zeros((2, 2, 2), np.float32)", "", "3 dimensions, need 2"},
        BadNpy{"magic", nullptr, "PK\x03\x04 this is a zip file"s, "bad magic"},
        BadNpy{"empty", nullptr, ""s, "bad magic"},
        BadNpy{"version", nullptr, "\x93NUMPY\x04\x00\x10\x00"s, "format version 4.0"},
        BadNpy{"header", nullptr, "\x93NUMPY\x01\x00\x40\x00{'descr': '<f4'}"s,
               "truncated .npy header"},
        BadNpy{"garbled", nullptr, "\x93NUMPY\x01\x00\x0e\x00{'descr': <f4}"s,
               "malformed .npy header"},
        BadNpy{"missingkey", nullptr,
               "\x93NUMPY\x01\x00\x21\x00{'descr': '<f4', 'shape': (1, 1)}"s,
               "malformed .npy header"}),
    [](const auto& info) { return std::string(info.param.name); });

TEST(Npy, RejectsTruncatedAndTrailingData) {
  TempDir dir;
  const std::string path = dir / "m.npy";
  ASSERT_OK(write_npy(path, sevenths(4, 4).view()));
  const std::string bytes = read_bytes(path);

  write_raw(path, bytes.substr(0, bytes.size() - 3));
  EXPECT_THAT(read_npy(path),
              StatusIs(StatusCode::kDataError, "truncated .npy data: shape (4, 4) needs 64 bytes, found 61"));

  write_raw(path, bytes + "xx");
  EXPECT_THAT(read_npy(path), StatusIs(StatusCode::kDataError, "2 bytes after the (4, 4) array"));
}

TEST(Npy, MissingFileIsAnIoError) {
  TempDir dir;
  EXPECT_THAT(read_npy(dir / "none.npy"), StatusIs(StatusCode::kIOError, dir / "none.npy"));
}

TEST(Npy, WriteIntoMissingDirectoryLeavesNothing) {
  TempDir dir;
  EXPECT_THAT(write_npy(dir / "sub/m.npy", sevenths(2, 2).view()),
              StatusIs(StatusCode::kIOError, "m.npy"));
  EXPECT_THAT(list_files(dir.path()), IsEmpty());
}

}  // namespace
}  // namespace semdedup::io
