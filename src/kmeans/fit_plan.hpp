#pragma once
// Which files the KMeans fit reads: a fit_data_fraction sample, or with none given every row
// when it fits the memory limit, else the first files that do.

#include <cstdint>
#include <string>
#include <vector>

#include "semdedup/core/context.hpp"
#include "semdedup/core/status.hpp"
#include "semdedup/kmeans/params.hpp"

namespace semdedup::kmeans {

/// The files the fit reads (indices into the input files, in read order) and how they were
/// chosen. Empty files: every row fits, the single pass.
struct FitPlan {
  std::vector<int64_t> files;
  std::string how;  ///< for the log line ("fit_data_fraction=0.5000", "memory limit")
};

/// The plan for `files` under `params` (fit_data_fraction, memory_limit), the same on every
/// rank: a memory budget is rank 0's. When `fitting` (not reusing centroids), logs the
/// fraction's bump to one file and the choice of files under the memory limit. A file whose
/// footer cannot be read counts as empty here; the reader reports it.
Result<FitPlan> plan_fit(const Context& ctx, const Params& params,
                         const std::vector<std::string>& files, bool fitting);

}  // namespace semdedup::kmeans
