#include "semdedup/io/reader.hpp"

#include <arrow/api.h>
#include <arrow/compute/api_vector.h>
#include <arrow/io/file.h>
#include <arrow/json/api.h>
#include <parquet/arrow/reader.h>
#include <parquet/arrow/schema.h>
#include <parquet/exception.h>
#include <parquet/file_reader.h>
#include <parquet/metadata.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <exception>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <set>
#include <thread>
#include <type_traits>
#include <utility>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "io/arrow_status.hpp"
#include "semdedup/io/filesystem.hpp"
#include "io/jsonl_lines.hpp"
#include "io/jsonl_probe.hpp"
#include "io/parquet_columns.hpp"
#include "io/row_norm.hpp"
#include "io/unique_ids.hpp"

namespace semdedup::io {

namespace {

/// Rows per Parquet record batch asked of Arrow; batches are then cut or joined to batch_rows.
constexpr int64_t kParquetBatchRows = int64_t{1} << 13;
/// Files decoded at the same time, each by its own thread, ahead of the caller.
constexpr int64_t kPrefetchLanes = 2;

/// Record batches a lane may hold decoded: about batch_rows rows, at least 2 batches.
int64_t prefetch_capacity(int64_t batch_rows) {
  return std::max<int64_t>(2, (batch_rows + kParquetBatchRows - 1) / kParquetBatchRows);
}

/// Rows whose squared norms are accumulated side by side (independent dependency chains).
constexpr int64_t kNormRowGroup = 8;
/// Rows copied before they are checked and normalised together (kept in L1/L2).
constexpr int64_t kFinishBlockRows = 32;

// ---------------------------------------------------------------------------------------------
// Column resolution and type checks

std::string field_names(const arrow::Schema& schema) {
  std::vector<std::string> names;
  names.reserve(schema.num_fields());
  for (const auto& field : schema.fields()) names.push_back(field->name());
  return fmt::format("{}", fmt::join(names, ", "));
}

bool is_number_type(arrow::Type::type id) {
  return arrow::is_integer(id) || id == arrow::Type::FLOAT || id == arrow::Type::DOUBLE;
}

bool is_embedding_type(const arrow::DataType& type) {
  switch (type.id()) {
    case arrow::Type::NA:  // every row null: reported row by row
      return true;
    case arrow::Type::LIST:
    case arrow::Type::LARGE_LIST:
    case arrow::Type::FIXED_SIZE_LIST:
      return is_number_type(type.field(0)->type()->id()) ||
             type.field(0)->type()->id() == arrow::Type::HALF_FLOAT;
    default:
      return false;
  }
}

bool is_id_type(const arrow::DataType& type) {
  return arrow::is_integer(type.id()) || type.id() == arrow::Type::STRING ||
         type.id() == arrow::Type::LARGE_STRING;
}

/// Positions of the requested columns in one schema.
struct ColumnIndices {
  int embedding = -1;
  std::vector<int> passthrough;  ///< id (unless embeddings_only) then metadata fields
};

std::vector<std::string> passthrough_names(const ReadOptions& options) {
  std::vector<std::string> names;
  if (options.embeddings_only) return names;
  names.push_back(options.columns.id_field);
  for (const auto& name : options.columns.metadata_fields) names.push_back(name);
  return names;
}

Result<int> find_column(const arrow::Schema& schema, const std::string& name,
                        const std::string& path) {
  const std::vector<int> found = schema.GetAllFieldIndices(name);
  if (found.empty()) {
    return Status::data_error("file {}: column '{}' not found; available: {}", path, name,
                              field_names(schema));
  }
  if (found.size() > 1) {
    return Status::data_error("file {}: column '{}' appears {} times", path, name, found.size());
  }
  return found.front();
}

/// Finds the requested columns in `schema` and checks their types.
Result<ColumnIndices> resolve_columns(const arrow::Schema& schema, const std::string& path,
                                      const ReadOptions& options) {
  ColumnIndices indices;
  const std::string& embedding_name = options.columns.embedding_field;
  SD_ASSIGN_OR_RETURN(indices.embedding, find_column(schema, embedding_name, path));
  const auto& embedding_type = *schema.field(indices.embedding)->type();
  if (!is_embedding_type(embedding_type)) {
    return Status::data_error(
        "file {}: column '{}' has type {}; expected a list of numbers (float32, float64 or "
        "integers)",
        path, embedding_name, embedding_type.ToString());
  }
  // uint16 values are fp16 bit patterns (NeMo 1.4), unless the dtype refuses them.
  if (embedding_type.id() != arrow::Type::NA) {
    SD_RETURN_IF_ERROR(is_half_storage(*embedding_type.field(0)->type(),
                                       options.input_embedding_dtype, path, embedding_name,
                                       embedding_type.ToString())
                           .status());
  }
  for (const std::string& name : passthrough_names(options)) {
    SD_ASSIGN_OR_RETURN(const int index, find_column(schema, name, path));
    indices.passthrough.push_back(index);
  }
  if (!options.embeddings_only) {
    const auto& id_type = *schema.field(indices.passthrough.front())->type();
    if (!is_id_type(id_type)) {
      return Status::data_error(
          "file {}: column '{}' has type {}; expected an integer or string id", path,
          options.columns.id_field, id_type.ToString());
    }
  }
  return indices;
}

// ---------------------------------------------------------------------------------------------
// Sources: one open file handing out Arrow record batches

class Source {
 public:
  virtual ~Source() = default;
  /// The next record batch, or null at the end of the file.
  virtual Result<std::shared_ptr<arrow::RecordBatch>> next() = 0;
  /// Where the requested columns sit in the batches next() returns.
  const ColumnIndices& columns() const { return columns_; }
  /// Schema of the batches next() returns; null for a file with no rows and no schema.
  const std::shared_ptr<arrow::Schema>& schema() const { return schema_; }

