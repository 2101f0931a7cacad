#include "semdedup/io/writer.hpp"

#include <arrow/api.h>
#include <arrow/io/file.h>
#include <fcntl.h>
#include <parquet/arrow/writer.h>
#include <parquet/properties.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <climits>
#include <cstring>
#include <filesystem>
#include <random>

#include "io/arrow_status.hpp"
#include "semdedup/io/filesystem.hpp"
#include "semdedup/io/layout.hpp"

namespace semdedup::io {

namespace fs = std::filesystem;

namespace {

Status arrow_error(const arrow::Status& st, std::string_view context) {
  return from_arrow(st, StatusCode::kIOError, context);
}

std::string errno_text() { return std::strerror(errno); }

// The random part keeps concurrent writers of one path (threads of this process, processes in
// other pid namespaces) apart; O_EXCL catches the rest. It never reaches a committed file.
uint64_t temp_suffix() {
  static std::atomic<uint64_t> counter{0};
  thread_local std::mt19937_64 engine{std::random_device{}()};
  return engine() ^ counter.fetch_add(1, std::memory_order_relaxed);
}

}  // namespace

AtomicFile::AtomicFile(std::string path, std::string temp_path, int fd,
                       std::shared_ptr<arrow::io::OutputStream> stream)
    : path_(std::move(path)), temp_path_(std::move(temp_path)), fd_(fd), stream_(std::move(stream)) {}

AtomicFile::AtomicFile(AtomicFile&& other) noexcept
    : path_(std::move(other.path_)),
      temp_path_(std::move(other.temp_path_)),
      fd_(other.fd_),
      stream_(std::move(other.stream_)),
      committed_(other.committed_) {
  other.fd_ = -1;
  other.committed_ = true;
}

AtomicFile& AtomicFile::operator=(AtomicFile&& other) noexcept {
  if (this != &other) {
    discard();
    path_ = std::move(other.path_);
    temp_path_ = std::move(other.temp_path_);
    fd_ = other.fd_;
    stream_ = std::move(other.stream_);
    committed_ = other.committed_;
    other.fd_ = -1;
    other.committed_ = true;
  }
  return *this;
}

AtomicFile::~AtomicFile() { discard(); }

void AtomicFile::discard() {
  if (fd_ >= 0) {
    ::close(fd_);
    fd_ = -1;
  }
  if (stream_) {
    // Aborted, not closed: Arrow's S3 stream would otherwise upload what it holds.
    if (!stream_->closed()) (void)stream_->Abort();
    stream_.reset();
    if (!committed_ && !temp_path_.empty()) (void)remove_file(temp_path_);
  } else if (!committed_ && !temp_path_.empty()) {
    ::unlink(temp_path_.c_str());
  }
  committed_ = true;
}

Result<AtomicFile> AtomicFile::create(const std::string& path) {
  if (is_s3_path(path)) {
    const std::string name = file_name(path);
    const std::string temp =
        join_path(parent_path(path), fmt::format(".{}{}{}-{:016x}", name, kTempFileMarker,
                                                 ::getpid(), temp_suffix()));
    SD_ASSIGN_OR_RETURN(auto stream, open_output_stream(temp));
    return AtomicFile(path, temp, -1, std::move(stream));
  }
  const fs::path final_path(strip_file_scheme(path));
  const std::string name = final_path.filename().string();
  if (name.empty()) return Status::invalid_argument("output path {} names no file", path);
  for (int attempt = 0; attempt < 16; ++attempt) {
    const fs::path temp =
        final_path.parent_path() /
        fmt::format(".{}{}{}-{:016x}", name, kTempFileMarker, ::getpid(), temp_suffix());
    const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd >= 0) return AtomicFile(final_path.string(), temp.string(), fd);
    if (errno != EEXIST) return Status::io_error("cannot create {}: {}", path, errno_text());
  }
  return Status::io_error("cannot create {}: no free temporary name", path);
}

Status AtomicFile::write(std::string_view bytes) {
  if (stream_) {
    if (stream_->closed()) return Status::internal("write to {} after commit", path_);
    return arrow_error(stream_->Write(bytes.data(), static_cast<int64_t>(bytes.size())), path_);
  }
  if (fd_ < 0) return Status::internal("write to {} after commit", path_);
  const char* data = bytes.data();
  size_t left = bytes.size();
  while (left > 0) {
    const ssize_t n = ::write(fd_, data, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Status::io_error("cannot write {}: {}", path_, errno_text());
    }
    data += n;
    left -= static_cast<size_t>(n);
  }
  return Status::OK();
}

