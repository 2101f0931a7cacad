#pragma once
/// \file Row-major float32 matrices: owning `Matrix` and the non-owning views kernels take.

#include <cstdint>
#include <cstdlib>
#include <memory>
#include <new>
#include <vector>

namespace semdedup {

/// Read-only view of a row-major [rows x cols] float32 matrix; row r starts at data + r * stride.
struct MatrixView {
  const float* data = nullptr;
  int64_t rows = 0;
  int64_t cols = 0;
  int64_t stride = 0;  ///< floats between row starts (>= cols)

  MatrixView() = default;
  MatrixView(const float* d, int64_t r, int64_t c) : data(d), rows(r), cols(c), stride(c) {}
  MatrixView(const float* d, int64_t r, int64_t c, int64_t s) : data(d), rows(r), cols(c), stride(s) {}

  const float* row(int64_t r) const { return data + r * stride; }
  /// Rows [first, first + count).
  MatrixView slice_rows(int64_t first, int64_t count) const {
    return {data + first * stride, count, cols, stride};
  }
};

/// Writable view of a row-major [rows x cols] float32 matrix.
struct MutableMatrixView {
  float* data = nullptr;
  int64_t rows = 0;
  int64_t cols = 0;
  int64_t stride = 0;

  MutableMatrixView() = default;
  MutableMatrixView(float* d, int64_t r, int64_t c) : data(d), rows(r), cols(c), stride(c) {}
  MutableMatrixView(float* d, int64_t r, int64_t c, int64_t s) : data(d), rows(r), cols(c), stride(s) {}

  float* row(int64_t r) const { return data + r * stride; }
  MutableMatrixView slice_rows(int64_t first, int64_t count) const {
    return {data + first * stride, count, cols, stride};
  }
  operator MatrixView() const { return {data, rows, cols, stride}; }  // NOLINT
};

/// std::allocator with 64-byte alignment (one cache line, one AVX-512 vector).
template <typename T>
struct AlignedAllocator {
  using value_type = T;
  static constexpr std::size_t kAlignment = 64;
  AlignedAllocator() = default;
  template <typename U>
  AlignedAllocator(const AlignedAllocator<U>&) noexcept {}  // NOLINT
  T* allocate(std::size_t n) {
    return static_cast<T*>(::operator new(n * sizeof(T), std::align_val_t{kAlignment}));
  }
  void deallocate(T* p, std::size_t) noexcept { ::operator delete(p, std::align_val_t{kAlignment}); }
  template <typename U>
  bool operator==(const AlignedAllocator<U>&) const noexcept { return true; }
};

template <typename T>
using AlignedVector = std::vector<T, AlignedAllocator<T>>;

/// Owning row-major [rows x cols] float32 matrix, 64-byte aligned, contiguous (stride == cols).
class Matrix {
 public:
  Matrix() = default;
  Matrix(int64_t rows, int64_t cols)
      : rows_(rows), cols_(cols), data_(static_cast<std::size_t>(rows * cols), 0.0f) {}

  int64_t rows() const { return rows_; }
  int64_t cols() const { return cols_; }
  bool empty() const { return rows_ == 0; }
  float* data() { return data_.data(); }
  const float* data() const { return data_.data(); }
  float* row(int64_t r) { return data_.data() + r * cols_; }
  const float* row(int64_t r) const { return data_.data() + r * cols_; }

  MatrixView view() const { return {data_.data(), rows_, cols_}; }
  MutableMatrixView mutable_view() { return {data_.data(), rows_, cols_}; }

  /// Changes the row count, keeping the first min(rows, old rows) rows.
  void resize_rows(int64_t rows) {
    rows_ = rows;
    data_.resize(static_cast<std::size_t>(rows * cols_));
  }
  /// Appends the rows of `other` (same column count).
  void append(MatrixView other);

 private:
  int64_t rows_ = 0;
  int64_t cols_ = 0;
  AlignedVector<float> data_;
};

}  // namespace semdedup
