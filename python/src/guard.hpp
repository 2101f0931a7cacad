#pragma once
// The output guard (semdedup/io/output_guard.hpp) around the file-based runs of the Python
// classes: the same checks, lock, manifest and _SUCCESS as the CLI's commands, with the
// parameters recorded under the Python keywords' names.

#include <functional>

#include "semdedup/core/context.hpp"
#include "semdedup/core/status.hpp"
#include "semdedup/dedup/workflow.hpp"
#include "semdedup/io/common.hpp"
#include "semdedup/kmeans/params.hpp"
#include "semdedup/pairwise/params.hpp"

namespace semdedup::python {

/// Runs `work` (given the mode its stage takes) guarded as `semdedup kmeans` is, in the mode of
/// params.output_mode (kOverwrite: clears only what semdedup wrote).
Status guarded_kmeans(const Context& ctx, const kmeans::Params& params,
                      const std::function<Status(io::OutputMode)>& work);
/// The same for `semdedup pairwise`; its input is another stage's output.
Status guarded_pairwise(const Context& ctx, const pairwise::Params& params,
                        const std::function<Status(io::OutputMode)>& work);
/// The same for `semdedup run`: output_path and cache_path.
Status guarded_workflow(const Context& ctx, const dedup::WorkflowParams& params,
                        const std::function<Status(io::OutputMode)>& work);

}  // namespace semdedup::python
