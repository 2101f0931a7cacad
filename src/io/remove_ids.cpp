#include "semdedup/io/remove_ids.hpp"

#include <arrow/api.h>
#include <arrow/compute/api.h>
#include <arrow/io/file.h>
#include <arrow/json/api.h>
#include <parquet/arrow/reader.h>

#include <algorithm>
#include <filesystem>
#include <optional>

#include "io/arrow_status.hpp"
#include "io/jsonl_filter.hpp"
#include "io/jsonl_lines.hpp"
#include "io/parquet_columns.hpp"
#include "io/parquet_open.hpp"
#include "semdedup/io/jsonl_writer.hpp"
#include "semdedup/io/filesystem.hpp"
#include "semdedup/io/layout.hpp"
#include "semdedup/io/writer.hpp"

namespace semdedup::io {

namespace fs = std::filesystem;
namespace cp = arrow::compute;

namespace {

/// Rows per record batch read from a Parquet input, and per output row group.
constexpr int64_t kRemoveBatchRows = 65536;

/// Every column of one input file, a record batch at a time.
struct InputBatches {
  std::unique_ptr<parquet::arrow::FileReader> parquet;  // must outlive batches
  std::shared_ptr<arrow::Table> table;                  // a whole JSONL file; outlives batches
  std::shared_ptr<arrow::RecordBatchReader> batches;
};

Result<InputBatches> open_parquet(const std::string& path) {
  ParquetOpenOptions options;
  options.properties.set_batch_size(kRemoveBatchRows);
  options.memory_map = true;
  InputBatches input;
  SD_ASSIGN_OR_RETURN(input.parquet, open_parquet_file(path, options));
  SD_ASSIGN_OR_RETURN(input.batches,
                      from_arrow(input.parquet->GetRecordBatchReader(), StatusCode::kIOError,
                                 fmt::format("file {}: cannot read Parquet", path)));
  return input;
}

/// A JSONL file streamed in blocks (types from the first block: a later row that adds a field
/// or changes a type fails the read), or parsed whole (types from every row).
Result<InputBatches> open_jsonl(const std::string& path, bool whole) {
  SD_RETURN_IF_ERROR(check_lines_are_objects(path));
  SD_ASSIGN_OR_RETURN(auto file, open_jsonl_stream(path));
  const auto read_options = arrow::json::ReadOptions::Defaults();
  const auto parse_options = arrow::json::ParseOptions::Defaults();
  InputBatches input;
  if (whole) {
    SD_ASSIGN_OR_RETURN(auto reader,
                        from_arrow(arrow::json::TableReader::Make(arrow::default_memory_pool(),
                                                                  file, read_options,
                                                                  parse_options),
                                   StatusCode::kIOError, path));
    SD_ASSIGN_OR_RETURN(input.table, from_arrow(reader->Read(), StatusCode::kDataError, path));
    input.batches = std::make_shared<arrow::TableBatchReader>(input.table);
    return input;
  }
  SD_ASSIGN_OR_RETURN(input.batches,
                      from_arrow(arrow::json::StreamingReader::Make(file, read_options,
                                                                    parse_options),
                                 StatusCode::kDataError, path));
  return input;
}

/// Writes the kept rows as Parquet or JSON lines; the file appears only on commit().
class Output {
 public:
  static Result<Output> open(const std::string& path, FileType type,
                             const std::shared_ptr<arrow::Schema>& schema) {
    Output output;
    if (type == FileType::kParquet) {
      // Row groups of one read batch: the writer buffers a whole row group.
      SD_ASSIGN_OR_RETURN(auto writer, ParquetFileWriter::open(
                                           path, schema, {.row_group_rows = kRemoveBatchRows}));
      output.parquet_.emplace(std::move(writer));
    } else {
      SD_ASSIGN_OR_RETURN(auto writer, JsonlFileWriter::open(path, schema));
      output.jsonl_.emplace(std::move(writer));
    }
    return output;
  }
  Status write(const arrow::RecordBatch& batch) {
    return parquet_ ? parquet_->write(batch) : jsonl_->write(batch);
  }
  Status commit() { return parquet_ ? parquet_->commit() : jsonl_->commit(); }

