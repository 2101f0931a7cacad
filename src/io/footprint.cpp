#include "semdedup/io/footprint.hpp"

#include <parquet/arrow/reader.h>
#include <parquet/file_reader.h>
#include <parquet/metadata.h>
#include <parquet/schema.h>
#include <unistd.h>

#include <cctype>
#include <charconv>
#include <cmath>
#include <exception>
#include <filesystem>
#include <fstream>
#include <string>
#include <system_error>

#include "io/parquet_open.hpp"
#include "semdedup/io/filesystem.hpp"

namespace semdedup::io {

Result<int64_t> embedding_bytes(const std::string& path, FileType type,
                                const std::string& embedding_field) {
  if (type == FileType::kJsonl) {
    const Result<Entry> entry = stat_path(path);
    if (!entry.ok() || entry->type != EntryType::kFile) {
      return Status::io_error("file {}: cannot stat: {}", path,
                              entry.ok() ? "not a regular file" : entry.status().message());
    }
    return entry->size;
  }
  SD_ASSIGN_OR_RETURN(const auto reader, open_parquet_file(path));
  const std::shared_ptr<parquet::FileMetaData> metadata = reader->parquet_reader()->metadata();
  // The embedding column's one leaf: `<field>.list.element` (or any nesting under <field>).
  const parquet::SchemaDescriptor& schema = *metadata->schema();
  int leaf = -1;
  for (int column = 0; column < schema.num_columns(); ++column) {
    if (schema.Column(column)->path()->ToDotVector().front() == embedding_field) {
      leaf = column;
      break;
    }
  }
  if (leaf < 0) {
    return Status::data_error("file {}: column '{}' not found", path, embedding_field);
  }
  int64_t values = 0;
  for (int group = 0; group < metadata->num_row_groups(); ++group) {
    values += metadata->RowGroup(group)->ColumnChunk(leaf)->num_values();
  }
  return values * static_cast<int64_t>(sizeof(float));
}

int64_t available_memory_bytes() {
  std::ifstream meminfo("/proc/meminfo");
  std::string key;
  int64_t kib = 0;
  std::string unit;
  while (meminfo >> key >> kib >> unit) {
    if (key == "MemAvailable:") return kib * 1024;
  }
  const long pages = sysconf(_SC_AVPHYS_PAGES);
  const long page_size = sysconf(_SC_PAGESIZE);
  return pages > 0 && page_size > 0 ? static_cast<int64_t>(pages) * page_size : 0;
}

Result<int64_t> parse_byte_size(std::string_view text) {
  const auto bad = [&] {
    return Status::invalid_argument(
        "'{}' is not a byte count (a number with an optional K, M, G or T suffix: 512M, 8G)", text);
  };
  double number = 0;
  const auto [end, err] = std::from_chars(text.data(), text.data() + text.size(), number);
  if (err != std::errc() || end == text.data() || !(number >= 0) || !std::isfinite(number)) {
    return bad();
  }
  std::string suffix(end, text.data() + text.size());
  for (char& c : suffix) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (suffix.ends_with("IB")) {
    suffix.resize(suffix.size() - 2);
  } else if (suffix.ends_with("B")) {
    suffix.resize(suffix.size() - 1);
  }
  double scale = 1;
  if (suffix == "K") {
    scale = 1024.0;
  } else if (suffix == "M") {
    scale = 1024.0 * 1024;
  } else if (suffix == "G") {
    scale = 1024.0 * 1024 * 1024;
  } else if (suffix == "T") {
    scale = 1024.0 * 1024 * 1024 * 1024;
  } else if (!suffix.empty()) {
    return bad();
  }
  const double bytes = number * scale;
  if (bytes >= 9.0e18) return bad();
  return static_cast<int64_t>(bytes);
}

}  // namespace semdedup::io
