#include "semdedup/io/jsonl_writer.hpp"

#include <arrow/api.h>

#include <algorithm>
#include <cmath>
#include <string_view>
#include <vector>

#include "io/arrow_status.hpp"
#include "semdedup/io/half.hpp"
#include "semdedup/io/writer.hpp"

namespace semdedup::io {

namespace {

// Rows formatted per task; fixed, so the output never depends on the thread count.
constexpr int64_t kBlockRows = 1024;

void append_json_string(std::string_view text, std::string& out) {
  static constexpr char kHex[] = "0123456789abcdef";
  out.push_back('"');
  size_t run = 0;  // start of the pending run of bytes that need no escaping
  for (size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out.append(text.data() + run, i - run);
    run = i + 1;
    switch (c) {
      case '"': out.append("\\\""); break;
      case '\\': out.append("\\\\"); break;
      case '\n': out.append("\\n"); break;
      case '\r': out.append("\\r"); break;
      case '\t': out.append("\\t"); break;
      case '\b': out.append("\\b"); break;
      case '\f': out.append("\\f"); break;
      default: {
        const char escaped[] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 0xf]};
        out.append(escaped, sizeof(escaped));
      }
    }
  }
  out.append(text.data() + run, text.size() - run);
  out.push_back('"');
}

template <typename T>
void append_float(T value, std::string& out) {
  if (!std::isfinite(value)) {
    out.append("null");
    return;
  }
  char buffer[64];
  char* end = fmt::format_to(buffer, "{}", value);
  const std::string_view text(buffer, static_cast<size_t>(end - buffer));
  out.append(text);
  if (text.find_first_of(".e") == std::string_view::npos) out.append(".0");
}

/// Formats the values of one array; built once per batch after the type was checked, so
/// writing cannot fail. Thread-safe (read-only).
class ValueWriter {
 public:
  explicit ValueWriter(const arrow::Array& array) : array_(array) {}
  virtual ~ValueWriter() = default;
  void write(int64_t index, std::string& out) const {
    if (array_.IsNull(index)) {
      out.append("null");
    } else {
      write_valid(index, out);
    }
  }

 protected:
  virtual void write_valid(int64_t index, std::string& out) const = 0;
  const arrow::Array& array_;
};

Result<std::unique_ptr<ValueWriter>> make_writer(const arrow::Array& array,
                                                 const std::string& column);

class NullWriter final : public ValueWriter {
 public:
  using ValueWriter::ValueWriter;
  void write_valid(int64_t, std::string& out) const override { out.append("null"); }
};

class BoolWriter final : public ValueWriter {
 public:
  using ValueWriter::ValueWriter;
  void write_valid(int64_t index, std::string& out) const override {
    out.append(static_cast<const arrow::BooleanArray&>(array_).Value(index) ? "true" : "false");
  }
};

template <typename ArrowType>
class IntegerWriter final : public ValueWriter {
 public:
  using ValueWriter::ValueWriter;
  void write_valid(int64_t index, std::string& out) const override {
    char buffer[32];
    char* end = fmt::format_to(
        buffer, "{}", static_cast<const arrow::NumericArray<ArrowType>&>(array_).Value(index));
    out.append(buffer, static_cast<size_t>(end - buffer));
  }
};

template <typename ArrowType>
class FloatWriter final : public ValueWriter {
 public:
  using ValueWriter::ValueWriter;
  void write_valid(int64_t index, std::string& out) const override {
    append_float(static_cast<const arrow::NumericArray<ArrowType>&>(array_).Value(index), out);
  }
};

// fp16 values as the shortest text of their (exact) float32 value.
class HalfFloatWriter final : public ValueWriter {
 public:
  using ValueWriter::ValueWriter;
  void write_valid(int64_t index, std::string& out) const override {
    append_float(half_to_float(static_cast<const arrow::HalfFloatArray&>(array_).Value(index)),
                 out);
  }
};

template <typename ArrayType>
class StringWriter final : public ValueWriter {
 public:
  using ValueWriter::ValueWriter;
  void write_valid(int64_t index, std::string& out) const override {
    append_json_string(static_cast<const ArrayType&>(array_).GetView(index), out);
  }
};

template <typename ArrayType>
class ListWriter final : public ValueWriter {
 public:
  ListWriter(const arrow::Array& array, std::unique_ptr<ValueWriter> values)
      : ValueWriter(array), values_(std::move(values)) {}
  void write_valid(int64_t index, std::string& out) const override {
    const auto& list = static_cast<const ArrayType&>(array_);
    const int64_t first = list.value_offset(index);
    const int64_t count = list.value_length(index);
    out.push_back('[');
    for (int64_t i = 0; i < count; ++i) {
      if (i > 0) out.push_back(',');
      values_->write(first + i, out);
    }
    out.push_back(']');
  }

