#include "semdedup/io/filesystem.hpp"

#include <arrow/filesystem/localfs.h>
#include <arrow/filesystem/s3fs.h>
#include <arrow/io/interfaces.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <system_error>

#include "io/arrow_status.hpp"

namespace semdedup::io {

namespace stdfs = std::filesystem;

namespace {

constexpr std::string_view kS3Scheme = "s3://";
constexpr std::string_view kFileScheme = "file://";

// The canonical key of each accepted spelling (fsspec's and boto's names beside Arrow's).
const std::map<std::string, std::string>& key_aliases() {
  static const std::map<std::string, std::string> kAliases = {
      {"endpoint_override", "endpoint_override"},
      {"endpoint_url", "endpoint_override"},
      {"client_kwargs.endpoint_url", "endpoint_override"},
      {"region", "region"},
      {"region_name", "region"},
      {"client_kwargs.region_name", "region"},
      {"access_key", "access_key"},
      {"key", "access_key"},
      {"aws_access_key_id", "access_key"},
      {"secret_key", "secret_key"},
      {"secret", "secret_key"},
      {"aws_secret_access_key", "secret_key"},
      {"session_token", "session_token"},
      {"token", "session_token"},
      {"aws_session_token", "session_token"},
      {"scheme", "scheme"},
      {"anonymous", "anonymous"},
      {"anon", "anonymous"},
      {"allow_bucket_creation", "allow_bucket_creation"},
      {"connect_timeout", "connect_timeout"},
      {"request_timeout", "request_timeout"},
  };
  return kAliases;
}

Result<bool> parse_bool(const std::string& key, const std::string& value) {
  if (value == "true" || value == "True" || value == "1") return true;
  if (value == "false" || value == "False" || value == "0") return false;
  return Status::invalid_argument("storage option {}: expected true or false, got '{}'", key, value);
}

Result<double> parse_seconds(const std::string& key, const std::string& value) {
  char* end = nullptr;
  const double seconds = std::strtod(value.c_str(), &end);
  if (value.empty() || end != value.c_str() + value.size() || !(seconds > 0)) {
    return Status::invalid_argument("storage option {}: expected seconds > 0, got '{}'", key,
                                    value);
  }
  return seconds;
}

// The options by canonical key; invalid_argument for an unknown key or two spellings of one.
Result<StorageOptions> canonical_options(const StorageOptions& options) {
  StorageOptions out;
  for (const auto& [key, value] : options) {
    const auto alias = key_aliases().find(key);
    if (alias == key_aliases().end()) {
      return Status::invalid_argument(
          "unknown storage option '{}' (endpoint_override, region, access_key, secret_key, "
          "session_token, scheme, anonymous, allow_bucket_creation, connect_timeout, "
          "request_timeout)",
          key);
    }
    if (!out.emplace(alias->second, value).second) {
      return Status::invalid_argument("storage option {} is given twice (as '{}')", alias->second,
                                      key);
    }
  }
  if (out.contains("scheme") && out["scheme"] != "http" && out["scheme"] != "https") {
    return Status::invalid_argument("storage option scheme: expected http or https, got '{}'",
                                    out["scheme"]);
  }
  if (out.contains("access_key") != out.contains("secret_key")) {
    return Status::invalid_argument("storage options access_key and secret_key go together");
  }
  for (const char* key : {"anonymous", "allow_bucket_creation"}) {
    if (out.contains(key)) SD_RETURN_IF_ERROR(parse_bool(key, out[key]).status());
  }
  for (const char* key : {"connect_timeout", "request_timeout"}) {
    if (out.contains(key)) SD_RETURN_IF_ERROR(parse_seconds(key, out[key]).status());
  }
  return out;
}

Result<arrow::fs::S3Options> s3_options(StorageOptions options) {
  arrow::fs::S3Options s3 = arrow::fs::S3Options::Defaults();
  bool anonymous = false;
  if (!options["anonymous"].empty()) {
    SD_ASSIGN_OR_RETURN(anonymous, parse_bool("anonymous", options["anonymous"]));
  }
  if (anonymous) {
    s3.ConfigureAnonymousCredentials();
  } else if (!options["access_key"].empty()) {
    s3.ConfigureAccessKey(options["access_key"], options["secret_key"], options["session_token"]);
  }
  // The AWS CLI's variable for a custom endpoint, which the SDK alone does not read everywhere.
  std::string endpoint = options["endpoint_override"];
  if (endpoint.empty()) {
    for (const char* name : {"AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL"}) {
      if (const char* value = std::getenv(name); value != nullptr && *value != '\0') {
        endpoint = value;
        break;
      }
    }
  }
  for (std::string_view scheme : {"http", "https"}) {
    const std::string prefix = std::string(scheme) + "://";
    if (endpoint.starts_with(prefix)) {
      s3.scheme = std::string(scheme);
      endpoint.erase(0, prefix.size());
    }
  }
  while (endpoint.ends_with('/')) endpoint.pop_back();
  s3.endpoint_override = endpoint;
  if (!options["scheme"].empty()) s3.scheme = options["scheme"];
  if (!options["region"].empty()) {
    s3.region = options["region"];
  } else if (s3.region.empty()) {
    s3.region = "us-east-1";
  }
  if (!options["allow_bucket_creation"].empty()) {
    SD_ASSIGN_OR_RETURN(s3.allow_bucket_creation,
                        parse_bool("allow_bucket_creation", options["allow_bucket_creation"]));
  }
  if (!options["connect_timeout"].empty()) {
    SD_ASSIGN_OR_RETURN(s3.connect_timeout,
                        parse_seconds("connect_timeout", options["connect_timeout"]));
  }
  if (!options["request_timeout"].empty()) {
    SD_ASSIGN_OR_RETURN(s3.request_timeout,
                        parse_seconds("request_timeout", options["request_timeout"]));
  }
  return s3;
}

// The process's filesystems: options set once at start-up, the S3 filesystem made on first use.
struct Storage {
  std::mutex mutex;
  StorageOptions options;
  std::shared_ptr<arrow::fs::FileSystem> local = std::make_shared<arrow::fs::LocalFileSystem>();
  std::shared_ptr<arrow::fs::FileSystem> local_mapped = std::make_shared<arrow::fs::LocalFileSystem>(
      [] {
        auto options = arrow::fs::LocalFileSystemOptions::Defaults();
        options.use_mmap = true;
        return options;
      }());
  std::shared_ptr<arrow::fs::FileSystem> s3;
  bool s3_initialised = false;
};

// The atexit handler finalize_storage is registered after this is constructed, so it runs
// before this is destroyed.
Storage& storage() {
  static Storage instance;
  return instance;
}

Result<std::shared_ptr<arrow::fs::FileSystem>> s3_filesystem() {
  Storage& st = storage();
  std::lock_guard lock(st.mutex);
  if (st.s3) return st.s3;
  if (!st.s3_initialised) {
    // Ensure...: the Python package's process may have initialised it through pyarrow already
    // (one libarrow for both).
    SD_RETURN_IF_ERROR(from_arrow(arrow::fs::EnsureS3Initialized(), StatusCode::kIOError,
                                  "cannot initialise S3 support"));
    st.s3_initialised = true;
    std::atexit(finalize_storage);
  }
  SD_ASSIGN_OR_RETURN(const StorageOptions options, canonical_options(st.options));
  SD_ASSIGN_OR_RETURN(const arrow::fs::S3Options s3, s3_options(options));
  SD_ASSIGN_OR_RETURN(st.s3, from_arrow(arrow::fs::S3FileSystem::Make(s3), StatusCode::kIOError,
                                        "cannot open S3"));
  return st.s3;
}

std::string without_trailing_slashes(std::string path) {
  while (path.size() > 1 && path.ends_with('/')) path.pop_back();
  return path;
}

bool is_file_uri(std::string_view path) { return path.starts_with(kFileScheme); }

// The local path of a plain path or a file:// URI.
std::string local_path(const std::string& path) {
  return is_file_uri(path) ? path.substr(kFileScheme.size()) : path;
}

Status arrow_io(const arrow::Status& status, std::string_view context) {
  return from_arrow(status, StatusCode::kIOError, context);
}

EntryType local_type(const stdfs::file_status& status) {
  switch (status.type()) {
    case stdfs::file_type::not_found:
      return EntryType::kMissing;
    case stdfs::file_type::regular:
      return EntryType::kFile;
    case stdfs::file_type::directory:
      return EntryType::kDirectory;
    case stdfs::file_type::symlink:
      return EntryType::kSymlink;
    default:
      return EntryType::kOther;
  }
}

int64_t nanoseconds(std::chrono::system_clock::time_point::duration since_epoch) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(since_epoch).count();
}

// Local stat through std::filesystem: Arrow's LocalFileSystem follows symlinks, which the
// output guards must see.
Entry local_entry(const std::string& spelled, const stdfs::path& path, bool no_follow) {
  std::error_code ec;
  Entry entry{spelled, file_name(spelled), EntryType::kMissing, -1, 0};
  const stdfs::file_status status =
      no_follow ? stdfs::symlink_status(path, ec) : stdfs::status(path, ec);
  entry.type = local_type(status);
  if (entry.type == EntryType::kFile) {
    entry.size = static_cast<int64_t>(stdfs::file_size(path, ec));
    const auto mtime = stdfs::last_write_time(path, ec);
    entry.mtime_ns = nanoseconds(
        std::chrono::file_clock::to_sys(mtime).time_since_epoch());
  }
  return entry;
}

Entry s3_entry(const std::string& spelled, const arrow::fs::FileInfo& info) {
  Entry entry{spelled, file_name(spelled), EntryType::kMissing, -1, 0};
  switch (info.type()) {
    case arrow::fs::FileType::File:
      entry.type = EntryType::kFile;
      entry.size = info.size();
      entry.mtime_ns = nanoseconds(info.mtime().time_since_epoch());
      break;
    case arrow::fs::FileType::Directory:
      entry.type = EntryType::kDirectory;
      break;
    case arrow::fs::FileType::NotFound:
      entry.type = EntryType::kMissing;
      break;
    default:
      entry.type = EntryType::kOther;
  }
  return entry;
}

}  // namespace

