#include "semdedup/io/common.hpp"

#include <filesystem>
#include <system_error>

#include "semdedup/io/output_dir.hpp"

namespace semdedup::io {

namespace fs = std::filesystem;

Result<FileType> parse_file_type(std::string_view name) {
  if (auto type = enum_from_name(kFileTypeNames, name)) return *type;
  return Status::invalid_argument("Unsupported filetype: {} ({})", name,
                                  enum_names_joined(kFileTypeNames));
}

std::string_view file_type_name(FileType type) { return enum_name(kFileTypeNames, type); }

std::string_view file_extension(FileType type) {
  return type == FileType::kParquet ? kParquetExtension : kJsonlExtension;
}

std::vector<std::string> default_extensions(FileType type) {
  if (type == FileType::kParquet) return {std::string(kParquetExtension)};
  return {std::string(kJsonlExtension), std::string(kJsonExtension)};
}

Result<InvalidRows> parse_invalid_rows(std::string_view name) {
  if (auto mode = enum_from_name(kInvalidRowsNames, name)) return *mode;
  return Status::invalid_argument("unknown --invalid-rows '{}' ({})", name,
                                  enum_names_joined(kInvalidRowsNames));
}

std::string_view invalid_rows_name(InvalidRows mode) {
  return enum_name(kInvalidRowsNames, mode);
}

Status remove_stale_temp_files(const std::string& dir) {
  std::error_code ec;
  std::vector<fs::path> stale;
  for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::recursive_directory_iterator();
       it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (it->is_regular_file(ec) && is_temp_file_name(name)) {
      stale.push_back(it->path());
    }
  }
  if (ec) return Status::io_error("cannot list {}: {}", dir, ec.message());
  for (const auto& path : stale) {
    fs::remove(path, ec);
    if (ec) return Status::io_error("cannot remove stale temporary file {}: {}", path.string(), ec.message());
  }
  return Status::OK();
}

Status prepare_output_dir(const std::string& dir, OutputMode mode, bool data_files_are_own) {
  std::error_code ec;
  const fs::path path(dir);
  if (fs::exists(path, ec)) {
    if (!fs::is_directory(path, ec)) {
      return Status::io_error("output {} exists and is not a directory", dir);
    }
    // The markers alone (a manifest written just before) hold nothing to keep or to lose.
    const bool empty = fs::is_empty(path, ec) || holds_only_markers(dir);
    if (ec) return Status::io_error("cannot list output directory {}: {}", dir, ec.message());
    if (!empty) {
      if (mode == OutputMode::kFresh) {
        return Status::already_exists(
            "output directory {} is not empty; pass --resume to finish an earlier run or "
            "--overwrite to replace it",
            dir);
      }
      if (mode == OutputMode::kResume) SD_RETURN_IF_ERROR(remove_stale_temp_files(dir));
      if (mode == OutputMode::kOverwrite) SD_RETURN_IF_ERROR(clear_own_output(dir, data_files_are_own));
    }
  }
  fs::create_directories(path, ec);
  if (ec) return Status::io_error("cannot create output directory {}: {}", dir, ec.message());
  return Status::OK();
}

}  // namespace semdedup::io
