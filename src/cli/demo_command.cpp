// `semdedup demo`: a dataset with planted duplicates, deduplicated end to end, and a summary.
#include <fmt/format.h>

#include <cstdlib>
#include <filesystem>

#include "cli/common.hpp"
#include "cli/flags.hpp"
#include "semdedup/dedup/demo.hpp"
#include "semdedup/io/layout.hpp"

namespace semdedup::cli {

namespace {

// A new directory semdedup-demo-XXXXXX under $TMPDIR (or /tmp).
Result<std::string> make_temp_dir() {
  const char* base = std::getenv("TMPDIR");
  std::string pattern = std::string(base && *base ? base : "/tmp") + "/semdedup-demo-XXXXXX";
  if (!mkdtemp(pattern.data())) return Status::io_error("cannot create a directory {}", pattern);
  return pattern;
}

void print_summary(const dedup::DemoParams& params, const dedup::DemoResult& r) {
  const auto& g = r.generated;
  fmt::print("\nsemdedup demo\n=============\n");
  fmt::print("data       {} rows x {} dims in {} files ({:.1f} MB), {} clusters\n", g.rows, g.dim,
             g.data_files.size(), static_cast<double>(g.bytes) / 1e6, params.n_clusters);
  fmt::print("planted    {} exact, {} near (cos >= 0.99), {} near (0.95 <= cos < 0.99)\n",
             g.exact_duplicates, g.near99_duplicates, g.near95_duplicates);
  fmt::print("run        {:.2f} s: k-means {:.2f} s ({} iterations), pairwise {:.2f} s, identify {:.2f} s\n",
             r.run.total_seconds, r.run.kmeans_seconds, r.run.kmeans.n_iter, r.run.pairwise_seconds,
             r.run.identify_seconds);
  fmt::print("identified {} duplicates at eps = {} ({} >= {:.4g})\n",
             r.run.identify ? r.run.identify->duplicates : 0, params.eps, io::kCosineSimScoreColumn,
             1.0 - params.eps);
  fmt::print("removed    {} of {} rows -> {} rows kept\n\n", r.removed.rows_removed,
             r.removed.rows_in, r.removed.rows_out);
  fmt::print("{:>6}  {:>10}  {:>10}  {:>10}  {:>9}  {:>9}\n", "eps", "identified", "planted",
             "found", "precision", "recall");
  for (const auto& s : r.planted) {
    fmt::print("{:>6}  {:>10}  {:>10}  {:>10}  {:>8.2f}%  {:>8.2f}%\n", s.eps, s.identified,
               s.expected, s.true_positives, 100.0 * s.precision, 100.0 * s.recall);
  }
  fmt::print("\neps sweep (semdedup report):\n");
  for (const auto& row : r.report.sweep) {
    fmt::print("  eps {:<6} removes {:>8} rows ({:5.2f}%)\n", row.eps, row.removed, 100.0 * row.share);
  }
  fmt::print("\nfiles under {}:\n", params.output_path);
  fmt::print("  {:<29}generated embeddings (input/{}: planted pairs)\n",
             fmt::format("input/{}/", io::kGeneratedDataDir), io::kGroundTruthFile);
  const auto line = [](const std::string& path, std::string_view what) {
    fmt::print("  {:<29}{}\n", "output/" + path, what);
  };
  line(fmt::format("{}/", io::kKMeansResultsDir),
       fmt::format("{}/ partitions", io::centroid_partition_pattern()));
  line(fmt::format("{}/", io::kPairwiseResultsDir), io::cluster_file_pattern());
  line(fmt::format("{}/", io::kDuplicatesDir), "duplicate ids");
  line(fmt::format("{}/", io::kDeduplicatedDir), "the input without them");
  line(io::kReportHtmlFile, "similarity histogram, ECDF, eps sweep, example pairs");
  line(io::kSummaryFile, "counts, timings, parameters");
  fmt::print("total {:.1f} s\n", r.seconds);
}

void setup_demo(CLI::App& app, dedup::DemoParams& params) {
  add_output_flag(app, params.output_path,
                  "working directory (default: a new semdedup-demo-XXXXXX under $TMPDIR or /tmp)",
                  false);
  app.add_option("--rows", params.rows, "rows to generate")->capture_default_str();
  app.add_option("--dim", params.dim, "embedding dimension")->capture_default_str();
  app.add_option("--n-clusters", params.n_clusters, "clusters (generator and k-means)")
      ->capture_default_str();
  app.add_option("--duplicate-fraction", params.duplicate_fraction, "planted share of duplicates")
      ->capture_default_str();
  app.add_option("--eps", params.eps, "eps of the identify step")->capture_default_str();
  app.add_option("--seed", params.seed, "seed of everything random")
      ->capture_default_str()
      ->check(seed_validator());
}

Status run_demo(const Context& ctx, io::OutputMode, dedup::DemoParams& params) {
  if (params.output_path.empty()) {
    dedup::DemoParams check = params;
    check.output_path = "-";
    SD_RETURN_IF_ERROR(check.validate());  // before creating a directory for nothing
    SD_ASSIGN_OR_RETURN(params.output_path, make_temp_dir());
  }
  params.versions = version_pairs();
  SD_ASSIGN_OR_RETURN(const auto result, dedup::run_demo(ctx, params));
  print_summary(params, result);
  return Status::OK();
}

}  // namespace

Command add_demo_command(CLI::App& parent) {
  return make_command<dedup::DemoParams>(
      parent, "demo",
      "generate a dataset with planted duplicates, deduplicate it, print a summary", setup_demo,
      run_demo);
}

}  // namespace semdedup::cli