Status validate_storage_options(const StorageOptions& options) {
  return canonical_options(options).status();
}

Status configure_storage(const StorageOptions& options) {
  SD_RETURN_IF_ERROR(validate_storage_options(options));
  Storage& st = storage();
  std::lock_guard lock(st.mutex);
  st.options = options;
  st.s3.reset();
  return Status::OK();
}

void finalize_storage() {
  Storage& st = storage();
  std::lock_guard lock(st.mutex);
  st.s3.reset();
  if (st.s3_initialised) {
    (void)arrow::fs::EnsureS3Finalized();
    st.s3_initialised = false;
  }
}

bool is_s3_path(std::string_view path) {
  if (path.size() < kS3Scheme.size()) return false;
  return std::equal(kS3Scheme.begin(), kS3Scheme.end(), path.begin(),
                    [](char a, char b) { return a == std::tolower(static_cast<unsigned char>(b)); });
}

Result<Location> resolve(const std::string& path) {
  if (is_s3_path(path)) {
    std::string key = path.substr(kS3Scheme.size());
    while (key.ends_with('/')) key.pop_back();
    if (key.empty() || key.starts_with('/')) {
      return Status::invalid_argument("{}: an s3 path names a bucket: s3://bucket/key", path);
    }
    SD_ASSIGN_OR_RETURN(auto fs, s3_filesystem());
    return Location{std::move(fs), std::move(key), false};
  }
  const size_t scheme = path.find("://");
  if (scheme != std::string::npos && !is_file_uri(path) &&
      path.find('/') == scheme + 1) {
    return Status::invalid_argument("{}: unsupported scheme '{}' (local paths, file:// and s3://)",
                                    path, path.substr(0, scheme));
  }
  return Location{storage().local, local_path(path), true};
}