 protected:
  ColumnIndices columns_;
  std::shared_ptr<arrow::Schema> schema_;
};

/// A file that holds no rows (an empty JSONL file).
class EmptySource final : public Source {
 public:
  Result<std::shared_ptr<arrow::RecordBatch>> next() override {
    return std::shared_ptr<arrow::RecordBatch>();
  }
};

void collect_leaves(const parquet::arrow::SchemaField& field, std::vector<int>& leaves) {
  if (field.is_leaf()) leaves.push_back(field.column_index);
  for (const auto& child : field.children) collect_leaves(child, leaves);
}

class ParquetSource final : public Source {
 public:
  static Result<std::unique_ptr<Source>> open(const std::string& path,
                                              const ReadOptions& options) {
    auto source = std::make_unique<ParquetSource>();
    source->path_ = path;
    try {
      SD_RETURN_IF_ERROR(source->open_impl(options));
    } catch (const std::exception& e) {
      return Status::io_error("file {}: cannot read Parquet: {}", path, e.what());
    }
    return std::unique_ptr<Source>(std::move(source));
  }

  Result<std::shared_ptr<arrow::RecordBatch>> next() override {
    std::shared_ptr<arrow::RecordBatch> batch;
    Status status;
    try {
      status = from_arrow(batches_->ReadNext(&batch), StatusCode::kIOError,
                          fmt::format("file {}: cannot read Parquet", path_));
    } catch (const std::exception& e) {
      status = Status::io_error("file {}: cannot read Parquet: {}", path_, e.what());
    }
    if (status.ok()) return batch;
    // Arrow cannot decode a fixed_size_list column holding a null row: name that row instead.
    if (schema_->field(columns_.embedding)->type()->id() == arrow::Type::FIXED_SIZE_LIST) {
      SD_ASSIGN_OR_RETURN(const int64_t null_row,
                          first_null_list_row(*reader_, embedding_field_, path_));
      if (null_row >= 0) {
        return Status::data_error("file {}: column '{}' row {}: null embedding", path_,
                                  schema_->field(columns_.embedding)->name(), null_row);
      }
    }
    return status;
  }

