#pragma once
// The one conversion of an Arrow list column of embeddings into rows of a float32 matrix, each
// bad row named: the file reader, the in-memory stream source and the pairwise cluster reader
// all go through it. Values may be float32, float64, any integer, or fp16 (uint16 bit patterns
// or halffloat), in a list, large_list or fixed_size_list column.

#include <arrow/type_fwd.h>

#include <cstdint>
#include <string>
#include <vector>

namespace semdedup::io {

/// Why an input row is refused.
enum class RowFault {
  kNullEmbedding,  ///< the list itself is null (or the column has the null type)
  kEmptyList,      ///< a list with no values
  kWidth,          ///< a list whose length is not the expected width
  kNullValue,      ///< a null value inside the list
  kNonFinite,      ///< NaN or infinity, or a float64 beyond float32's range
  kZeroNorm,       ///< all zeros, when normalising
};

/// One bad input row.
struct Reject {
  int64_t row = 0;  ///< the row's number as given to EmbeddingExtractor::add
  RowFault fault = RowFault::kNullEmbedding;
  /// The file reader's wording: "null embedding", "empty embedding list", "list has 3 values
  /// but the first row has 2", "null value at index 1", "non-finite value nan at index 1",
  /// "value 1e+300 is out of float32 range at index 1", "zero norm".
  std::string reason;
  int64_t width = 0;   ///< kWidth: the row's number of values
  int64_t index = -1;  ///< kNullValue, kNonFinite: 0-based position of the first bad value
  float value = 0.0f;  ///< kNonFinite: that value in float32 (inf for a float64 out of range)
};

/// Copies list rows into a caller's buffer, converting to float32 (fp16 decoded exactly, other
/// numbers cast), then checks each row and, when asked, L2-normalises it in place as
/// io/row_norm does (float32 sum of squares in index order). Bad rows are listed, not kept: the
/// kept rows are packed at the front of the buffer in input order. The column's type must have
/// been checked to be one of those above (or the null type, every row then null).
class EmbeddingExtractor {
 public:
  /// \param out        [capacity x dim] row-major float32
  /// \param capacity   most rows that will be added
  /// \param dim        the width every row must have
  /// \param normalise  L2-normalise kept rows (zero rows are then refused); else only check
  ///                   that every value is finite
  EmbeddingExtractor(float* out, int64_t capacity, int64_t dim, bool normalise);

  /// Appends the rows of `column`, numbering them from `row0` (in rejects and source_rows).
  void add(const arrow::Array& column, int64_t row0);
  /// Checks the rows still pending and sorts the rejects by row; call after the last add.
  void finish();

  /// Rows kept (packed at the front of the buffer).
  int64_t kept() const { return finished_; }
  /// Number (as given to add) of each kept row.
  const std::vector<int64_t>& source_rows() const { return source_rows_; }
  /// Refused rows, by row after finish().
  const std::vector<Reject>& rejects() const { return rejects_; }

 private:
  template <typename ListArrayT, typename T>
  void add_rows(const ListArrayT& lists, int64_t row0);
  template <typename ListArrayT>
  void add_typed(const ListArrayT& lists, int64_t row0);
  /// Checks, normalises and packs the rows copied since the last call.
  void check_pending();
  void reject(int64_t row, RowFault fault, std::string reason, int64_t width = 0,
              int64_t index = -1);

  float* out_;
  int64_t dim_;
  bool normalise_;
  int64_t finished_ = 0;              ///< rows [0, finished_) are checked, normalised and kept
  int64_t written_ = 0;               ///< rows [finished_, written_) are copied, not yet checked
  std::vector<int64_t> source_rows_;  ///< number of each buffer row in [0, written_)
  /// Float64 input values of each buffer row in [0, written_) (null for other types): a value
  /// beyond float32's range is reported as such rather than as the infinity it became.
  std::vector<const double*> double_sources_;
  std::vector<Reject> rejects_;
};

/// Width of the first non-null, non-empty row of `column` (a list column), or 0.
int64_t first_width(const arrow::Array& column);

}  // namespace semdedup::io