 private:
  std::optional<ParquetFileWriter> parquet_;
  std::optional<JsonlFileWriter> jsonl_;
};

/// remove_ids over `input`'s batches; `whole_jsonl` parses a JSONL input whole.
Result<FilteredFile> filter_file(const std::string& input, FileType input_type,
                                 const std::string& output, FileType output_type,
                                 const std::string& id_field, const IdSet& ids,
                                 bool whole_jsonl) {
  InputBatches source;
  if (input_type == FileType::kParquet) {
    SD_ASSIGN_OR_RETURN(source, open_parquet(input));
  } else {
    SD_ASSIGN_OR_RETURN(source, open_jsonl(input, whole_jsonl));
  }
  const std::shared_ptr<arrow::Schema> schema = source.batches->schema();
  const int id_column = schema->GetFieldIndex(id_field);
  if (id_column < 0) {
    return Status::data_error("file {}: column '{}' not found; available: {}", input, id_field,
                              fmt::join(schema->field_names(), ", "));
  }
  // Integers match integers by value, strings match strings: never one through a cast of the
  // other ("007" is not 7).
  const auto& id_type = *schema->field(id_column)->type();
  if (!ids.accepts(id_type)) {
    return Status::data_error("file {}: column '{}' has type {} but the duplicates' ids have type {}",
                              input, id_field, id_type.ToString(), ids.type_name());
  }
  SD_ASSIGN_OR_RETURN(Output out, Output::open(output, output_type, schema));
  FilteredFile counts;
  while (true) {
    std::shared_ptr<arrow::RecordBatch> batch;
    SD_RETURN_IF_ERROR(
        from_arrow(source.batches->ReadNext(&batch), StatusCode::kDataError, input));
    if (!batch) break;
    SD_ASSIGN_OR_RETURN(auto keep,
                        ids.keep_mask(*batch->column(id_column), input, id_field, counts.rows_in));
    SD_ASSIGN_OR_RETURN(arrow::Datum kept,
                        from_arrow(cp::Filter(batch, keep), StatusCode::kInternal, input));
    const auto& rows = *kept.record_batch();
    counts.rows_in += batch->num_rows();
    counts.rows_out += rows.num_rows();
    SD_RETURN_IF_ERROR(out.write(rows));
  }
  SD_RETURN_IF_ERROR(out.commit());
  return counts;
}

}  // namespace

Result<IdSet> read_id_set(const std::string& dir) {
  if (!is_directory(dir)) return Status::io_error("{}: no such directory", dir);
  std::vector<std::string> files;
  auto entries = list_directory(dir, /*recursive=*/false, /*follow_symlinks=*/true);
  if (!entries.ok()) return Status::io_error("{}: cannot list: {}", dir, entries.status().message());
  for (const Entry& entry : *entries) {
    if (entry.type == EntryType::kFile && fs::path(entry.name).extension() == kParquetExtension &&
        !entry.name.starts_with(".")) {
      files.push_back(entry.path);
    }
  }
  std::sort(files.begin(), files.end());
  arrow::ArrayVector chunks;
  std::shared_ptr<arrow::DataType> type;
  for (const auto& path : files) {
    SD_ASSIGN_OR_RETURN(auto table, read_parquet_columns(path, {kIdColumn}));
    const auto& column = table->column(0);
    const auto& column_type = column->type();
    if (!arrow::is_integer(column_type->id()) && column_type->id() != arrow::Type::STRING &&
        column_type->id() != arrow::Type::LARGE_STRING) {
      return Status::data_error("file {}: column 'id' has type {}; expected integers or strings",
                                path, column_type->ToString());
    }
    if (type && !column_type->Equals(*type)) {
      return Status::data_error("file {}: column 'id' is {}, other files have {}", path,
                                column_type->ToString(), type->ToString());
    }
    type = column_type;
    int64_t row0 = 0;
    for (const auto& chunk : column->chunks()) {
      // A null duplicate id would remove every input row without an id.
      for (int64_t i = 0; chunk->null_count() > 0 && i < chunk->length(); ++i) {
        if (chunk->IsNull(i)) {
          return Status::data_error("file {}: column 'id' row {}: null id", path, row0 + i);
        }
      }
      row0 += chunk->length();
      chunks.push_back(chunk);
    }
  }
  return IdSet::make(chunks, type ? type : arrow::int64());
}

Result<FilteredFile> remove_ids(const std::string& input, FileType input_type,
                                const std::string& output, FileType output_type,
                                const std::string& id_field, const IdSet& ids) {
  if (input_type == FileType::kJsonl && output_type == FileType::kJsonl) {
    return filter_jsonl_lines(input, output, id_field, ids);
  }
  Result<FilteredFile> filtered =
      filter_file(input, input_type, output, output_type, id_field, ids, false);
  // A JSONL file whose later rows add fields or change types cannot be streamed with the
  // first block's schema; it is read again, whole (the unfinished output was dropped).
  if (!filtered.ok() && input_type == FileType::kJsonl &&
      filtered.status().code() == StatusCode::kDataError) {
    filtered = filter_file(input, input_type, output, output_type, id_field, ids, true);
  }
  return filtered;
}

namespace {

// One cell as text: strings as they are, anything else as Arrow prints it.
std::string cell_text(const arrow::Array& column, int64_t row) {
  if (column.IsNull(row)) return std::string();
  if (column.type_id() == arrow::Type::STRING) {
    return std::string(static_cast<const arrow::StringArray&>(column).GetView(row));
  }
  if (column.type_id() == arrow::Type::LARGE_STRING) {
    return std::string(static_cast<const arrow::LargeStringArray&>(column).GetView(row));
  }
  auto scalar = column.GetScalar(row);
  return scalar.ok() ? (*scalar)->ToString() : std::string();
}

Status lookup_file(const std::string& path, InputBatches source, const std::string& id_field,
                   const std::vector<std::string>& columns, const std::set<std::string>& ids,
                   std::map<std::string, std::vector<std::string>>& found) {
  const std::shared_ptr<arrow::Schema> schema = source.batches->schema();
  std::vector<int> wanted;
  for (const auto& name : columns) {
    wanted.push_back(schema->GetFieldIndex(name));
    if (wanted.back() < 0) {
      return Status::data_error("file {}: column '{}' not found; available: {}", path, name,
                                fmt::join(schema->field_names(), ", "));
    }
  }
  const int id_column = schema->GetFieldIndex(id_field);
  if (id_column < 0) {
    return Status::data_error("file {}: column '{}' not found; available: {}", path, id_field,
                              fmt::join(schema->field_names(), ", "));
  }
  while (found.size() < ids.size()) {
    std::shared_ptr<arrow::RecordBatch> batch;
    SD_RETURN_IF_ERROR(from_arrow(source.batches->ReadNext(&batch), StatusCode::kDataError, path));
    if (!batch) break;
    SD_ASSIGN_OR_RETURN(
        arrow::Datum id_text,
        from_arrow(cp::Cast(batch->column(id_column), arrow::utf8()), StatusCode::kDataError,
                   fmt::format("file {}: column '{}'", path, id_field)));
    const std::shared_ptr<arrow::Array> id_array = id_text.make_array();
    const auto& text = static_cast<const arrow::StringArray&>(*id_array);
    for (int64_t row = 0; row < batch->num_rows(); ++row) {
      if (text.IsNull(row)) continue;
      std::string id(text.GetView(row));
      if (!ids.contains(id) || found.contains(id)) continue;
      std::vector<std::string>& values = found[id];
      for (int column : wanted) values.push_back(cell_text(*batch->column(column), row));
    }
  }
  return Status::OK();
}

}  // namespace

Result<std::map<std::string, std::vector<std::string>>> read_rows_by_id(
    const std::vector<std::string>& files, FileType type, const std::string& id_field,
    const std::vector<std::string>& columns, const std::set<std::string>& ids) {
  std::map<std::string, std::vector<std::string>> found;
  for (const auto& path : files) {
    if (found.size() == ids.size()) break;
    InputBatches source;
    if (type == FileType::kParquet) {
      SD_ASSIGN_OR_RETURN(source, open_parquet(path));
    } else {
      // Whole: a lookup needs every row's fields, whatever the first block held.
      SD_ASSIGN_OR_RETURN(source, open_jsonl(path, true));
    }
    SD_RETURN_IF_ERROR(lookup_file(path, std::move(source), id_field, columns, ids, found));
  }
  return found;
}

}  // namespace semdedup::io