 private:
  Status open_impl(const ReadOptions& options) {
    const std::string context = fmt::format("file {}: cannot read Parquet", path_);
    parquet::ArrowReaderProperties properties;
    properties.set_batch_size(std::min(options.batch_rows, kParquetBatchRows));
    properties.set_use_threads(true);
    properties.set_pre_buffer(false);
    SD_ASSIGN_OR_RETURN(reader_, open_parquet_reader(path_, properties));

    std::shared_ptr<arrow::Schema> file_schema;
    SD_RETURN_IF_ERROR(
        from_arrow(reader_->GetSchema(&file_schema), StatusCode::kIOError, context));
    SD_ASSIGN_OR_RETURN(const ColumnIndices in_file,
                        resolve_columns(*file_schema, path_, options));
    embedding_field_ = in_file.embedding;

    std::vector<int> fields = in_file.passthrough;
    fields.push_back(in_file.embedding);
    std::vector<int> leaves;
    for (const int field : fields) collect_leaves(reader_->manifest().schema_fields[field], leaves);
    std::sort(leaves.begin(), leaves.end());
    std::vector<int> row_groups(reader_->num_row_groups());
    for (int group = 0; group < reader_->num_row_groups(); ++group) row_groups[group] = group;

    SD_ASSIGN_OR_RETURN(batches_, from_arrow(reader_->GetRecordBatchReader(row_groups, leaves),
                                             StatusCode::kIOError, context));
    schema_ = batches_->schema();
    SD_ASSIGN_OR_RETURN(columns_, resolve_columns(*schema_, path_, options));
    return Status::OK();
  }

