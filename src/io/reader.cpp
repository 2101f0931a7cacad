#include "semdedup/io/reader.hpp"

#include <arrow/api.h>
#include <arrow/compute/api_vector.h>
#include <parquet/arrow/reader.h>
#include <parquet/file_reader.h>
#include <parquet/metadata.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <functional>
#include <set>
#include <utility>

#include <fmt/format.h>

#include "io/arrow_status.hpp"
#include "io/column_resolution.hpp"
#include "io/embedding_extract.hpp"
#include "semdedup/io/filesystem.hpp"
#include "io/jsonl_lines.hpp"
#include "io/parquet_open.hpp"
#include "io/prefetcher.hpp"
#include "io/record_source.hpp"
#include "io/unique_ids.hpp"

namespace semdedup::io {

namespace {

Result<std::shared_ptr<arrow::RecordBatch>> concatenate(
    const std::vector<std::shared_ptr<arrow::RecordBatch>>& parts, const std::string& path) {
  if (parts.size() == 1) return parts.front();
  return from_arrow(arrow::ConcatenateRecordBatches(parts), StatusCode::kInternal,
                    fmt::format("file {}: joining record batches", path));
}

/// The given rows of `values` (a record batch or an array), in the given order.
Result<arrow::Datum> take_rows(const arrow::Datum& values, const std::vector<int64_t>& rows,
                               const std::string& path) {
  arrow::Int64Builder builder;
  const std::string context = fmt::format("file {}: selecting rows", path);
  SD_RETURN_IF_ERROR(from_arrow(builder.AppendValues(rows), StatusCode::kInternal, context));
  SD_ASSIGN_OR_RETURN(auto indices, from_arrow(builder.Finish(), StatusCode::kInternal, context));
  return from_arrow(arrow::compute::Take(values, arrow::Datum(indices)), StatusCode::kInternal,
                    context);
}

Result<std::shared_ptr<arrow::RecordBatch>> build_rejected(
    const std::vector<Reject>& rejects, const std::shared_ptr<arrow::RecordBatch>& passthrough,
    const std::string& path, int64_t file_row0) {
  const std::string context = fmt::format("file {}: listing rejected rows", path);
  std::vector<std::shared_ptr<arrow::Field>> fields;
  std::vector<std::shared_ptr<arrow::Array>> arrays;
  std::vector<int64_t> batch_rows;
  batch_rows.reserve(rejects.size());
  for (const Reject& reject : rejects) batch_rows.push_back(reject.row);
  if (passthrough) {
    SD_ASSIGN_OR_RETURN(arrow::Datum ids, take_rows(passthrough->column(0), batch_rows, path));
    fields.push_back(passthrough->schema()->field(0));
    arrays.push_back(ids.make_array());
  }
  arrow::StringBuilder files;
  arrow::Int64Builder rows;
  arrow::StringBuilder reasons;
  for (const Reject& reject : rejects) {
    SD_RETURN_IF_ERROR(from_arrow(files.Append(path), StatusCode::kInternal, context));
    SD_RETURN_IF_ERROR(
        from_arrow(rows.Append(file_row0 + reject.row), StatusCode::kInternal, context));
    SD_RETURN_IF_ERROR(from_arrow(reasons.Append(reject.reason), StatusCode::kInternal, context));
  }
  std::shared_ptr<arrow::Array> array;
  SD_RETURN_IF_ERROR(from_arrow(files.Finish(&array), StatusCode::kInternal, context));
  fields.push_back(arrow::field("file", arrow::utf8(), false));
  arrays.push_back(array);
  SD_RETURN_IF_ERROR(from_arrow(rows.Finish(&array), StatusCode::kInternal, context));
  fields.push_back(arrow::field("row", arrow::int64(), false));
  arrays.push_back(array);
  SD_RETURN_IF_ERROR(from_arrow(reasons.Finish(&array), StatusCode::kInternal, context));
  fields.push_back(arrow::field("reason", arrow::utf8(), false));
  arrays.push_back(array);
  return arrow::RecordBatch::Make(arrow::schema(std::move(fields)),
                                  static_cast<int64_t>(rejects.size()), std::move(arrays));
}

}  // namespace

// ---------------------------------------------------------------------------------------------

Status ReadOptions::validate() const {
  if (batch_rows < 1) return Status::invalid_argument("batch_rows must be >= 1, got {}", batch_rows);
  if (max_dim < 1) return Status::invalid_argument("max_dim must be >= 1, got {}", max_dim);
  if (json_block_bytes < 1) {
    return Status::invalid_argument("json_block_bytes must be >= 1, got {}", json_block_bytes);
  }
  if (columns.embedding_field.empty()) {
    return Status::invalid_argument("the embedding field name is empty");
  }
  std::set<std::string> names{columns.embedding_field};
  for (const std::string& name : passthrough_names(*this)) {
    if (name.empty()) return Status::invalid_argument("a column name is empty");
    if (!names.insert(name).second) {
      return Status::invalid_argument("column '{}' is asked for twice", name);
    }
  }
  return Status::OK();
}

struct DatasetReader::Impl {
  std::vector<std::string> files;
  ReadOptions options;
  int64_t dim = 0;
  std::shared_ptr<arrow::Schema> columns_schema;
  std::string columns_schema_file;

