#include "semdedup/dedup/remove.hpp"

#include <arrow/array.h>

#include <chrono>
#include <filesystem>
#include <set>

#include "semdedup/core/communicator.hpp"
#include "semdedup/io/common.hpp"
#include "semdedup/io/filesystem.hpp"
#include "semdedup/io/discovery.hpp"
#include "semdedup/io/remove_ids.hpp"

namespace semdedup::dedup {

namespace fs = std::filesystem;

Status RemoveParams::validate() const {
  if (input_paths.empty()) return Status::invalid_argument("no input path given");
  if (duplicates_path.empty()) return Status::invalid_argument("no duplicates directory given");
  if (output_path.empty()) return Status::invalid_argument("no output path given");
  if (id_field.empty()) return Status::invalid_argument("id_field must not be empty");
  return Status::OK();
}

Result<std::vector<std::string>> output_names(const std::vector<std::string>& inputs,
                                              const std::vector<std::string>& files,
                                              io::FileType type) {
  const bool one_dir = inputs.size() == 1 && io::is_directory(inputs[0]);
  const std::string extension(io::file_extension(type));
  std::vector<std::string> names;
  std::set<std::string> seen;
  for (const auto& file : files) {
    fs::path name = one_dir ? fs::path(file).lexically_relative(inputs[0]) : fs::path(file).filename();
    name.replace_extension(extension);
    if (!seen.insert(name.string()).second) {
      return Status::invalid_argument(
          "two input files map to the output name {}; give one input directory instead",
          name.string());
    }
    names.push_back(name.string());
  }
  return names;
}

Result<RemoveResult> remove_duplicates(const Context& ctx, const RemoveParams& params) {
  SD_RETURN_IF_ERROR(params.validate());
  const auto start = std::chrono::steady_clock::now();
  SD_ASSIGN_OR_RETURN(auto files, io::discover_files(params.input_paths, params.input_filetype,
                                                     params.input_file_extensions));
  SD_ASSIGN_OR_RETURN(auto names, output_names(params.input_paths, files, params.output_filetype));
  SD_ASSIGN_OR_RETURN(auto ids, io::read_id_set(params.duplicates_path));
  // Rank 0 prepares the directory before any rank writes into it.
  const int rank = ctx.comm->rank(), ranks = ctx.comm->size();
  SD_RETURN_IF_ERROR(ctx.comm->agree(
      rank == 0 ? io::prepare_output_dir(params.output_path, params.output_mode, true)
                : Status::OK()));

  RemoveResult result;
  result.duplicate_ids = ids.size();
  ProgressTask progress(*ctx.progress, "remove", static_cast<int64_t>(files.size()), "files");
  std::vector<std::string> written;  // by this rank, in this run
  // Under mpirun rank r filters the input files r, r + ranks, r + 2 ranks, ...
  const Status filtered_all = [&]() -> Status {
    for (size_t i = static_cast<size_t>(rank); i < files.size(); i += static_cast<size_t>(ranks)) {
      SD_RETURN_IF_ERROR(ctx.check_cancelled());
      const std::string out = io::join_path(params.output_path, names[i]);
      if (params.output_mode == io::OutputMode::kResume && io::path_exists(out)) {
        progress.advance(1);
        continue;
      }
      if (const Status made = io::create_directories(io::parent_path(out)); !made.ok()) {
        return Status::io_error("cannot create {}: {}", io::parent_path(out), made.message());
      }
      SD_ASSIGN_OR_RETURN(auto filtered,
                          io::remove_ids(files[i], params.input_filetype, out,
                                         params.output_filetype, params.id_field, ids));
      written.push_back(out);
      result.rows_in += filtered.rows_in;
      result.rows_out += filtered.rows_out;
      ++result.files;
      progress.advance(1);
    }
    return Status::OK();
  }();
  if (Status st = ctx.comm->agree(filtered_all); !st.ok()) {
    // A failure leaves no part of this run's output (an interruption keeps the finished files
    // for --resume); every rank removes the files it wrote.
    if (st.code() != StatusCode::kCancelled) {
      for (const auto& path : written) (void)io::remove_file(path);
    }
    return st;
  }
  std::vector<int64_t> totals{result.rows_in, result.rows_out, result.files};
  SD_RETURN_IF_ERROR(ctx.comm->allreduce_sum(totals.data(), 3));
  result.rows_in = totals[0];
  result.rows_out = totals[1];
  result.files = totals[2];
  result.rows_removed = result.rows_in - result.rows_out;
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  ctx.logger->info("remove: {} of {} rows removed over {} files", result.rows_removed,
                   result.rows_in, result.files);
  return result;
}

}  // namespace semdedup::dedup
