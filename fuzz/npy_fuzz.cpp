// libFuzzer target: arbitrary bytes as a .npy file (--init FILE.npy, the centroids file).
#include <cstdlib>

#include "fuzz_input.hpp"
#include "semdedup/io/npy.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string& path = semdedup::fuzz::write_input("input.npy", data, size);
  auto matrix = semdedup::io::read_npy(path);
  if (matrix.ok()) {
    // What was read must be fully there: touch every value.
    volatile float sum = 0;
    for (int64_t row = 0; row < matrix->rows(); ++row) {
      for (int64_t col = 0; col < matrix->cols(); ++col) sum = sum + matrix->view().row(row)[col];
    }
  }
  return 0;
}