  std::string path_;
  int embedding_field_ = -1;  ///< the embedding column among the file's top-level fields
  std::unique_ptr<parquet::arrow::FileReader> reader_;      // must outlive batches_
  std::unique_ptr<arrow::RecordBatchReader> batches_;
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
class JsonlSource final : public Source {
 public:
  static Result<std::unique_ptr<Source>> open(const std::string& path, const ReadOptions& options) {
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
    return std::unique_ptr<Source>(std::move(source));
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
  static std::unique_ptr<Source> empty() { return std::make_unique<EmptySource>(); }

  /// A streaming reader of the file under `parse_options`; null when the file holds no rows.
  Result<std::shared_ptr<arrow::RecordBatchReader>> stream(
      const arrow::json::ParseOptions& parse_options) const {
    SD_ASSIGN_OR_RETURN(auto file, open_jsonl_stream(path_));
    auto reader = arrow::json::StreamingReader::Make(std::move(file), source_read_options(),
                                                     parse_options);
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

Result<std::unique_ptr<Source>> open_source(const std::string& path, const ReadOptions& options) {
  if (options.filetype == FileType::kParquet) return ParquetSource::open(path, options);
  return JsonlSource::open(path, options);
}

// ---------------------------------------------------------------------------------------------
// Decoding ahead: worker threads open and decode files while the caller converts batches

/// Files are dealt to lanes round-robin (file f to lane f % lanes); each lane's thread opens
/// its files in order and queues their record batches, at most `capacity` batches ahead.
/// The caller takes files in list order, so every lane is read in its own order and the
/// output never depends on the number of lanes.
class Prefetcher {
 public:
  Prefetcher(const std::vector<std::string>& files, const ReadOptions& options, int64_t lanes,
             int64_t capacity)
      : files_(files), options_(options), capacity_(capacity) {
    lanes = std::max<int64_t>(1, std::min<int64_t>(lanes, static_cast<int64_t>(files.size())));
    for (int64_t lane = 0; lane < lanes; ++lane) lanes_.push_back(std::make_unique<Lane>());
    for (int64_t lane = 0; lane < lanes; ++lane) threads_.emplace_back([this, lane] { run(lane); });
  }

  ~Prefetcher() {
    for (auto& lane : lanes_) {
      std::lock_guard<std::mutex> lock(lane->mutex);
      lane->stop = true;
      lane->cv.notify_all();
    }
    for (auto& thread : threads_) thread.join();
  }

  Prefetcher(const Prefetcher&) = delete;
  Prefetcher& operator=(const Prefetcher&) = delete;

  /// Waits for file `file` to be opened and returns a Source reading it from its lane.
  Result<std::unique_ptr<Source>> open(int64_t file);

 private:
  struct Item {
    int64_t file = 0;
    Status status;                                ///< an open or read failure ends the lane
    std::shared_ptr<arrow::RecordBatch> batch;    ///< null with an OK status: end of file
    bool opened = false;                          ///< the first item of each file
    ColumnIndices columns;                        ///< with `opened`: the file's columns
    std::shared_ptr<arrow::Schema> schema;        ///< with `opened`: the file's schema
  };
  struct Lane {
    std::mutex mutex;
    std::condition_variable cv;
    std::deque<Item> items;
    bool stop = false;
  };
  class LaneSource;

  Lane& lane_of(int64_t file) { return *lanes_[file % static_cast<int64_t>(lanes_.size())]; }

  /// Queues `item`; false when the prefetcher is stopping.
  bool push(Lane& lane, Item item) {
    std::unique_lock<std::mutex> lock(lane.mutex);
    lane.cv.wait(lock, [&] {
      return lane.stop || static_cast<int64_t>(lane.items.size()) < capacity_;
    });
    if (lane.stop) return false;
    lane.items.push_back(std::move(item));
    lane.cv.notify_all();
    return true;
  }

  Item pop(Lane& lane) {
    std::unique_lock<std::mutex> lock(lane.mutex);
    lane.cv.wait(lock, [&] { return !lane.items.empty(); });
    Item item = std::move(lane.items.front());
    lane.items.pop_front();
    lane.cv.notify_all();
    return item;
  }

  void run(int64_t lane_index) {
    Lane& lane = *lanes_[lane_index];
    const auto lanes = static_cast<int64_t>(lanes_.size());
    for (auto file = lane_index; file < static_cast<int64_t>(files_.size()); file += lanes) {
      auto source = open_source(files_[file], options_);
      if (!source.ok()) {
        push(lane, {file, source.status(), nullptr, false, {}, nullptr});
        return;
      }
      if (!push(lane, {file, Status::OK(), nullptr, true, (*source)->columns(),
                       (*source)->schema()})) {
        return;
      }
      while (true) {
        auto batch = (*source)->next();
        if (!batch.ok()) {
          push(lane, {file, batch.status(), nullptr, false, {}, nullptr});
          return;
        }
        const bool end = *batch == nullptr;
        if (!push(lane, {file, Status::OK(), std::move(*batch), false, {}, nullptr})) return;
        if (end) break;
      }
    }
  }

  const std::vector<std::string>& files_;
  const ReadOptions& options_;
  const int64_t capacity_;
  std::vector<std::unique_ptr<Lane>> lanes_;
  std::vector<std::thread> threads_;
};

/// The caller's view of one prefetched file: batches come out of the lane's queue.
class Prefetcher::LaneSource final : public Source {
 public:
  LaneSource(Prefetcher& prefetcher, int64_t file, ColumnIndices columns,
             std::shared_ptr<arrow::Schema> schema)
      : prefetcher_(prefetcher), file_(file) {
    columns_ = std::move(columns);
    schema_ = std::move(schema);
  }
  Result<std::shared_ptr<arrow::RecordBatch>> next() override {
    Item item = prefetcher_.pop(prefetcher_.lane_of(file_));
    if (!item.status.ok()) return item.status;
    return std::move(item.batch);
  }

 private:
  Prefetcher& prefetcher_;
  int64_t file_;
};

Result<std::unique_ptr<Source>> Prefetcher::open(int64_t file) {
  Item item = pop(lane_of(file));
  if (!item.status.ok()) return item.status;
  SD_DCHECK(item.opened && item.file == file);
  return std::unique_ptr<Source>(std::make_unique<LaneSource>(*this, file, std::move(item.columns),
                                                              std::move(item.schema)));
}

// ---------------------------------------------------------------------------------------------
// Embedding extraction: Arrow list column -> rows of a float32 matrix

/// One bad input row: its index inside the batch and why.
struct Reject {
  int64_t row;
  std::string reason;
};

/// Output of the extraction of one batch.
struct Extracted {
  Matrix* matrix = nullptr;          ///< [input rows x dim]
  int64_t dim = 0;
  bool normalise = true;
  int64_t finished = 0;              ///< rows [0, finished) are checked, normalised and kept
  int64_t written = 0;               ///< rows [finished, written) are copied, not yet checked
  std::vector<int64_t> source_rows;  ///< batch row of each matrix row in [0, written)
  /// Float64 input values of each matrix row in [0, written) (null for other types): a value
  /// beyond float32's range is reported as such rather than as the infinity it became.
  std::vector<const double*> double_sources;
  std::vector<Reject> rejects;

  /// Checks, normalises and packs the rows copied since the last call.
  void finish();
};

/// One fp16 value as stored (uint16 bits or Arrow halffloat), for extract_rows.
struct HalfBits {
  uint16_t bits;
};

template <typename T>
void copy_values(const T* src, float* dst, int64_t count) {
  if constexpr (std::is_same_v<T, HalfBits>) {
    halves_to_floats(reinterpret_cast<const uint16_t*>(src), dst, count);
  } else if constexpr (std::is_same_v<T, float>) {
    std::memcpy(dst, src, static_cast<std::size_t>(count) * sizeof(float));
  } else {
    for (int64_t i = 0; i < count; ++i) dst[i] = static_cast<float>(src[i]);
  }
}

/// First index in [begin, begin + count) whose value slot is null, or -1.
int64_t first_null_value(const arrow::Array& values, int64_t begin, int64_t count) {
  for (int64_t i = 0; i < count; ++i) {
    if (values.IsNull(begin + i)) return i;
  }
  return -1;
}

/// Copies the non-null rows of the right width of `lists` into the matrix, recording the
/// others as rejects. `batch_row0` is the batch row of lists[0].
template <typename ListArrayT, typename T>
void extract_rows(const ListArrayT& lists, int64_t batch_row0, int64_t dim, Extracted& out) {
  const auto& values = *lists.values();
  const T* raw = values.data()->template GetValues<T>(1);
  const bool check_rows = lists.null_count() > 0;
  const bool check_values = values.null_count() > 0;
  for (int64_t i = 0; i < lists.length(); ++i) {
    const int64_t batch_row = batch_row0 + i;
    if (check_rows && lists.IsNull(i)) {
      out.rejects.push_back({batch_row, "null embedding"});
      continue;
    }
    const int64_t begin = lists.value_offset(i);
    const int64_t width = lists.value_length(i);
    if (width == 0) {
      out.rejects.push_back({batch_row, "empty embedding list"});
      continue;
    }
    if (width != dim) {
      out.rejects.push_back(
          {batch_row, fmt::format("list has {} values but the first row has {}", width, dim)});
      continue;
    }
    if (check_values) {
      const int64_t null_at = first_null_value(values, begin, width);
      if (null_at >= 0) {
        out.rejects.push_back({batch_row, fmt::format("null value at index {}", null_at)});
        continue;
      }
    }
    copy_values(raw + begin, out.matrix->row(out.written), width);
    out.source_rows.push_back(batch_row);
    if constexpr (std::is_same_v<T, double>) {
      out.double_sources.push_back(raw + begin);
    } else {
      out.double_sources.push_back(nullptr);
    }
    // Finishing small blocks while they are still in cache makes one pass over memory.
    if (++out.written - out.finished == kFinishBlockRows) out.finish();
  }
}

template <typename ListArrayT>
void extract_typed(const ListArrayT& lists, int64_t batch_row0, int64_t dim, Extracted& out) {
  switch (lists.values()->type_id()) {
    case arrow::Type::FLOAT: return extract_rows<ListArrayT, float>(lists, batch_row0, dim, out);
    case arrow::Type::DOUBLE: return extract_rows<ListArrayT, double>(lists, batch_row0, dim, out);
    case arrow::Type::INT8: return extract_rows<ListArrayT, int8_t>(lists, batch_row0, dim, out);
    case arrow::Type::INT16: return extract_rows<ListArrayT, int16_t>(lists, batch_row0, dim, out);
    case arrow::Type::INT32: return extract_rows<ListArrayT, int32_t>(lists, batch_row0, dim, out);
    case arrow::Type::INT64: return extract_rows<ListArrayT, int64_t>(lists, batch_row0, dim, out);
    case arrow::Type::UINT8: return extract_rows<ListArrayT, uint8_t>(lists, batch_row0, dim, out);
    case arrow::Type::UINT16:  // fp16 bit patterns: resolve_columns refused them otherwise
    case arrow::Type::HALF_FLOAT:
      return extract_rows<ListArrayT, HalfBits>(lists, batch_row0, dim, out);
    case arrow::Type::UINT32:
      return extract_rows<ListArrayT, uint32_t>(lists, batch_row0, dim, out);
    case arrow::Type::UINT64:
      return extract_rows<ListArrayT, uint64_t>(lists, batch_row0, dim, out);
    default: return;  // excluded by resolve_columns
  }
}

void extract(const arrow::Array& column, int64_t batch_row0, int64_t dim, Extracted& out) {
  switch (column.type_id()) {
    case arrow::Type::LIST:
      return extract_typed(static_cast<const arrow::ListArray&>(column), batch_row0, dim, out);
    case arrow::Type::LARGE_LIST:
      return extract_typed(static_cast<const arrow::LargeListArray&>(column), batch_row0, dim,
                           out);
    case arrow::Type::FIXED_SIZE_LIST:
      return extract_typed(static_cast<const arrow::FixedSizeListArray&>(column), batch_row0,
                           dim, out);
    default:  // null type: every row is null
      for (int64_t i = 0; i < column.length(); ++i) {
        out.rejects.push_back({batch_row0 + i, "null embedding"});
      }
  }
}

/// Width of the first non-null, non-empty row of `column`, or 0.
int64_t first_width(const arrow::Array& column) {
  auto scan = [](const auto& lists) -> int64_t {
    for (int64_t i = 0; i < lists.length(); ++i) {
      if (lists.IsValid(i) && lists.value_length(i) > 0) return lists.value_length(i);
    }
    return 0;
  };
  switch (column.type_id()) {
    case arrow::Type::LIST: return scan(static_cast<const arrow::ListArray&>(column));
    case arrow::Type::LARGE_LIST: return scan(static_cast<const arrow::LargeListArray&>(column));
    case arrow::Type::FIXED_SIZE_LIST:
      return scan(static_cast<const arrow::FixedSizeListArray&>(column));
    default: return 0;
  }
}

/// Squared L2 norm of each of `rows` consecutive rows, each summed in float32 in index order
/// (so a row's norm never depends on its neighbours or the batch it sits in). Groups of
/// rows are summed side by side to overlap their dependency chains. No contraction into FMA,
/// so builds for different ISAs give the same bits.
[[gnu::optimize("fp-contract=off")]] void squared_norms(const float* data, int64_t rows,
                                                        int64_t dim, float* out) {
  int64_t row = 0;
  for (; row + kNormRowGroup <= rows; row += kNormRowGroup) {
    const float* base = data + row * dim;
    float sums[kNormRowGroup] = {};
    for (int64_t i = 0; i < dim; ++i) {
      for (int64_t k = 0; k < kNormRowGroup; ++k) {
        const float value = base[k * dim + i];
        sums[k] += value * value;
      }
    }
    for (int64_t k = 0; k < kNormRowGroup; ++k) out[row + k] = sums[k];
  }
  for (; row < rows; ++row) {
    const float* values = data + row * dim;
    float sum = 0.0f;
    for (int64_t i = 0; i < dim; ++i) sum += values[i] * values[i];
    out[row] = sum;
  }
}

void Extracted::finish() {
  float norms[kFinishBlockRows];
  int64_t kept = finished;
  for (int64_t block = finished; block < written; block += kFinishBlockRows) {
    const int64_t rows = std::min(kFinishBlockRows, written - block);
    squared_norms(matrix->row(block), rows, dim, norms);
    for (int64_t i = 0; i < rows; ++i) {
      const int64_t row = block + i;
      float* values = matrix->row(row);
      std::string reason = normalise_row(values, dim, norms[i], double_sources[row], normalise);
      if (!reason.empty()) {
        rejects.push_back({source_rows[row], std::move(reason)});
        continue;
      }
      float* target = matrix->row(kept);
      if (target != values) {
        std::memmove(target, values, static_cast<std::size_t>(dim) * sizeof(float));
      }
      source_rows[kept] = source_rows[row];
      double_sources[kept] = double_sources[row];
      ++kept;
    }
  }
  finished = written = kept;
  source_rows.resize(static_cast<std::size_t>(kept));
  double_sources.resize(static_cast<std::size_t>(kept));
}

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
  std::unique_ptr<Prefetcher> prefetcher;
  std::unique_ptr<Source> source;
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
  if (!prefetcher) {
    prefetcher = std::make_unique<Prefetcher>(files, options, kPrefetchLanes,
                                              prefetch_capacity(options.batch_rows));
  }
  SD_ASSIGN_OR_RETURN(source, prefetcher->open(file_index));
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
  Extracted extracted;
  extracted.matrix = &batch.embeddings;
  extracted.dim = dim;
  extracted.normalise = options.normalise;
  extracted.source_rows.reserve(static_cast<std::size_t>(rows));
  extracted.double_sources.reserve(static_cast<std::size_t>(rows));
  int64_t batch_row0 = 0;
  for (const auto& part : parts) {
    extract(*part->column(columns.embedding), batch_row0, dim, extracted);
    batch_row0 += part->num_rows();
  }
  extracted.finish();
  const int64_t kept = extracted.finished;
  std::vector<Reject>& rejects = extracted.rejects;
  std::sort(rejects.begin(), rejects.end(),
            [](const Reject& a, const Reject& b) { return a.row < b.row; });
  if (!rejects.empty() && options.invalid_rows == InvalidRows::kError) {
    return Status::data_error("file {}: column '{}' row {}: {}", path(),
                              options.columns.embedding_field, file_row + rejects.front().row,
                              rejects.front().reason);
  }
  batch.embeddings.resize_rows(kept);
  batch.input_rows.resize(static_cast<std::size_t>(kept));
  for (int64_t row = 0; row < kept; ++row) {
    batch.input_rows[row] = global_row + extracted.source_rows[row];
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
                          take_rows(passthrough, extracted.source_rows, path()));
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
  return std::unique_ptr<DatasetReader>(new DatasetReader(std::move(impl)));
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
    SD_ASSIGN_OR_RETURN(auto input, open_input_file(path, fmt::format("file {}: cannot open", path)));
    try {
      std::unique_ptr<parquet::ParquetFileReader> reader = parquet::ParquetFileReader::Open(input);
      return reader->metadata()->num_rows();
    } catch (const std::exception& e) {
      return Status::io_error("file {}: cannot read Parquet footer: {}", path, e.what());
    }
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
