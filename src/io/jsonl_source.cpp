#include <arrow/api.h>
#include <arrow/json/api.h>
#include <fmt/format.h>
#include <fmt/ranges.h>

#include "io/arrow_status.hpp"
#include "io/jsonl_lines.hpp"
#include "io/jsonl_probe.hpp"
#include "io/record_source.hpp"

namespace semdedup::io {

namespace {

/// A file that holds no rows (an empty JSONL file).
class EmptySource final : public RecordSource {
 public:
  Result<std::shared_ptr<arrow::RecordBatch>> next() override {
    return std::shared_ptr<arrow::RecordBatch>();
  }
};

/// A list of integers is read as a list of doubles: an embedding whose first rows hold only
/// whole numbers must not fix an integer type that later rows contradict.
std::shared_ptr<arrow::DataType> widened(const std::shared_ptr<arrow::DataType>& type) {
  if (type->id() == arrow::Type::LIST && arrow::is_integer(type->field(0)->type()->id())) {
    return arrow::list(arrow::float64());
  }
  return type;
}

/// A JSONL file, streamed block by block (ReadOptions::json_block_bytes). Column types come from
/// the needed fields of the first block's rows, read on until each needed field was seen with a
/// value (probe_jsonl); only the needed columns are converted (others are skipped, present or
/// not, whatever they hold).
class JsonlSource final : public RecordSource {
 public:
  static Result<std::unique_ptr<RecordSource>> open(const std::string& path,
                                                    const ReadOptions& options) {
    SD_RETURN_IF_ERROR(check_lines_are_objects(path));
    // The first rows fix the needed columns' types; fields not read play no part.
    std::vector<std::string> needed = passthrough_names(options);
    needed.push_back(options.columns.embedding_field);
    SD_ASSIGN_OR_RETURN(const JsonlProbe probe,
                        probe_jsonl(path, needed, options.json_block_bytes));
    if (!probe.schema) return empty();

    auto source = std::make_unique<JsonlSource>();
    source->path_ = path;
    source->block_bytes_ = options.json_block_bytes;
    arrow::FieldVector fields;
    for (const std::string& name : needed) {
      const auto field = probe.schema->GetFieldByName(name);
      if (!field) {
        return Status::data_error("file {}: column '{}' not found; available: {}", path, name,
                                  fmt::join(probe.available, ", "));
      }
      fields.push_back(field->WithType(widened(field->type())));
    }

    source->parse_options_.explicit_schema = arrow::schema(std::move(fields));
    source->parse_options_.unexpected_field_behavior = arrow::json::UnexpectedFieldBehavior::Ignore;
    SD_ASSIGN_OR_RETURN(source->batches_, source->stream(source->parse_options_));
    if (!source->batches_) return empty();
    source->schema_ = source->batches_->schema();
    SD_ASSIGN_OR_RETURN(source->columns_, resolve_columns(*source->schema_, path, options));
    return std::unique_ptr<RecordSource>(std::move(source));
  }

  Result<std::shared_ptr<arrow::RecordBatch>> next() override {
    std::shared_ptr<arrow::RecordBatch> batch;
    const arrow::Status status = batches_->ReadNext(&batch);
    if (status.ok()) return batch;
    if (status.IsIOError()) {
      return from_arrow(status, StatusCode::kIOError, fmt::format("file {}: cannot read", path_));
    }
    return explain_json_failure(path_, status, parse_options_);
  }

 private:
  static std::unique_ptr<RecordSource> empty() { return std::make_unique<EmptySource>(); }

  /// A streaming reader of the file under `parse_options`; null when the file holds no rows.
  Result<std::shared_ptr<arrow::RecordBatchReader>> stream(
      const arrow::json::ParseOptions& parse_options) const {
    SD_ASSIGN_OR_RETURN(auto file, open_jsonl_stream(path_));
    auto reader =
        arrow::json::StreamingReader::Make(std::move(file), source_read_options(), parse_options);
    if (reader.ok()) return std::shared_ptr<arrow::RecordBatchReader>(*std::move(reader));
    SD_RETURN_IF_ERROR(unless_empty(reader.status(), parse_options));
    return std::shared_ptr<arrow::RecordBatchReader>();
  }

  arrow::json::ReadOptions source_read_options() const {
    auto options = arrow::json::ReadOptions::Defaults();
    options.use_threads = true;
    options.block_size = block_bytes_;
    return options;
  }

  /// Arrow's failure to start reading: OK for a file with no rows, else an I/O error or the
  /// line at fault.
  Status unless_empty(const arrow::Status& status,
                      const arrow::json::ParseOptions& parse_options) const {
    if (status.message().find("Empty JSON") != std::string::npos) return Status::OK();
    if (status.IsIOError()) {
      return from_arrow(status, StatusCode::kIOError, fmt::format("file {}: cannot read", path_));
    }
    return explain_json_failure(path_, status, parse_options);
  }

  std::string path_;
  int32_t block_bytes_ = 0;
  arrow::json::ParseOptions parse_options_ = arrow::json::ParseOptions::Defaults();
  std::shared_ptr<arrow::RecordBatchReader> batches_;
};

}  // namespace

Result<std::unique_ptr<RecordSource>> open_jsonl_records(const std::string& path,
                                                         const ReadOptions& options) {
  return JsonlSource::open(path, options);
}

}  // namespace semdedup::io
