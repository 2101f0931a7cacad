#include "semdedup/dedup/demo.hpp"

#include <chrono>

#include "semdedup/io/filesystem.hpp"
#include "semdedup/io/layout.hpp"

namespace semdedup::dedup {

Status DemoParams::validate() const {
  if (output_path.empty()) return Status::invalid_argument("no output path given");
  if (rows < 100) return Status::invalid_argument("demo rows must be >= 100, got {}", rows);
  if (dim < 2) return Status::invalid_argument("demo dim must be >= 2, got {}", dim);
  if (n_clusters < 1 || n_clusters > rows / 10) {
    return Status::invalid_argument("demo n_clusters must be in [1, rows / 10], got {}", n_clusters);
  }
  if (!(eps >= 0.0 && eps < 1.0)) return Status::invalid_argument("eps must be in [0, 1), got {}", eps);
  return Status::OK();
}

Result<DemoResult> run_demo(const Context& ctx, const DemoParams& params) {
  SD_RETURN_IF_ERROR(params.validate());
  const auto start = std::chrono::steady_clock::now();
  const std::string& root = params.output_path;
  DemoResult result;

  GenerateParams generate_params;
  generate_params.output_path = io::join_path(root, "input");
  generate_params.rows = params.rows;
  generate_params.dim = params.dim;
  generate_params.clusters = params.n_clusters;
  generate_params.duplicate_fraction = params.duplicate_fraction;
  generate_params.files = 4;
  generate_params.seed = params.seed;
  ctx.logger->info("demo: generating {} x {} embeddings with planted duplicates", params.rows,
                   params.dim);
  SD_ASSIGN_OR_RETURN(result.generated, generate(ctx, generate_params));

  WorkflowParams run;
  run.kmeans.input_paths = {io::join_path(io::join_path(root, "input"), io::kGeneratedDataDir)};
  run.kmeans.fit.n_clusters = params.n_clusters;
  run.kmeans.fit.random_state = params.seed;
  run.kmeans.columns.metadata_fields = {"quality"};
  run.pairwise.random_seed = params.seed;
  run.eps = params.eps;
  run.output_path = io::join_path(root, "output");
  run.versions = params.versions;
  SD_ASSIGN_OR_RETURN(result.run, run_workflow(ctx, run));

  ReportParams report_params;
  report_params.input_path = pairwise_results_dir(run);
  result.report_html = io::join_path(io::join_path(root, "output"), io::kReportHtmlFile);
  report_params.html_path = result.report_html;
  SD_ASSIGN_OR_RETURN(result.report, build_report(ctx, report_params));

  RemoveParams remove_params;
  remove_params.input_paths = run.kmeans.input_paths;
  remove_params.duplicates_path = duplicates_dir(run.output_path);
  remove_params.output_path = io::join_path(io::join_path(root, "output"), io::kDeduplicatedDir);
  SD_ASSIGN_OR_RETURN(result.removed, remove_duplicates(ctx, remove_params));

  SD_ASSIGN_OR_RETURN(result.planted, score_planted(result.generated.ground_truth_file,
                                                    pairwise_results_dir(run), {0.01, 0.05}));
  result.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return result;
}

}  // namespace semdedup::dedup
