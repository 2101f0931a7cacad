#include "semdedup/io/stream_source.hpp"

#include <arrow/api.h>
#include <arrow/c/bridge.h>

#include <cstring>

#include "io/arrow_status.hpp"
#include "io/column_resolution.hpp"
#include "io/embedding_extract.hpp"
#include "io/record_source.hpp"
#include "io/row_norm.hpp"
#include "semdedup/io/reader.hpp"

namespace semdedup::io {

namespace {

/// How the one input of a stream is named in messages and rejected rows.
constexpr std::string_view kStreamName = "<Arrow stream>";

/// Row `row`'s reason to be refused, or "" when it is fine (and then normalised in place): the
/// file reader's rule (io/row_norm), so a row gets the same bits from either source.
std::string check_and_normalise(float* values, int64_t dim, const double* source = nullptr) {
  return normalise_row(values, dim, squared_norm(values, dim), source);
}

/// The rows of list column `lists` as a normalised matrix, through the file reader's extractor:
/// the first bad row fails, "column 'name' row R: reason".
Result<Matrix> extract(const arrow::Array& lists, const std::string& name) {
  const int64_t dim = first_width(lists);
  Matrix matrix(lists.length(), dim);
  EmbeddingExtractor extractor(matrix.data(), lists.length(), dim, /*normalise=*/true);
  extractor.add(lists, 0);
  extractor.finish();
  if (!extractor.rejects().empty()) {
    const Reject& bad = extractor.rejects().front();
    return Status::data_error("column '{}' row {}: {}", name, bad.row, bad.reason);
  }
  return matrix;
}

/// The one input of an Arrow C stream: its record batches as they come, every column kept (the
/// converter selects the requested ones by position).
class StreamRecords final : public RecordSource {
 public:
  static Result<std::unique_ptr<RecordSource>> open(
      std::shared_ptr<arrow::RecordBatchReader> batches, const ReadOptions& options) {
    auto source = std::make_unique<StreamRecords>();
    source->schema_ = batches->schema();
    SD_ASSIGN_OR_RETURN(source->columns_,
                        resolve_columns(*source->schema_, std::string(kStreamName), options));
    source->batches_ = std::move(batches);
    return std::unique_ptr<RecordSource>(std::move(source));
  }

  Result<std::shared_ptr<arrow::RecordBatch>> next() override {
    std::shared_ptr<arrow::RecordBatch> batch;
    SD_RETURN_IF_ERROR(from_arrow(batches_->ReadNext(&batch), StatusCode::kIOError, kStreamName));
    return batch;
  }

 private:
  std::shared_ptr<arrow::RecordBatchReader> batches_;
};

}  // namespace

Result<std::unique_ptr<BatchSource>> open_arrow_stream_source(ArrowArrayStream* stream,
                                                              ReadOptions options) {
  SD_ASSIGN_OR_RETURN(std::shared_ptr<arrow::RecordBatchReader> batches,
                      from_arrow(arrow::ImportRecordBatchReader(stream), StatusCode::kIOError,
                                 kStreamName));
  const ReadOptions resolve = options;
  SD_ASSIGN_OR_RETURN(
      auto reader,
      DatasetReader::open_inputs(
          {std::string(kStreamName)}, std::move(options),
          [batches = std::move(batches), resolve](int64_t) mutable {
            return StreamRecords::open(std::move(batches), resolve);
          }));
  return std::unique_ptr<BatchSource>(std::move(reader));
}

Result<Matrix> normalised_copy(MatrixView rows, const std::string& name) {
  Matrix matrix(rows.rows, rows.cols);
  for (int64_t row = 0; row < rows.rows; ++row) {
    std::memcpy(matrix.row(row), rows.row(row), static_cast<size_t>(rows.cols) * sizeof(float));
    if (std::string reason = check_and_normalise(matrix.row(row), rows.cols); !reason.empty()) {
      return Status::data_error("column '{}' row {}: {}", name, row, reason);
    }
  }
  return matrix;
}

Result<std::shared_ptr<arrow::Table>> read_arrow_stream(ArrowArrayStream* stream) {
  SD_ASSIGN_OR_RETURN(auto reader, from_arrow(arrow::ImportRecordBatchReader(stream),
                                              StatusCode::kIOError, "Arrow stream"));
  return from_arrow(reader->ToTable(), StatusCode::kIOError, "Arrow stream");
}

Result<Matrix> embeddings_from_table(const arrow::Table& table,
                                     const std::string& embedding_field) {
  const auto column = table.GetColumnByName(embedding_field);
  if (!column) {
    return Status::data_error("column '{}' not found; available: {}", embedding_field,
                              fmt::join(table.schema()->field_names(), ", "));
  }
  SD_ASSIGN_OR_RETURN(auto array, from_arrow(arrow::Concatenate(column->chunks()),
                                             StatusCode::kInternal, "joining chunks"));
  const auto wrong_type = [&] {
    return Status::data_error(
        "column '{}' has type {}; expected a list of numbers (float32, float64 or integers)",
        embedding_field, column->type()->ToString());
  };
  auto numeric = [](const arrow::DataType& type) {
    return arrow::is_floating(type.id()) || arrow::is_integer(type.id());
  };
  switch (array->type_id()) {
    case arrow::Type::LIST: {
      const auto& lists = static_cast<const arrow::ListArray&>(*array);
      if (!numeric(*lists.value_type())) return wrong_type();
      return extract(*array, embedding_field);
    }
    case arrow::Type::LARGE_LIST: {
      const auto& lists = static_cast<const arrow::LargeListArray&>(*array);
      if (!numeric(*lists.value_type())) return wrong_type();
      return extract(*array, embedding_field);
    }
    case arrow::Type::FIXED_SIZE_LIST: {
      const auto& lists = static_cast<const arrow::FixedSizeListArray&>(*array);
      if (!numeric(*lists.value_type())) return wrong_type();
      return extract(*array, embedding_field);
    }
    default: return wrong_type();
  }
}

}  // namespace semdedup::io
