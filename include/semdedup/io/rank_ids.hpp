#pragma once
/// \file Id uniqueness under mpirun, where no single reader sees every row: each id is sent to
/// the rank that owns its hash, which finds repeats within a rank and across ranks alike (the
/// KMeans stage then turns the readers' own check off).

#include <cstdint>
#include <string>
#include <vector>

#include "semdedup/core/status.hpp"

namespace semdedup {
class Communicator;
}  // namespace semdedup

namespace semdedup::io {

struct Batch;

/// The ids of the rows one rank keeps, bucketed by the rank that will check them.
class RankIds {
 public:
  /// For a job of `ranks` ranks (>= 1).
  explicit RankIds(int ranks);

  /// Records the id (column 0 of batch.columns) of each valid row of `batch`, at its global
  /// row (batch.input_rows). Null ids are not ids; a batch without columns adds nothing.
  void add(const Batch& batch);

  /// Collective: every rank calls it once, after its last add(). OK when no id is held by two
  /// rows; otherwise, on every rank, the same data_error for the repeat whose second row comes
  /// first in global row order (the one a single process meets first), worded as the reader's:
  /// "file F: column 'id' row R: duplicate id X (first at G row S); ids must be unique".
  /// `files` and `file_rows` (rows per file, every file) turn global rows into file rows.
  Status check(Communicator& comm, const std::vector<std::string>& files,
               const std::vector<int64_t>& file_rows, const std::string& id_field) const;

 private:
  std::vector<std::vector<uint8_t>> buckets_;  // [rank]: (u32 length, text, i64 row)...
};

}  // namespace semdedup::io
