#include "kmeans/fit_plan.hpp"

#include "semdedup/core/communicator.hpp"
#include "semdedup/io/footprint.hpp"
#include "semdedup/kmeans/stage.hpp"

namespace semdedup::kmeans {

Result<FitPlan> plan_fit(const Context& ctx, const Params& params,
                         const std::vector<std::string>& files, bool fitting) {
  const auto num_files = static_cast<int64_t>(files.size());
  FitPlan plan;
  if (params.fit_data_fraction) {
    const double fraction = *params.fit_data_fraction;
    bool rounded_to_zero = false;
    const int64_t count = fit_file_count(num_files, fraction, &rounded_to_zero);
    if (rounded_to_zero && fitting) {
      ctx.logger->warn(
          "fit_data_fraction={} of {} files would sample 0 files; fitting on 1 file instead",
          fraction, num_files);
    }
    plan.files = python_sample(num_files, count, params.fit.random_state);
    plan.how = fmt::format("fit_data_fraction={:.4f}", fraction);
    return plan;
  }
  // Every rank estimates every file (footers only), so all agree on the plan whatever the rank
  // count. A file that cannot be estimated counts 0: reading it reports the problem with the
  // reader's own message (file, column, row).
  std::vector<int64_t> bytes;
  int64_t total = 0;
  for (const auto& file : files) {
    const Result<int64_t> size =
        io::embedding_bytes(file, params.input_filetype, params.columns.embedding_field);
    bytes.push_back(size.ok() ? *size : 0);
    total += bytes.back();
  }
  // Rank 0's budget for every rank (their available memory may differ).
  int64_t budget = ctx.comm->rank() != 0     ? 0
                   : params.memory_limit > 0 ? params.memory_limit
                                             : io::available_memory_bytes() / 2;
  SD_RETURN_IF_ERROR(ctx.comm->allreduce_sum(&budget, 1));
  if (total <= budget) return plan;
  const int64_t count = files_within_budget(bytes, budget);
  for (int64_t i = 0; i < count; ++i) plan.files.push_back(i);
  plan.how = "memory limit";
  if (!fitting) return plan;
  constexpr double kMiB = 1024.0 * 1024.0;
  ctx.logger->info(
      "fit_data_fraction unset and the embeddings (~{:.0f} MiB) exceed the memory limit ({:.0f} "
      "MiB): fitting on the first {} of {} files, then assigning every row in a second pass",
      static_cast<double>(total) / kMiB, static_cast<double>(budget) / kMiB, count, num_files);
  return plan;
}

}  // namespace semdedup::kmeans