 private:
  std::unique_ptr<ValueWriter> values_;
};

class StructWriter final : public ValueWriter {
 public:
  StructWriter(const arrow::Array& array, std::vector<std::string> keys,
               std::vector<std::unique_ptr<ValueWriter>> fields)
      : ValueWriter(array), keys_(std::move(keys)), fields_(std::move(fields)) {}
  void write_valid(int64_t index, std::string& out) const override {
    out.push_back('{');
    for (size_t f = 0; f < fields_.size(); ++f) {
      out.append(keys_[f]);
      fields_[f]->write(index, out);
    }
    out.push_back('}');
  }

 private:
  std::vector<std::string> keys_;  // `"name":` with a leading comma after the first
  std::vector<std::unique_ptr<ValueWriter>> fields_;
};

class DictionaryWriter final : public ValueWriter {
 public:
  DictionaryWriter(const arrow::Array& array, std::unique_ptr<ValueWriter> values)
      : ValueWriter(array), values_(std::move(values)) {}
  void write_valid(int64_t index, std::string& out) const override {
    values_->write(static_cast<const arrow::DictionaryArray&>(array_).GetValueIndex(index), out);
  }

 private:
  std::unique_ptr<ValueWriter> values_;
};

template <typename W, typename... Args>
Result<std::unique_ptr<ValueWriter>> writer(Args&&... args) {
  return std::unique_ptr<ValueWriter>(std::make_unique<W>(std::forward<Args>(args)...));
}

std::vector<std::string> object_keys(const std::vector<std::string>& names) {
  std::vector<std::string> keys;
  for (size_t i = 0; i < names.size(); ++i) {
    std::string key = i == 0 ? "" : ",";
    append_json_string(names[i], key);
    key.push_back(':');
    keys.push_back(std::move(key));
  }
  return keys;
}

Result<std::unique_ptr<ValueWriter>> make_writer(const arrow::Array& array,
                                                 const std::string& column) {
  using arrow::Type;
  switch (array.type_id()) {
    case Type::NA: return writer<NullWriter>(array);
    case Type::BOOL: return writer<BoolWriter>(array);
    case Type::INT8: return writer<IntegerWriter<arrow::Int8Type>>(array);
    case Type::INT16: return writer<IntegerWriter<arrow::Int16Type>>(array);
    case Type::INT32: return writer<IntegerWriter<arrow::Int32Type>>(array);
    case Type::INT64: return writer<IntegerWriter<arrow::Int64Type>>(array);
    case Type::UINT8: return writer<IntegerWriter<arrow::UInt8Type>>(array);
    case Type::UINT16: return writer<IntegerWriter<arrow::UInt16Type>>(array);
    case Type::UINT32: return writer<IntegerWriter<arrow::UInt32Type>>(array);
    case Type::UINT64: return writer<IntegerWriter<arrow::UInt64Type>>(array);
    case Type::HALF_FLOAT: return writer<HalfFloatWriter>(array);
    case Type::FLOAT: return writer<FloatWriter<arrow::FloatType>>(array);
    case Type::DOUBLE: return writer<FloatWriter<arrow::DoubleType>>(array);
    case Type::STRING: return writer<StringWriter<arrow::StringArray>>(array);
    case Type::LARGE_STRING: return writer<StringWriter<arrow::LargeStringArray>>(array);
    case Type::STRING_VIEW: return writer<StringWriter<arrow::StringViewArray>>(array);
    case Type::LIST: {
      SD_ASSIGN_OR_RETURN(auto values,
                          make_writer(*static_cast<const arrow::ListArray&>(array).values(), column));
      return writer<ListWriter<arrow::ListArray>>(array, std::move(values));
    }
    case Type::LARGE_LIST: {
      SD_ASSIGN_OR_RETURN(
          auto values, make_writer(*static_cast<const arrow::LargeListArray&>(array).values(), column));
      return writer<ListWriter<arrow::LargeListArray>>(array, std::move(values));
    }
    case Type::FIXED_SIZE_LIST: {
      SD_ASSIGN_OR_RETURN(
          auto values,
          make_writer(*static_cast<const arrow::FixedSizeListArray&>(array).values(), column));
      return writer<ListWriter<arrow::FixedSizeListArray>>(array, std::move(values));
    }
    case Type::STRUCT: {
      const auto& structs = static_cast<const arrow::StructArray&>(array);
      std::vector<std::string> names;
      std::vector<std::unique_ptr<ValueWriter>> fields;
      for (int f = 0; f < structs.num_fields(); ++f) {
        names.push_back(structs.struct_type()->field(f)->name());
        SD_ASSIGN_OR_RETURN(auto field, make_writer(*structs.field(f), column));
        fields.push_back(std::move(field));
      }
      return writer<StructWriter>(array, object_keys(names), std::move(fields));
    }
    case Type::DICTIONARY: {
      SD_ASSIGN_OR_RETURN(
          auto values,
          make_writer(*static_cast<const arrow::DictionaryArray&>(array).dictionary(), column));
      return writer<DictionaryWriter>(array, std::move(values));
    }
    default:
      return Status::invalid_argument("column '{}' has type {}, which cannot be written as JSON",
                                      column, array.type()->ToString());
  }
}

}  // namespace