std::string strip_file_scheme(const std::string& path) { return local_path(path); }

std::string join_path(const std::string& dir, std::string_view name) {
  if (is_s3_path(dir)) {
    std::string joined = dir;
    while (joined.ends_with('/') && joined.size() > kS3Scheme.size()) joined.pop_back();
    joined += '/';
    joined += name;
    return joined;
  }
  return (stdfs::path(dir) / name).string();
}

std::string parent_path(const std::string& path) {
  if (is_s3_path(path)) {
    const std::string trimmed = without_trailing_slashes(path);
    const size_t slash = trimmed.rfind('/');
    if (slash == std::string::npos || slash < kS3Scheme.size()) return std::string(kS3Scheme);
    return trimmed.substr(0, slash);
  }
  return stdfs::path(path).parent_path().string();
}

std::string file_name(const std::string& path) {
  if (is_s3_path(path)) {
    const std::string trimmed = without_trailing_slashes(path);
    const size_t slash = trimmed.rfind('/');
    return slash == std::string::npos ? trimmed : trimmed.substr(slash + 1);
  }
  return stdfs::path(path).filename().string();
}

Result<Entry> stat_path(const std::string& path, bool no_follow) {
  if (!is_s3_path(path)) return local_entry(path, local_path(path), no_follow);
  SD_ASSIGN_OR_RETURN(const Location loc, resolve(path));
  SD_ASSIGN_OR_RETURN(const arrow::fs::FileInfo info,
                      from_arrow(loc.fs->GetFileInfo(loc.path), StatusCode::kIOError, path));
  return s3_entry(path, info);
}

