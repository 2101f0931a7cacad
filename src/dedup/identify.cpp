#include "semdedup/dedup/identify.hpp"

#include <arrow/array.h>

#include <chrono>
#include <optional>

#include "semdedup/core/communicator.hpp"
#include "semdedup/dedup/exact.hpp"
#include "semdedup/io/filesystem.hpp"
#include "semdedup/io/layout.hpp"
#include "semdedup/io/pairwise_results.hpp"

namespace semdedup::dedup {

std::string duplicates_dir(const std::string& output_path) {
  return io::join_path(output_path, io::kDuplicatesDir);
}

Result<IdentifyResult> identify(const Context& ctx, const IdentifyParams& params) {
  SD_RETURN_IF_ERROR(params.validate());
  const auto start = std::chrono::steady_clock::now();
  SD_ASSIGN_OR_RETURN(auto cluster_files, io::list_cluster_files(params.input_path));
  IdentifyResult result;
  result.clusters = static_cast<int64_t>(cluster_files.size());
  if (cluster_files.empty()) {
    ctx.logger->warn("No {} files found in: {}", io::cluster_file_pattern(), params.input_path);
    return result;
  }
  // Before anything is written: a missing KMeans output leaves nothing behind.
  std::optional<ExactCopies> exact;
  if (params.exact) {
    SD_ASSIGN_OR_RETURN(
        exact, ExactCopies::open(params.kmeans_path.empty() ? kmeans_dir_beside(params.input_path)
                                                            : params.kmeans_path,
                                 params.id_field, params.embedding_field));
  }
  const std::string final_dir = duplicates_dir(params.output_path);
  // The files go to a hidden directory beside duplicates/ that replaces it once every file is
  // written, so a failure leaves the earlier duplicates/ (or none), never a part of the new one.
  // The output is locked, so one fixed name serves every rank.
  const std::string out_dir =
      io::join_path(params.output_path, io::staging_dir_name(io::kDuplicatesDir));
  // Rank 0 prepares the directories before any rank writes into them.
  const int rank = ctx.comm->rank(), ranks = ctx.comm->size();
  SD_RETURN_IF_ERROR(ctx.comm->agree(rank == 0 ? [&]() -> Status {
    if (params.output_mode == io::OutputMode::kFresh) {
      SD_RETURN_IF_ERROR(io::prepare_output_dir(final_dir, params.output_mode));
    }
    Status made = io::remove_all(out_dir);
    if (made.ok()) made = io::create_directories(out_dir);
    if (!made.ok()) return Status::io_error("cannot create {}: {}", out_dir, made.message());
    return Status::OK();
  }()
                                               : Status::OK()));

  const double threshold = 1.0 - params.eps;
  const int64_t batches =
      (result.clusters + params.clusters_per_file - 1) / params.clusters_per_file;
  ProgressTask progress(*ctx.progress, "identify", result.clusters, "clusters");
  // Under mpirun rank r writes the output files r, r + ranks, r + 2 ranks, ...
  const Status written = [&]() -> Status {
    for (int64_t batch = rank; batch < batches; batch += ranks) {
      SD_RETURN_IF_ERROR(ctx.check_cancelled());
      const int64_t first = batch * params.clusters_per_file;
      const int64_t last = std::min(result.clusters, first + params.clusters_per_file);
      std::vector<std::string> paths;
      for (int64_t i = first; i < last; ++i) paths.push_back(cluster_files[i].path);
      std::shared_ptr<arrow::Array> ids;
      if (exact) {
        std::vector<std::shared_ptr<arrow::ChunkedArray>> file_ids;
        std::vector<std::vector<uint8_t>> flags;
        for (int64_t i = first; i < last; ++i) {
          SD_ASSIGN_OR_RETURN(auto rows, io::read_pairwise_rows(cluster_files[i].path));
          SD_ASSIGN_OR_RETURN(auto copies, exact->flags(cluster_files[i].cluster, rows));
          file_ids.push_back(rows.ids);
          flags.push_back(std::move(copies));
        }
        SD_ASSIGN_OR_RETURN(ids, io::select_flagged_ids(file_ids, flags));
      } else {
        SD_ASSIGN_OR_RETURN(ids, io::select_ids_at_or_above(paths, threshold));
      }
      const std::string path =
          io::join_path(out_dir, io::numbered_file_name(batch, io::kParquetExtension));
      SD_RETURN_IF_ERROR(io::write_id_file(path, ids, params.row_groups_per_file));
      result.duplicates += ids->length();
      ++result.files;
      progress.advance(last - first);
    }
    return Status::OK();
  }();
  // Once every rank has written, rank 0 moves the files into place (or drops them).
  const Status all_written = ctx.comm->agree(written);
  SD_RETURN_IF_ERROR(ctx.comm->agree(rank != 0 ? Status::OK() : [&]() -> Status {
    Status moved = all_written;
    if (moved.ok()) moved = io::remove_all(final_dir);
    if (moved.ok()) moved = io::move_path(out_dir, final_dir);
    if (moved.ok()) return Status::OK();
    (void)io::remove_all(out_dir);
    if (!all_written.ok()) return all_written;
    return Status::io_error("cannot move the identified ids into {}: {}", final_dir,
                            moved.message());
  }()));
  std::vector<int64_t> totals{result.duplicates, result.files};
  SD_RETURN_IF_ERROR(ctx.comm->allreduce_sum(totals.data(), 2));
  result.duplicates = totals[0];
  result.files = totals[1];
  result.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (params.exact) {
    ctx.logger->info("identify: {} exact copies in {} clusters", result.duplicates,
                     result.clusters);
  } else {
    ctx.logger->info("identify: {} duplicates (score >= {:.6g}, eps={}) in {} clusters",
                     result.duplicates, threshold, params.eps, result.clusters);
  }
  return result;
}

}  // namespace semdedup::dedup