Result<JsonlFileWriter> JsonlFileWriter::open(const std::string& path,
                                              const std::shared_ptr<arrow::Schema>& schema,
                                              const JsonlWriteOptions& options) {
  if (!schema) return Status::internal("write_jsonl {}: no schema", path);
  std::vector<std::string> names;
  for (const auto& field : schema->fields()) names.push_back(field->name());
  // Type check before any file exists: an empty array of each column builds its writers.
  for (int c = 0; c < schema->num_fields(); ++c) {
    auto empty = arrow::MakeEmptyArray(schema->field(c)->type());
    if (!empty.ok()) return from_arrow(empty.status(), StatusCode::kIOError, path);
    auto checked = make_writer(**empty, names[static_cast<size_t>(c)]);
    if (!checked.ok()) return checked.status().with_context(path);
  }
  SD_ASSIGN_OR_RETURN(AtomicFile file, AtomicFile::create(path));
  JsonlFileWriter writer(std::move(file));
  writer.names_ = std::move(names);
  writer.keys_ = object_keys(writer.names_);
  writer.threads_ = std::max(1, options.threads);
  return writer;
}

Status JsonlFileWriter::write(const arrow::RecordBatch& batch) {
  std::vector<std::unique_ptr<ValueWriter>> writers;
  for (int c = 0; c < batch.num_columns(); ++c) {
    SD_ASSIGN_OR_RETURN(auto writer, make_writer(*batch.column(c), names_[static_cast<size_t>(c)]));
    writers.push_back(std::move(writer));
  }
  const int64_t rows = batch.num_rows();
  const int64_t n_blocks = (rows + kBlockRows - 1) / kBlockRows;
  // A group of blocks is formatted in parallel, then written in order: memory stays bounded by
  // the group, not the batch.
  const int64_t group = static_cast<int64_t>(threads_) * 4;
  std::vector<std::string> blocks;
  for (int64_t first_block = 0; first_block < n_blocks; first_block += group) {
    const int64_t count = std::min(group, n_blocks - first_block);
    blocks.resize(static_cast<size_t>(count));
#pragma omp parallel for num_threads(threads_) schedule(dynamic, 1)
    for (int64_t b = 0; b < count; ++b) {
      std::string& out = blocks[static_cast<size_t>(b)];
      out.clear();
      const int64_t begin = (first_block + b) * kBlockRows;
      const int64_t end = std::min(rows, begin + kBlockRows);
      for (int64_t row = begin; row < end; ++row) {
        out.push_back('{');
        for (size_t c = 0; c < writers.size(); ++c) {
          out.append(keys_[c]);
          writers[c]->write(row, out);
        }
        out.append("}\n");
      }
    }
    for (const std::string& block : blocks) SD_RETURN_IF_ERROR(file_.write(block));
  }
  return Status::OK();
}

Status write_jsonl(const std::string& path, const std::shared_ptr<arrow::Table>& table,
                   const JsonlWriteOptions& options) {
  if (!table) return Status::internal("write_jsonl {}: no table", path);
  SD_ASSIGN_OR_RETURN(JsonlFileWriter writer, JsonlFileWriter::open(path, table->schema(), options));
  arrow::TableBatchReader reader(*table);
  while (true) {
    std::shared_ptr<arrow::RecordBatch> batch;
    const arrow::Status st = reader.ReadNext(&batch);
    if (!st.ok()) return from_arrow(st, StatusCode::kIOError, path);
    if (!batch) break;
    SD_RETURN_IF_ERROR(writer.write(*batch));
  }
  return writer.commit();
}

}  // namespace semdedup::io
