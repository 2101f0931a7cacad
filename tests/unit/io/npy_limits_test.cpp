// .npy headers that lie about their size (found by fuzz/npy_fuzz).
#include <filesystem>
#include <fstream>

#include "semdedup/io/npy.hpp"
#include "testing/testing.hpp"

namespace semdedup::io {
namespace {

using ::semdedup::testing::StatusIs;
using ::semdedup::testing::TempDir;

// Format 2.0 stores the header length in 4 bytes: a length near 4 GiB in a 250-byte file is a
// truncated header, found before the header is allocated.
TEST(NpyLimits, HeaderLongerThanTheFileIsTruncatedNotAllocated) {
  TempDir dir;
  const std::string path = dir / "lie.npy";
  const std::string seed = testing::read_bytes(std::string(SEMDEDUP_SOURCE_DIR) +
                                               "/fuzz/corpus/npy/oom_header_length_4gib.npy");
  ASSERT_EQ(seed.substr(0, 8), std::string("\x93NUMPY\x02\x00", 8));
  std::ofstream(path, std::ios::binary) << seed;
  EXPECT_THAT(read_npy(path), StatusIs(StatusCode::kDataError, "truncated .npy header"));

  // The same for version 1.0 (2-byte length) one byte past the end.
  std::string v1("\x93NUMPY\x01\x00", 8);
  const std::string header = "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 1), }\n";
  const uint16_t claimed = static_cast<uint16_t>(header.size() + 1);
  v1 += static_cast<char>(claimed & 0xff);
  v1 += static_cast<char>(claimed >> 8);
  std::ofstream(path, std::ios::binary | std::ios::trunc) << v1 << header;
  EXPECT_THAT(read_npy(path), StatusIs(StatusCode::kDataError, "truncated .npy header"));
}

}  // namespace
}  // namespace semdedup::io