Status AtomicFile::commit(bool durable) {
  if (stream_) {
    if (committed_) return Status::internal("{} committed twice", path_);
    if (!stream_->closed()) SD_RETURN_IF_ERROR(arrow_error(stream_->Close(), path_));
    SD_RETURN_IF_ERROR(move_path(temp_path_, path_));
    stream_.reset();
    committed_ = true;
    return Status::OK();
  }
  if (fd_ < 0) return Status::internal("{} committed twice", path_);
  if (durable && ::fsync(fd_) != 0) {
    return Status::io_error("cannot flush {}: {}", path_, errno_text());
  }
  const int rc = ::close(fd_);
  fd_ = -1;
  if (rc != 0) return Status::io_error("cannot close {}: {}", path_, errno_text());
  if (::rename(temp_path_.c_str(), path_.c_str()) != 0) {
    return Status::io_error("cannot rename {} to {}: {}", temp_path_, path_, errno_text());
  }
  committed_ = true;
  return Status::OK();
}

Result<std::shared_ptr<arrow::io::OutputStream>> AtomicFile::sink() const {
  if (stream_) return stream_;
  // Arrow's own output stream over a duplicate of the descriptor; ours stays open for the
  // fsync of commit().
  const int arrow_fd = ::dup(fd_);
  if (arrow_fd < 0) return Status::io_error("cannot write {}: {}", path_, errno_text());
  auto sink = arrow::io::FileOutputStream::Open(arrow_fd);
  if (!sink.ok()) {
    ::close(arrow_fd);
    return arrow_error(sink.status(), path_);
  }
  return std::shared_ptr<arrow::io::OutputStream>(*std::move(sink));
}

Status write_file_atomic(const std::string& path, std::string_view bytes) {
  SD_ASSIGN_OR_RETURN(AtomicFile file, AtomicFile::create(path));
  SD_RETURN_IF_ERROR(file.write(bytes));
  return file.commit();
}

namespace {

// Snappy, rows per row group, dictionary encoding for top-level strings only. Dictionary
// encoding only pays for repeated values: top-level strings (sources, urls, string ids are
// cheap to try). For embeddings it hashes every float of every small file before falling back
// to plain, which made writing many centroid files several times slower.
std::shared_ptr<parquet::WriterProperties> parquet_properties(const arrow::Schema& schema,
                                                              int64_t row_group_rows) {
  parquet::WriterProperties::Builder builder;
  builder.compression(parquet::Compression::SNAPPY)->max_row_group_length(row_group_rows);
  builder.disable_dictionary();
  for (const auto& field : schema.fields()) {
    const arrow::Type::type id = field->type()->id();
    if (id == arrow::Type::STRING || id == arrow::Type::LARGE_STRING ||
        id == arrow::Type::DICTIONARY) {
      builder.enable_dictionary(std::make_shared<parquet::schema::ColumnPath>(
          std::vector<std::string>{field->name()}));
    }
  }
  return builder.build();
}

int64_t row_group_rows(const ParquetWriteOptions& options) {
  return options.row_group_rows > 0 ? options.row_group_rows
                                    : parquet::DEFAULT_MAX_ROW_GROUP_LENGTH;
}

}  // namespace

Status write_parquet(const std::string& path, const std::shared_ptr<arrow::Table>& table,
                     const ParquetWriteOptions& options) {
  if (!table) return Status::internal("write_parquet {}: no table", path);
  if (options.row_group_rows < 0) {
    return Status::invalid_argument("write_parquet {}: row_group_rows must be >= 0", path);
  }
  SD_ASSIGN_OR_RETURN(AtomicFile file, AtomicFile::create(path));
  {
    SD_ASSIGN_OR_RETURN(auto sink, file.sink());
    const int64_t chunk = row_group_rows(options);
    auto arrow_properties = parquet::ArrowWriterProperties::Builder().store_schema()->build();
    const arrow::Status st =
        parquet::arrow::WriteTable(*table, arrow::default_memory_pool(), sink, chunk,
                                   parquet_properties(*table->schema(), chunk), arrow_properties);
    const arrow::Status closed = sink->Close();
    if (!st.ok()) return arrow_error(st, path);
    if (!closed.ok()) return arrow_error(closed, path);
  }
  return file.commit(options.durable);
}

