#include "semdedup/io/common.hpp"

#include <filesystem>
#include <system_error>

namespace semdedup::io {

namespace fs = std::filesystem;

Result<FileType> parse_file_type(std::string_view name) {
  if (name == "parquet") return FileType::kParquet;
  if (name == "jsonl") return FileType::kJsonl;
  return Status::invalid_argument("Unsupported filetype: {} (parquet|jsonl)", name);
}

std::string_view file_type_name(FileType type) {
  return type == FileType::kParquet ? "parquet" : "jsonl";
}

std::vector<std::string> default_extensions(FileType type) {
  if (type == FileType::kParquet) return {".parquet"};
  return {".jsonl", ".json"};
}

Result<InvalidRows> parse_invalid_rows(std::string_view name) {
  if (name == "error") return InvalidRows::kError;
  if (name == "skip") return InvalidRows::kSkip;
  return Status::invalid_argument("unknown --invalid-rows '{}' (error|skip)", name);
}

Status prepare_output_dir(const std::string& dir, OutputMode mode) {
  std::error_code ec;
  const fs::path path(dir);
  if (fs::exists(path, ec)) {
    if (!fs::is_directory(path, ec)) {
      return Status::io_error("output {} exists and is not a directory", dir);
    }
    const bool empty = fs::is_empty(path, ec);
    if (ec) return Status::io_error("cannot list output directory {}: {}", dir, ec.message());
    if (!empty) {
      if (mode == OutputMode::kFresh) {
        return Status::already_exists(
            "output directory {} is not empty; pass --resume to finish an earlier run or "
            "--overwrite to replace it",
            dir);
      }
      if (mode == OutputMode::kOverwrite) {
        fs::remove_all(path, ec);
        if (ec) return Status::io_error("cannot clear output directory {}: {}", dir, ec.message());
      }
    }
  }
  fs::create_directories(path, ec);
  if (ec) return Status::io_error("cannot create output directory {}: {}", dir, ec.message());
  return Status::OK();
}

}  // namespace semdedup::io