EntryType path_type(const std::string& path) {
  const Result<Entry> entry = stat_path(path);
  return entry.ok() ? entry->type : EntryType::kMissing;
}

bool path_exists(const std::string& path) { return path_type(path) != EntryType::kMissing; }
bool is_directory(const std::string& path) { return path_type(path) == EntryType::kDirectory; }
bool is_regular_file(const std::string& path) { return path_type(path) == EntryType::kFile; }

Result<std::vector<Entry>> list_directory(const std::string& dir, bool recursive,
                                          bool follow_symlinks) {
  std::vector<Entry> entries;
  if (!is_s3_path(dir)) {
    std::error_code ec;
    const stdfs::path root(local_path(dir));
    auto add = [&](const stdfs::path& path) {
      const std::string relative = path.lexically_relative(root).string();
      entries.push_back(local_entry(join_path(dir, relative), path, !follow_symlinks));
    };
    if (recursive) {
      const auto options = follow_symlinks ? stdfs::directory_options::follow_directory_symlink
                                           : stdfs::directory_options::none;
      for (stdfs::recursive_directory_iterator it(root, options, ec), end; !ec && it != end;
           it.increment(ec)) {
        add(it->path());
      }
    } else {
      for (stdfs::directory_iterator it(root, ec), end; !ec && it != end; it.increment(ec)) {
        add(it->path());
      }
    }
    if (ec) return Status::io_error("cannot list {}: {}", dir, ec.message());
  } else {
    SD_ASSIGN_OR_RETURN(const Location loc, resolve(dir));
    arrow::fs::FileSelector selector;
    selector.base_dir = loc.path;
    selector.recursive = recursive;
    SD_ASSIGN_OR_RETURN(
        const auto infos,
        from_arrow(loc.fs->GetFileInfo(selector), StatusCode::kIOError, "cannot list " + dir));
    for (const auto& info : infos) {
      const std::string& full = info.path();
      if (full.size() <= loc.path.size() + 1) continue;
      entries.push_back(s3_entry(join_path(dir, full.substr(loc.path.size() + 1)), info));
    }
  }
  std::sort(entries.begin(), entries.end(),
            [](const Entry& a, const Entry& b) { return a.path < b.path; });
  return entries;
}

Status create_directories(const std::string& dir) {
  SD_ASSIGN_OR_RETURN(const Location loc, resolve(dir));
  if (!loc.local) {
    // S3 has no directories: only the bucket must exist (and is made when allowed).
    const size_t slash = loc.path.find('/');
    const std::string bucket = loc.path.substr(0, slash);
    SD_ASSIGN_OR_RETURN(const arrow::fs::FileInfo info,
                        from_arrow(loc.fs->GetFileInfo(bucket), StatusCode::kIOError, dir));
    if (info.type() == arrow::fs::FileType::Directory) return Status::OK();
    return arrow_io(loc.fs->CreateDir(bucket, false), "cannot create " + dir);
  }
  return arrow_io(loc.fs->CreateDir(loc.path, true), "cannot create directory " + dir);
}