struct ParquetFileWriter::Impl {
  AtomicFile file;
  std::shared_ptr<arrow::io::OutputStream> sink;
  std::unique_ptr<parquet::arrow::FileWriter> writer;
  bool durable = true;
};

ParquetFileWriter::ParquetFileWriter(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
ParquetFileWriter::ParquetFileWriter(ParquetFileWriter&&) noexcept = default;
ParquetFileWriter& ParquetFileWriter::operator=(ParquetFileWriter&&) noexcept = default;
ParquetFileWriter::~ParquetFileWriter() {
  if (impl_ && impl_->sink && !impl_->sink->closed()) (void)impl_->sink->Abort();
}

Result<ParquetFileWriter> ParquetFileWriter::open(const std::string& path,
                                                  const std::shared_ptr<arrow::Schema>& schema,
                                                  const ParquetWriteOptions& options) {
  if (!schema) return Status::internal("write_parquet {}: no schema", path);
  if (options.row_group_rows < 0) {
    return Status::invalid_argument("write_parquet {}: row_group_rows must be >= 0", path);
  }
  SD_ASSIGN_OR_RETURN(AtomicFile file, AtomicFile::create(path));
  auto impl = std::make_unique<Impl>(Impl{std::move(file), nullptr, nullptr, options.durable});
  SD_ASSIGN_OR_RETURN(impl->sink, impl->file.sink());
  auto arrow_properties = parquet::ArrowWriterProperties::Builder().store_schema()->build();
  auto writer = parquet::arrow::FileWriter::Open(
      *schema, arrow::default_memory_pool(), impl->sink,
      parquet_properties(*schema, row_group_rows(options)), arrow_properties);
  if (!writer.ok()) return arrow_error(writer.status(), path);
  impl->writer = *std::move(writer);
  return ParquetFileWriter(std::move(impl));
}

Status ParquetFileWriter::write(const arrow::RecordBatch& batch) {
  const arrow::Status st = impl_->writer->WriteRecordBatch(batch);
  return st.ok() ? Status::OK() : arrow_error(st, impl_->file.path());
}

Status ParquetFileWriter::commit() {
  const arrow::Status st = impl_->writer->Close();
  const arrow::Status closed = impl_->sink->Close();
  if (!st.ok()) return arrow_error(st, impl_->file.path());
  if (!closed.ok()) return arrow_error(closed, impl_->file.path());
  return impl_->file.commit(impl_->durable);
}

namespace {

template <typename ArrowType, typename T>
std::shared_ptr<arrow::Array> numeric_array(std::vector<T>&& values) {
  const auto length = static_cast<int64_t>(values.size());
  return std::make_shared<arrow::NumericArray<ArrowType>>(
      length, arrow::Buffer::FromVector(std::move(values)));
}

Result<std::shared_ptr<arrow::Array>> string_array(const std::vector<std::string>& values,
                                                   const std::string& name) {
  arrow::StringBuilder builder;
  int64_t bytes = 0;
  for (const auto& v : values) bytes += static_cast<int64_t>(v.size());
  if (bytes > INT32_MAX) {
    arrow::LargeStringBuilder large;
    arrow::Status st = large.AppendValues(values);
    std::shared_ptr<arrow::Array> out;
    if (st.ok()) st = large.Finish(&out);
    if (!st.ok()) return arrow_error(st, "column " + name);
    return out;
  }
  arrow::Status st = builder.Reserve(static_cast<int64_t>(values.size()));
  if (st.ok()) st = builder.ReserveData(bytes);
  if (st.ok()) st = builder.AppendValues(values);
  std::shared_ptr<arrow::Array> out;
  if (st.ok()) st = builder.Finish(&out);
  if (!st.ok()) return arrow_error(st, "column " + name);
  return out;
}

}  // namespace

Result<std::shared_ptr<arrow::ChunkedArray>> make_embedding_column(MatrixView matrix,
                                                                    std::span<const int64_t> rows) {
  const bool all_rows = rows.empty();
  const int64_t n = all_rows ? matrix.rows : static_cast<int64_t>(rows.size());
  const int64_t dim = matrix.cols;
  // 32-bit list offsets: each chunk holds at most INT32_MAX values.
  const int64_t rows_per_chunk = dim > 0 ? std::max<int64_t>(1, INT32_MAX / dim) : INT32_MAX;
  const int64_t n_chunks = std::max<int64_t>(1, (n + rows_per_chunk - 1) / rows_per_chunk);
  arrow::ArrayVector chunks;
  for (int64_t chunk = 0; chunk < n_chunks; ++chunk) {
    const int64_t first = chunk * rows_per_chunk;
    const int64_t count = std::min(rows_per_chunk, n - first);
    auto values = arrow::AllocateBuffer(count * dim * static_cast<int64_t>(sizeof(float)));
    auto offsets = arrow::AllocateBuffer((count + 1) * static_cast<int64_t>(sizeof(int32_t)));
    if (!values.ok()) return arrow_error(values.status(), "embedding column");
    if (!offsets.ok()) return arrow_error(offsets.status(), "embedding column");
    auto* out = reinterpret_cast<float*>((*values)->mutable_data());
    auto* off = reinterpret_cast<int32_t*>((*offsets)->mutable_data());
    for (int64_t i = 0; i < count; ++i) {
      const int64_t row = all_rows ? first + i : rows[static_cast<size_t>(first + i)];
      if (row < 0 || row >= matrix.rows) {
        return Status::internal("embedding row {} outside [0, {})", row, matrix.rows);
      }
      std::memcpy(out + i * dim, matrix.row(row), static_cast<size_t>(dim) * sizeof(float));
      off[i] = static_cast<int32_t>(i * dim);
    }
    off[count] = static_cast<int32_t>(count * dim);
    auto value_array = std::make_shared<arrow::FloatArray>(
        count * dim, std::shared_ptr<arrow::Buffer>(std::move(*values)));
    chunks.push_back(std::make_shared<arrow::ListArray>(
        arrow::list(arrow::float32()), count,
        std::shared_ptr<arrow::Buffer>(std::move(*offsets)), value_array));
  }
  return std::make_shared<arrow::ChunkedArray>(std::move(chunks), arrow::list(arrow::float32()));
}

Result<std::shared_ptr<arrow::Table>> make_table(std::vector<Column> columns) {
  arrow::FieldVector fields;
  std::vector<std::shared_ptr<arrow::ChunkedArray>> arrays;
  int64_t rows = -1;
  for (Column& column : columns) {
    std::shared_ptr<arrow::ChunkedArray> chunked;
    if (auto* m = std::get_if<MatrixView>(&column.values)) {
      SD_ASSIGN_OR_RETURN(chunked, make_embedding_column(*m));
    } else {
      std::shared_ptr<arrow::Array> array;
      if (auto* v = std::get_if<std::vector<int64_t>>(&column.values)) {
        array = numeric_array<arrow::Int64Type>(std::move(*v));
      } else if (auto* v32 = std::get_if<std::vector<int32_t>>(&column.values)) {
        array = numeric_array<arrow::Int32Type>(std::move(*v32));
      } else if (auto* f = std::get_if<std::vector<float>>(&column.values)) {
        array = numeric_array<arrow::FloatType>(std::move(*f));
      } else if (auto* d = std::get_if<std::vector<double>>(&column.values)) {
        array = numeric_array<arrow::DoubleType>(std::move(*d));
      } else {
        SD_ASSIGN_OR_RETURN(array, string_array(std::get<std::vector<std::string>>(column.values),
                                                column.name));
      }
      chunked = std::make_shared<arrow::ChunkedArray>(array);
    }
    if (rows >= 0 && chunked->length() != rows) {
      return Status::internal("column {} has {} rows, expected {}", column.name,
                              chunked->length(), rows);
    }
    rows = chunked->length();
    fields.push_back(arrow::field(column.name, chunked->type()));
    arrays.push_back(std::move(chunked));
  }
  return arrow::Table::Make(arrow::schema(std::move(fields)), std::move(arrays),
                            std::max<int64_t>(rows, 0));
}

}  // namespace semdedup::io