  int64_t next_file = 0;
  int64_t file_index = -1;
  /// Opens input i: for files, takes it from the prefetcher (made at the first call).
  std::function<Result<std::unique_ptr<RecordSource>>(int64_t)> open_input;
  std::unique_ptr<Prefetcher> prefetcher;
  std::unique_ptr<RecordSource> source;
  bool source_done = false;
  std::shared_ptr<arrow::RecordBatch> pending;  ///< rows of the current file not yet served
  int64_t file_row = 0;
  int64_t global_row = 0;
  int64_t rejected = 0;
  Status failure;  ///< sticky: once next() failed, it keeps failing
  UniqueIds ids;
  std::vector<int64_t> file_first_row;  ///< global row of each opened file's first row

  /// "<file> row <r>" of global input row `row` (of a file already opened).
  std::string locate(int64_t row) const;
  Status check_unique_ids(const Batch& batch);

  const std::string& path() const { return files[file_index]; }

  Status open_next_file();
  Status check_passthrough_schema();
  Result<std::vector<std::shared_ptr<arrow::RecordBatch>>> gather(int64_t& rows);
  Result<Batch> build(const std::vector<std::shared_ptr<arrow::RecordBatch>>& parts,
                      int64_t rows);
  Result<std::optional<Batch>> next();
};

Status DatasetReader::Impl::open_next_file() {
  file_index = next_file++;
  file_row = 0;
  file_first_row.push_back(global_row);
  source_done = false;
  pending.reset();
  SD_ASSIGN_OR_RETURN(source, open_input(file_index));
  if (!source->schema()) return Status::OK();
  const auto& embedding_type = source->schema()->field(source->columns().embedding)->type();
  if (embedding_type->id() == arrow::Type::FIXED_SIZE_LIST && dim == 0) {
    dim = static_cast<const arrow::FixedSizeListType&>(*embedding_type).list_size();
  }
  return check_passthrough_schema();
}

/// Every file must give the id and metadata columns the types the first file gave them, so
/// batches of different files can be written side by side.
Status DatasetReader::Impl::check_passthrough_schema() {
  if (options.embeddings_only) return Status::OK();
  std::vector<std::shared_ptr<arrow::Field>> fields;
  for (const int index : source->columns().passthrough) {
    fields.push_back(source->schema()->field(index));
  }
  if (!columns_schema) {
    columns_schema = arrow::schema(std::move(fields));
    columns_schema_file = path();
    return Status::OK();
  }
  for (std::size_t i = 0; i < fields.size(); ++i) {
    const auto& expected = columns_schema->field(static_cast<int>(i))->type();
    if (!fields[i]->type()->Equals(*expected)) {
      return Status::data_error("file {}: column '{}' has type {} but file {} has {}", path(),
                                fields[i]->name(), fields[i]->type()->ToString(),
                                columns_schema_file, expected->ToString());
    }
  }
  return Status::OK();
}

Result<std::vector<std::shared_ptr<arrow::RecordBatch>>> DatasetReader::Impl::gather(
    int64_t& rows) {
  std::vector<std::shared_ptr<arrow::RecordBatch>> parts;
  rows = 0;
  while (rows < options.batch_rows && !source_done) {
    if (!pending) {
      SD_ASSIGN_OR_RETURN(pending, source->next());
      if (!pending) {
        source_done = true;
        break;
      }
      if (pending->num_rows() == 0) {
        pending.reset();
        continue;
      }
    }
    const int64_t take = std::min(pending->num_rows(), options.batch_rows - rows);
    if (take == pending->num_rows()) {
      parts.push_back(std::move(pending));
      pending.reset();
    } else {
      parts.push_back(pending->Slice(0, take));
      pending = pending->Slice(take);
    }
    rows += take;
  }
  return parts;
}

Result<Batch> DatasetReader::Impl::build(
    const std::vector<std::shared_ptr<arrow::RecordBatch>>& parts, int64_t rows) {
  const ColumnIndices& columns = source->columns();
  if (dim == 0) {
    for (const auto& part : parts) {
      dim = first_width(*part->column(columns.embedding));
      if (dim > 0) break;
    }
  }
  if (dim > options.max_dim) {
    return Status::data_error("file {}: column '{}': embeddings have {} values; at most {} are "
                              "supported",
                              path(), options.columns.embedding_field, dim, options.max_dim);
  }

  if (!options.embeddings_only) {
    // Removal and ranking work by id: a row without one could be neither removed nor kept
    // reliably, whatever --invalid-rows says.
    int64_t part_row0 = file_row;
    for (const auto& part : parts) {
      const arrow::Array& ids = *part->column(columns.passthrough.front());
      for (int64_t i = 0; ids.null_count() > 0 && i < ids.length(); ++i) {
        if (ids.IsNull(i)) {
          return Status::data_error("file {}: column '{}' row {}: null id", path(),
                                    options.columns.id_field, part_row0 + i);
        }
      }
      part_row0 += part->num_rows();
    }
  }

  Batch batch;
  batch.file_index = file_index;
  batch.file_row = file_row;
  batch.global_row = global_row;
  batch.input_row_count = rows;
  batch.embeddings = Matrix(rows, dim);
  EmbeddingExtractor extracted(batch.embeddings.data(), rows, dim, options.normalise);
  int64_t batch_row0 = 0;
  for (const auto& part : parts) {
    extracted.add(*part->column(columns.embedding), batch_row0);
    batch_row0 += part->num_rows();
  }
  extracted.finish();
  const int64_t kept = extracted.kept();
  const std::vector<Reject>& rejects = extracted.rejects();
  if (!rejects.empty() && options.invalid_rows == InvalidRows::kError) {
    return Status::data_error("file {}: column '{}' row {}: {}", path(),
                              options.columns.embedding_field, file_row + rejects.front().row,
                              rejects.front().reason);
  }
  batch.embeddings.resize_rows(kept);
  batch.input_rows.resize(static_cast<std::size_t>(kept));
  for (int64_t row = 0; row < kept; ++row) {
    batch.input_rows[row] = global_row + extracted.source_rows()[row];
  }

  std::shared_ptr<arrow::RecordBatch> passthrough;
  if (!options.embeddings_only) {
    std::vector<std::shared_ptr<arrow::RecordBatch>> selected;
    selected.reserve(parts.size());
    for (const auto& part : parts) {
      SD_ASSIGN_OR_RETURN(auto projected,
                          from_arrow(part->SelectColumns(columns.passthrough),
                                     StatusCode::kInternal,
                                     fmt::format("file {}: selecting columns", path())));
      selected.push_back(std::move(projected));
    }
    SD_ASSIGN_OR_RETURN(passthrough, concatenate(selected, path()));
    if (rejects.empty()) {
      batch.columns = passthrough;
    } else {
      SD_ASSIGN_OR_RETURN(arrow::Datum kept_columns,
                          take_rows(passthrough, extracted.source_rows(), path()));
      batch.columns = kept_columns.record_batch();
    }
  }
  if (!rejects.empty()) {
    SD_ASSIGN_OR_RETURN(batch.rejected, build_rejected(rejects, passthrough, path(), file_row));
    rejected += static_cast<int64_t>(rejects.size());
  }
  SD_RETURN_IF_ERROR(check_unique_ids(batch));
  file_row += rows;
  global_row += rows;
  return batch;
}

std::string DatasetReader::Impl::locate(int64_t row) const {
  const auto after = std::upper_bound(file_first_row.begin(), file_first_row.end(), row);
  const auto file = static_cast<std::size_t>(after - file_first_row.begin() - 1);
  return fmt::format("{} row {}", files[file], row - file_first_row[file]);
}

Status DatasetReader::Impl::check_unique_ids(const Batch& batch) {
  if (!options.unique_ids || options.embeddings_only || !batch.columns) return Status::OK();
  const auto repeat = ids.add(*batch.columns->column(0), batch.input_rows);
  if (!repeat) return Status::OK();
  const int64_t row = batch.input_rows[static_cast<std::size_t>(repeat->index)];
  return Status::data_error("file {}: column '{}' row {}: duplicate id {} (first at {}); ids must "
                            "be unique",
                            path(), options.columns.id_field, row - file_first_row.back(),
                            repeat->id, locate(repeat->earlier_row));
}

Result<std::optional<Batch>> DatasetReader::Impl::next() {
  while (true) {
    if (!source || (source_done && !pending)) {
      source.reset();
      if (next_file >= static_cast<int64_t>(files.size())) return std::optional<Batch>();
      SD_RETURN_IF_ERROR(open_next_file());
    }
    int64_t rows = 0;
    SD_ASSIGN_OR_RETURN(auto parts, gather(rows));
    if (rows == 0) continue;
    SD_ASSIGN_OR_RETURN(Batch batch, build(parts, rows));
    return std::optional<Batch>(std::move(batch));
  }
}

DatasetReader::DatasetReader(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
DatasetReader::~DatasetReader() = default;

Result<std::unique_ptr<DatasetReader>> DatasetReader::open(std::vector<std::string> files,
                                                           ReadOptions options) {
  SD_RETURN_IF_ERROR(options.validate());
  auto impl = std::make_unique<Impl>();
  impl->files = std::move(files);
  impl->options = std::move(options);
  Impl& state = *impl;
  impl->open_input = [&state](int64_t file) {
    if (!state.prefetcher) {
      state.prefetcher = std::make_unique<Prefetcher>(
          state.files, state.options, kPrefetchLanes, prefetch_capacity(state.options.batch_rows));
    }
    return state.prefetcher->open(file);
  };
  return std::unique_ptr<DatasetReader>(new DatasetReader(std::move(impl)));
}

Result<std::unique_ptr<DatasetReader>> DatasetReader::open_inputs(
    std::vector<std::string> names, ReadOptions options,
    std::function<Result<std::unique_ptr<RecordSource>>(int64_t input)> open_input) {
  SD_RETURN_IF_ERROR(options.validate());
  auto impl = std::make_unique<Impl>();
  impl->files = std::move(names);
  impl->options = std::move(options);
  impl->open_input = std::move(open_input);
  return std::unique_ptr<DatasetReader>(new DatasetReader(std::move(impl)));
}

Result<std::unique_ptr<BatchSource>> open_file_source(std::vector<std::string> files,
                                                      ReadOptions options) {
  SD_ASSIGN_OR_RETURN(auto reader, DatasetReader::open(std::move(files), std::move(options)));
  return std::unique_ptr<BatchSource>(std::move(reader));
}

Result<std::optional<Batch>> DatasetReader::next() {
  if (!impl_->failure.ok()) return impl_->failure;
  auto result = impl_->next();
  if (!result.ok()) impl_->failure = result.status();
  return result;
}

int64_t DatasetReader::dim() const { return impl_->dim; }
std::shared_ptr<arrow::Schema> DatasetReader::columns_schema() const {
  return impl_->columns_schema;
}
int64_t DatasetReader::rows_read() const { return impl_->global_row; }
int64_t DatasetReader::rows_rejected() const { return impl_->rejected; }
const std::vector<std::string>& DatasetReader::files() const { return impl_->files; }

// ---------------------------------------------------------------------------------------------

Result<int64_t> count_rows(const std::string& path, FileType type) {
  if (type == FileType::kParquet) {
    SD_ASSIGN_OR_RETURN(const auto reader, open_parquet_file(path));
    return reader->parquet_reader()->metadata()->num_rows();
  }
  SD_ASSIGN_OR_RETURN(auto file, open_input_stream(path, fmt::format("file {}: cannot open", path)));
  int64_t rows = 0;
  bool content = false;
  char buffer[1 << 16];
  std::size_t got = 0;
  bool first = true;
  bool failed = false;
  while (true) {
    const arrow::Result<int64_t> read = file->Read(sizeof(buffer), buffer);
    failed = !read.ok();
    got = failed ? 0 : static_cast<std::size_t>(*read);
    if (got == 0) break;
    std::size_t i = 0;
    // A leading byte order mark is not content (the readers skip it).
    if (first && std::string_view(buffer, got).starts_with(kUtf8Bom)) i = kUtf8Bom.size();
    first = false;
    for (; i < got; ++i) {
      const char c = buffer[i];
      if (c == '\n') {
        rows += content ? 1 : 0;
        content = false;
      } else if (c != ' ' && c != '\t' && c != '\r') {
        content = true;
      }
    }
  }
  (void)file->Close();
  if (failed) return Status::io_error("file {}: read error", path);
  return rows + (content ? 1 : 0);
}

}  // namespace semdedup::io
