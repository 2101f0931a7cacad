#include "semdedup/core/matrix.hpp"

#include <cstring>

#include "semdedup/core/status.hpp"

namespace semdedup {

void Matrix::append(MatrixView other) {
  if (other.rows == 0) return;
  if (rows_ == 0 && cols_ == 0) cols_ = other.cols;
  SD_DCHECK(other.cols == cols_);
  const int64_t old_rows = rows_;
  resize_rows(rows_ + other.rows);
  for (int64_t r = 0; r < other.rows; ++r) {
    std::memcpy(row(old_rows + r), other.row(r), sizeof(float) * static_cast<std::size_t>(cols_));
  }
}

}  // namespace semdedup
