#pragma once
/// \file Atomic output files: every file is written under a hidden temporary name in its final
/// directory, flushed to disk and renamed into place, so a failed or killed run never leaves a
/// complete-looking file (on S3: a temporary key, then copied to the final key and deleted). Also assembles Arrow tables from plain vectors and matrices.

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "semdedup/core/matrix.hpp"
#include "semdedup/core/status.hpp"

namespace arrow {
class Array;
class ChunkedArray;
class RecordBatch;
class Schema;
class Table;
namespace io {
class OutputStream;
}  // namespace io
}  // namespace arrow

namespace semdedup::io {

/// A file that appears at its final path only when commit() succeeds. Until then the bytes go
/// to "<dir>/.<name>.tmp-<pid>-<random>", which the destructor removes unless committed. A
/// local file is created with O_EXCL and fsync'ed before its rename; an s3:// one is an object
/// under the temporary key, moved (copied, then deleted) to the final key by commit().
class AtomicFile {
 public:
  /// Creates the temporary file beside `path`; the directory must exist.
  static Result<AtomicFile> create(const std::string& path);

  AtomicFile(AtomicFile&& other) noexcept;
  AtomicFile& operator=(AtomicFile&& other) noexcept;
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;
  ~AtomicFile();

  /// The final path.
  const std::string& path() const { return path_; }
  /// The temporary path the bytes go to before commit().
  const std::string& temp_path() const { return temp_path_; }
  /// The open descriptor of the local temporary file (still owned by this object); -1 on S3.
  int fd() const { return fd_; }
  /// An Arrow output stream onto the temporary file (locally over a duplicate of fd(), which
  /// stays open for the fsync of commit()). Close it before commit().
  Result<std::shared_ptr<arrow::io::OutputStream>> sink() const;

  /// Appends `bytes` to the temporary file.
  Status write(std::string_view bytes);
  /// Flushes the file to disk (fsync, when `durable`), closes it and renames it to path().
  /// Without `durable` the file is still atomic for a killed process, not for a power loss.
  Status commit(bool durable = true);

 private:
  AtomicFile(std::string path, std::string temp_path, int fd,
             std::shared_ptr<arrow::io::OutputStream> stream = nullptr);
  void discard();

  std::string path_;
  std::string temp_path_;
  int fd_ = -1;
  std::shared_ptr<arrow::io::OutputStream> stream_;  ///< s3: the temporary object's stream
  bool committed_ = false;
};

/// Writes `bytes` to `path` atomically (summary.json and other small files).
Status write_file_atomic(const std::string& path, std::string_view bytes);

/// How write_parquet lays out a file.
struct ParquetWriteOptions {
  /// Rows per row group; 0 = Arrow's default (1Mi rows).
  int64_t row_group_rows = 0;
  /// fsync the file before its rename (see AtomicFile::commit).
  bool durable = true;
};

/// Writes `table` to `path` as one Parquet file (snappy, Arrow schema stored), atomically.
/// The bytes depend only on the table's values and chunk layout.
Status write_parquet(const std::string& path, const std::shared_ptr<arrow::Table>& table,
                     const ParquetWriteOptions& options = {});

/// write_parquet one record batch at a time (row groups of options.row_group_rows rows are
/// filled across batches): the file appears at `path` only on commit(); dropped uncommitted,
/// nothing is left.
class ParquetFileWriter {
 public:
  static Result<ParquetFileWriter> open(const std::string& path,
                                        const std::shared_ptr<arrow::Schema>& schema,
                                        const ParquetWriteOptions& options = {});
  ParquetFileWriter(ParquetFileWriter&&) noexcept;
  ParquetFileWriter& operator=(ParquetFileWriter&&) noexcept;
  ~ParquetFileWriter();

  /// Appends the rows of `batch` (the schema given to open()).
  Status write(const arrow::RecordBatch& batch);
  /// Writes the footer and renames the file into place.
  Status commit();

 private:
  struct Impl;
  explicit ParquetFileWriter(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

/// One column of a table assembled from plain C++ data, for results computed outside Arrow.
/// A MatrixView becomes list<float32> (row r = the list of row r); the vectors are moved in.
struct Column {
  using Values = std::variant<std::vector<int64_t>, std::vector<int32_t>, std::vector<float>,
                              std::vector<double>, std::vector<std::string>, MatrixView>;
  std::string name;
  Values values;
};

/// A table of `columns`, in order; every column must have the same number of rows.
Result<std::shared_ptr<arrow::Table>> make_table(std::vector<Column> columns);

/// The rows `rows[i]` of `matrix` (all rows in order when `rows` is empty) as a list<float32>
/// column. Split into several chunks when one would exceed 32-bit list offsets.
Result<std::shared_ptr<arrow::ChunkedArray>> make_embedding_column(
    MatrixView matrix, std::span<const int64_t> rows = {});

}  // namespace semdedup::io
