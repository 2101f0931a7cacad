#pragma once
/// \file Where semdedup's files live: every read, listing, write, rename and delete goes through
/// one of Arrow's filesystems, chosen from the path. A plain path or a `file://` URI is local
/// (arrow::fs::LocalFileSystem); `s3://bucket/key` is object storage (arrow::fs::S3FileSystem),
/// with credentials and endpoint taken the way AWS tools take them: the environment and AWS
/// config files (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, AWS_REGION,
/// AWS_ENDPOINT_URL, ...), overridden by the storage options (configure_storage).
///
/// Paths stay strings everywhere: a local path keeps the spelling it was given (messages and
/// manifests show it unchanged), an s3 path is the URI.

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "semdedup/core/status.hpp"

namespace arrow {
namespace fs {
class FileSystem;
}  // namespace fs
namespace io {
class InputStream;
class OutputStream;
class RandomAccessFile;
}  // namespace io
}  // namespace arrow

namespace semdedup::io {

/// Object-storage options as (key, value) text: the CLI's --storage-options, YAML
/// `storage_options`, NeMo's `storage_options` (fsspec spellings are accepted). Keys:
/// endpoint_override (also endpoint_url, client_kwargs.endpoint_url; "http://host:port" sets
/// the scheme too), region (region_name, client_kwargs.region_name), access_key (key,
/// aws_access_key_id), secret_key (secret, aws_secret_access_key), session_token (token,
/// aws_session_token), scheme (http|https), anonymous (true|false), allow_bucket_creation
/// (true|false), connect_timeout and request_timeout (seconds).
using StorageOptions = std::map<std::string, std::string>;

/// Checks every key and value of `options` (invalid_argument naming the first bad one).
Status validate_storage_options(const StorageOptions& options);

/// Sets the options every later s3:// path is opened with, for the rest of the process (like
/// initialize_arrow, a start-up step: the CLI calls it once, after parsing its flags). Validates
/// them first. Local paths ignore them.
Status configure_storage(const StorageOptions& options);

/// Releases the S3 filesystem and finalises Arrow's S3 support (which must happen before the
/// process exits once S3 was used; it is also registered with atexit). Idempotent.
void finalize_storage();

/// True for "s3://..." (any case of the scheme).
bool is_s3_path(std::string_view path);

/// A path resolved to the filesystem that holds it.
struct Location {
  /// The filesystem (shared: one per process and kind).
  std::shared_ptr<arrow::fs::FileSystem> fs;
  /// The path as `fs` spells it: a local path as given (file:// removed), "bucket/key" on S3.
  std::string path;
  /// True for LocalFileSystem.
  bool local = true;
};

/// The filesystem and path of `path` (a local path, a file:// URI or an s3:// URI).
/// invalid_argument for another scheme or an s3 URI without a bucket.
Result<Location> resolve(const std::string& path);

/// A local path without its "file://" scheme (other paths unchanged), for the few local-only
/// operations (locks, canonical paths, globs, exclusive temporary files).
std::string strip_file_scheme(const std::string& path);

/// `dir` / `name`, spelled like `dir` (a local path as std::filesystem joins it; an s3 URI
/// with one '/').
std::string join_path(const std::string& dir, std::string_view name);
/// The directory holding `path` ("" when it has none); an s3 bucket's parent is "s3://".
std::string parent_path(const std::string& path);
/// The last component of `path` (trailing '/' ignored).
std::string file_name(const std::string& path);

/// What a path names. Symbolic links are reported only for local paths (S3 has none).
enum class EntryType { kMissing, kFile, kDirectory, kSymlink, kOther };

/// One entry of a listing, or the result of stat_path.
struct Entry {
  std::string path;      ///< spelled like the listed directory (join_path)
  std::string name;      ///< the last component
  EntryType type = EntryType::kMissing;
  int64_t size = -1;     ///< bytes, for files
  int64_t mtime_ns = 0;  ///< modification time, nanoseconds since the epoch (files)
};

/// What `path` names (kMissing when nothing). Follows symbolic links unless `no_follow`.
Result<Entry> stat_path(const std::string& path, bool no_follow = false);
/// stat_path(path).type, kMissing on any failure.
EntryType path_type(const std::string& path);
bool path_exists(const std::string& path);
bool is_directory(const std::string& path);
bool is_regular_file(const std::string& path);

/// The entries of directory `dir` (every level below it when `recursive`), sorted by path. A
/// local listing reports symlinks as kSymlink and does not enter them, unless
/// `follow_symlinks` (then they are what they lead to). io_error "cannot list <dir>: ..." when
/// `dir` cannot be listed (a missing one included).
Result<std::vector<Entry>> list_directory(const std::string& dir, bool recursive = false,
                                          bool follow_symlinks = false);

/// Creates `dir` and its missing parents (a no-op on S3 beyond checking the bucket).
Status create_directories(const std::string& dir);
/// Deletes one file; a missing one is not an error.
Status remove_file(const std::string& path);
/// Deletes `path` and everything under it; a missing one is not an error.
Status remove_all(const std::string& path);
/// Renames `from` to `to`, replacing a file at `to`: one atomic rename locally; on S3 each
/// object is copied, then deleted (a prefix object by object, so not atomic as a whole).
Status move_path(const std::string& from, const std::string& to);

/// Opens `path` for random access reads (Parquet, .npy); `memory_map` maps a local file.
/// Errors read "<context>: <Arrow's message>" (`context` defaults to the path).
Result<std::shared_ptr<arrow::io::RandomAccessFile>> open_input_file(
    const std::string& path, std::string_view context = {}, bool memory_map = false);
/// Opens `path` for one sequential read (JSON lines).
Result<std::shared_ptr<arrow::io::InputStream>> open_input_stream(const std::string& path,
                                                                  std::string_view context = {});
/// Opens `path` for writing, replacing it (S3: the object appears on Close()).
Result<std::shared_ptr<arrow::io::OutputStream>> open_output_stream(const std::string& path);
/// The whole content of `path`.
Result<std::string> read_whole_file(const std::string& path);

}  // namespace semdedup::io
