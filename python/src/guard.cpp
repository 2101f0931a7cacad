#include "guard.hpp"

#include <fmt/format.h>

#include <string>
#include <utility>
#include <vector>

#include "semdedup/io/half.hpp"
#include "semdedup/io/output_guard.hpp"

namespace semdedup::python {

namespace {

using Params = std::vector<std::pair<std::string, std::string>>;

std::string joined(const std::vector<std::string>& items) {
  return fmt::format("{}", fmt::join(items, ","));
}

void add_kmeans(const std::string& prefix, const kmeans::Params& p, Params& out) {
  const kmeans::FitParams& fit = p.fit;
  auto add = [&](const char* name, std::string value) {
    out.emplace_back(prefix + name, std::move(value));
  };
  add("n_clusters", fmt::format("{}", fit.n_clusters));
  add("max_iter", fmt::format("{}", fit.max_iter));
  add("tol", fmt::format("{}", fit.tol));
  add("random_state", fmt::format("{}", fit.random_state));
  add("init", kmeans::init_method_name(fit.init));
  add("init_file", fit.init_file);
  add("n_init", fmt::format("{}", fit.n_init));
  add("oversampling_factor", fmt::format("{}", fit.oversampling_factor));
  add("input_filetype", std::string(io::file_type_name(p.input_filetype)));
  add("input_file_extensions", joined(p.input_file_extensions));
  add("id_field", p.columns.id_field);
  add("embedding_field", p.columns.embedding_field);
  add("metadata_fields", joined(p.columns.metadata_fields));
  add("input_embedding_dtype",
      std::string(io::input_embedding_dtype_name(p.input_embedding_dtype)));
  add("embedding_output_dtype",
      std::string(io::embedding_output_dtype_name(p.embedding_output_dtype)));
  add("fit_data_fraction", p.fit_data_fraction ? fmt::format("{}", *p.fit_data_fraction) : "");
  add("invalid_rows", fmt::format("{}", static_cast<int>(p.invalid_rows)));
}

void add_pairwise(const std::string& prefix, const pairwise::Params& p, Params& out) {
  auto add = [&](const char* name, std::string value) {
    out.emplace_back(prefix + name, std::move(value));
  };
  std::vector<std::string> ascending;
  for (bool value : p.ranking_ascending) ascending.emplace_back(value ? "true" : "false");
  add("id_field", p.id_field);
  add("embedding_field", p.embedding_field);
  add("which_to_keep", fmt::format("{}", static_cast<int>(p.which_to_keep)));
  add("sim_metric", fmt::format("{}", static_cast<int>(p.sim_metric)));
  add("random_seed", fmt::format("{}", p.random_seed));
  add("ranking_columns", joined(p.ranking_columns));
  add("ranking_ascending", joined(ascending));
  add("input_embedding_dtype",
      std::string(io::input_embedding_dtype_name(p.input_embedding_dtype)));
  add("compute_dtype", std::string(pairwise::compute_dtype_name(p.compute_dtype)));
}

std::vector<io::NamedPath> named(const char* name, const std::vector<std::string>& paths) {
  std::vector<io::NamedPath> out;
  for (const auto& path : paths) {
    if (!path.empty()) out.push_back({name, path});
  }
  return out;
}

}  // namespace

Status guarded_kmeans(const Context& ctx, const kmeans::Params& params,
                      const std::function<Status(io::OutputMode)>& work) {
  io::OutputPlan plan{"kmeans", params.output_mode, {params.output_path}, {}, params.input_paths};
  add_kmeans("", params, plan.params);
  std::vector<io::NamedPath> inputs = named("input_path", params.input_paths);
  if (params.fit.init == kmeans::InitMethod::kFile)
    inputs.push_back({"init", params.fit.init_file});
  std::vector<io::NamedPath> outputs = named("output_path", {params.output_path});
  for (auto& cache : named("cache_path", {params.cache_path})) outputs.push_back(cache);
  return io::guarded_run(ctx, plan, inputs, outputs, false, work);
}

Status guarded_pairwise(const Context& ctx, const pairwise::Params& params,
                        const std::function<Status(io::OutputMode)>& work) {
  io::OutputPlan plan{
      "pairwise", params.output_mode, {params.output_path}, {}, {params.input_path}};
  add_pairwise("", params, plan.params);
  return io::guarded_run(ctx, plan, named("input_path", {params.input_path}),
                         named("output_path", {params.output_path}), true, work);
}

Status guarded_workflow(const Context& ctx, const dedup::WorkflowParams& params,
                        const std::function<Status(io::OutputMode)>& work) {
  std::vector<std::string> dirs = {params.output_path};
  if (!params.cache_path.empty()) dirs.push_back(params.cache_path);
  io::OutputPlan plan{"run", params.output_mode, dirs, {}, params.kmeans.input_paths};
  add_kmeans("kmeans.", params.kmeans, plan.params);
  add_pairwise("pairwise.", params.pairwise, plan.params);
  plan.params.emplace_back("eps", params.eps ? fmt::format("{}", *params.eps) : "");
  plan.params.emplace_back("exact", params.exact ? "true" : "false");
  std::vector<io::NamedPath> inputs = named("input_path", params.kmeans.input_paths);
  if (params.kmeans.fit.init == kmeans::InitMethod::kFile) {
    inputs.push_back({"init", params.kmeans.fit.init_file});
  }
  std::vector<io::NamedPath> outputs = named("output_path", {params.output_path});
  for (auto& cache : named("cache_path", {params.cache_path})) outputs.push_back(cache);
  return io::guarded_run(ctx, plan, inputs, outputs, false, work);
}

}  // namespace semdedup::python
