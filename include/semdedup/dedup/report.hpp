#pragma once
/// \file `semdedup report`: what the pairwise scores say about eps — an eps sweep (rows
/// removed per eps), a similarity histogram and ECDF, and example pairs nearest each threshold.

#include <cstdint>
#include <string>
#include <vector>

#include "semdedup/core/context.hpp"
#include "semdedup/core/status.hpp"

namespace semdedup::dedup {

struct ReportParams {
  /// Pairwise output directory holding cluster_K.parquet files.
  std::string input_path;
  /// eps values to sweep, each in [0, 1).
  std::vector<double> eps = {0.001, 0.01, 0.05, 0.1};
  /// Histogram bins over [0, 1.01] (NeMo's tutorials use 1000).
  int64_t bins = 1000;
  /// Example pairs shown on each side of every threshold.
  int64_t examples_per_eps = 3;
  /// Write a self-contained HTML page with the plot here; empty = none.
  std::string html_path;

  Status validate() const;
};

/// One (id, max_id, score) row, ids rendered as text.
struct ExamplePair {
  std::string id;
  std::string max_id;
  float score = 0;
  int64_t cluster = 0;
};

struct EpsRow {
  double eps = 0;
  double threshold = 0;   ///< 1 - eps, compared as NeMo does (float32 score widened to double)
  int64_t removed = 0;    ///< rows with score >= threshold
  double share = 0;       ///< removed / total rows
  std::vector<ExamplePair> just_above;  ///< duplicates with the lowest scores (closest to the line)
  std::vector<ExamplePair> just_below;  ///< kept rows with the highest scores
};

struct Report {
  int64_t rows = 0;
  int64_t clusters = 0;
  double bin_width = 0;
  /// Counts of scores in [b*w, (b+1)*w), last bin closed; scores below 0 (a row whose best
  /// earlier match points away) count in the first bin.
  std::vector<int64_t> histogram;
  std::vector<EpsRow> sweep;

  /// Share of rows with score <= x (the ECDF the tutorials plot), from the histogram.
  double ecdf_at(double x) const;
  /// The sweep, a coarse histogram and the examples as plain text.
  std::string to_text() const;
  /// One self-contained HTML page (inline SVG plot of histogram and ECDF, sweep table, examples).
  std::string to_html() const;
};

/// Streams every cluster file once; memory O(bins + clusters + examples).
Result<Report> build_report(const Context& ctx, const ReportParams& params);

}  // namespace semdedup::dedup
