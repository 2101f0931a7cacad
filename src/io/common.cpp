#include "semdedup/io/common.hpp"

#include "semdedup/io/filesystem.hpp"
#include "semdedup/io/output_dir.hpp"

namespace semdedup::io {

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

std::string quoted_names(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& name : names) {
    if (!out.empty()) out += ", ";
    out += "'" + name + "'";
  }
  return out;
}

Status remove_stale_temp_files(const std::string& dir) {
  SD_ASSIGN_OR_RETURN(const std::vector<Entry> entries, list_directory(dir, /*recursive=*/true));
  for (const Entry& entry : entries) {
    if (entry.type == EntryType::kFile && is_temp_file_name(entry.name)) {
      const Status removed = remove_file(entry.path);
      if (!removed.ok()) {
        return Status::io_error("cannot remove stale temporary file {}: {}", entry.path,
                                removed.message());
      }
    }
  }
  return Status::OK();
}

Status prepare_output_dir(const std::string& dir, OutputMode mode, bool data_files_are_own) {
  const EntryType type = path_type(dir);
  if (type != EntryType::kMissing) {
    if (type != EntryType::kDirectory) {
      return Status::io_error("output {} exists and is not a directory", dir);
    }
    // The markers alone (a manifest written just before) hold nothing to keep or to lose.
    SD_ASSIGN_OR_RETURN(const auto entries, list_directory(dir));
    const bool empty = entries.empty() || holds_only_markers(dir);
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
  const Status created = create_directories(dir);
  if (!created.ok()) {
    return Status::io_error("cannot create output directory {}: {}", dir, created.message());
  }
  return Status::OK();
}

}  // namespace semdedup::io
