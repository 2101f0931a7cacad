#pragma once
/// \file NumPy .npy files for 2-D float matrices (the k-means centroids file, --init FILE.npy).

#include <string>

#include "semdedup/core/matrix.hpp"
#include "semdedup/core/status.hpp"

namespace semdedup::io {

/// Writes `matrix` ([rows x cols], any stride) to `path` as a C-order '<f4' array of shape
/// (rows, cols), NumPy format 1.0, atomically. The header is laid out exactly as numpy.save
/// lays it out (padded so the data starts at a multiple of 64 bytes), so the bytes equal those
/// of `numpy.save(path, array)` for the same float32 array.
Status write_npy(const std::string& path, MatrixView matrix);

/// Reads a 2-D C-order '<f4' or '<f8' array (format 1.0, 2.0 or 3.0) into a float32 matrix;
/// '<f8' values are rounded to float32. Anything else (other dtypes, big-endian, Fortran
/// order, not 2-D, bad magic, truncated or trailing data) is a one-line error naming `path`.
Result<Matrix> read_npy(const std::string& path);

}  // namespace semdedup::io