Status remove_file(const std::string& path) {
  SD_ASSIGN_OR_RETURN(const Entry entry, stat_path(path, true));
  if (entry.type == EntryType::kMissing) return Status::OK();
  SD_ASSIGN_OR_RETURN(const Location loc, resolve(path));
  if (loc.local) {
    // Arrow's DeleteFile follows a symlink to refuse a directory; the link itself goes here.
    std::error_code ec;
    stdfs::remove(local_path(path), ec);
    if (ec) return Status::io_error("cannot remove {}: {}", path, ec.message());
    return Status::OK();
  }
  return arrow_io(loc.fs->DeleteFile(loc.path), "cannot remove " + path);
}

Status remove_all(const std::string& path) {
  SD_ASSIGN_OR_RETURN(const Entry entry, stat_path(path, true));
  if (entry.type == EntryType::kMissing) return Status::OK();
  if (entry.type != EntryType::kDirectory) return remove_file(path);
  SD_ASSIGN_OR_RETURN(const Location loc, resolve(path));
  return arrow_io(loc.fs->DeleteDir(loc.path), "cannot remove " + path);
}

Status move_path(const std::string& from, const std::string& to) {
  SD_ASSIGN_OR_RETURN(const Location source, resolve(from));
  SD_ASSIGN_OR_RETURN(const Location target, resolve(to));
  if (source.local != target.local) {
    return Status::internal("cannot move {} to {}: different filesystems", from, to);
  }
  const std::string context = "cannot rename " + from + " to " + to;
  if (!source.local) {
    // S3 moves objects one by one (copy, then delete): a prefix is moved object by object.
    SD_ASSIGN_OR_RETURN(const arrow::fs::FileInfo info,
                        from_arrow(source.fs->GetFileInfo(source.path), StatusCode::kIOError, context));
    if (info.type() == arrow::fs::FileType::Directory) {
      arrow::fs::FileSelector selector;
      selector.base_dir = source.path;
      selector.recursive = true;
      SD_ASSIGN_OR_RETURN(const auto infos, from_arrow(source.fs->GetFileInfo(selector),
                                                       StatusCode::kIOError, context));
      for (const auto& inner : infos) {
        if (inner.type() != arrow::fs::FileType::File) continue;
        const std::string relative = inner.path().substr(source.path.size());
        SD_RETURN_IF_ERROR(
            arrow_io(source.fs->Move(inner.path(), target.path + relative), context));
      }
      return arrow_io(source.fs->DeleteDir(source.path), context);
    }
  }
  return arrow_io(source.fs->Move(source.path, target.path), context);
}

Result<std::shared_ptr<arrow::io::RandomAccessFile>> open_input_file(const std::string& path,
                                                                     std::string_view context,
                                                                     bool memory_map) {
  SD_ASSIGN_OR_RETURN(const Location loc, resolve(path));
  const auto& fs = loc.local && memory_map ? storage().local_mapped : loc.fs;
  return from_arrow(fs->OpenInputFile(loc.path), StatusCode::kIOError,
                    context.empty() ? std::string_view(path) : context);
}

Result<std::shared_ptr<arrow::io::InputStream>> open_input_stream(const std::string& path,
                                                                  std::string_view context) {
  SD_ASSIGN_OR_RETURN(const Location loc, resolve(path));
  return from_arrow(loc.fs->OpenInputStream(loc.path), StatusCode::kIOError,
                    context.empty() ? std::string_view(path) : context);
}

Result<std::shared_ptr<arrow::io::OutputStream>> open_output_stream(const std::string& path) {
  SD_ASSIGN_OR_RETURN(const Location loc, resolve(path));
  return from_arrow(loc.fs->OpenOutputStream(loc.path), StatusCode::kIOError,
                    "cannot create " + path);
}

Result<std::string> read_whole_file(const std::string& path) {
  SD_ASSIGN_OR_RETURN(auto file, open_input_file(path));
  SD_ASSIGN_OR_RETURN(const int64_t size,
                      from_arrow(file->GetSize(), StatusCode::kIOError, path));
  std::string text(static_cast<size_t>(size), '\0');
  SD_ASSIGN_OR_RETURN(const int64_t read,
                      from_arrow(file->ReadAt(0, size, text.data()), StatusCode::kIOError, path));
  text.resize(static_cast<size_t>(read));
  return text;
}

}  // namespace semdedup::io
