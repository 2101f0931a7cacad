#pragma once
/// \file `semdedup report`: what the pairwise scores say about eps and n_clusters — an eps
/// sweep (rows removed per eps, added since the previous eps, removed through a chain, exact
/// copies vs near duplicates), similarity histograms that resolve the decision range with
/// exact ECDF labels, example pairs nearest each threshold with both rows' texts side by side,
/// and the cluster balance (sizes, share of pairwise work, a suggested n_clusters range).

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "semdedup/core/context.hpp"
#include "semdedup/core/status.hpp"
#include "semdedup/io/common.hpp"

namespace semdedup::dedup {

struct ReportParams {
  /// Pairwise output directory holding cluster_K.parquet files, or a run's output directory
  /// holding summary.json (which names the pairwise and KMeans directories and the input).
  std::string input_path;
  /// The KMeans output (centroid=K/) for exact copies; empty = from summary.json, else the
  /// kmeans_results directory beside the pairwise directory; skipped when there is none.
  std::string kmeans_path;
  /// Input data files/directories holding the texts of the example rows; empty = the run's
  /// input from summary.json (when there is one).
  std::vector<std::string> input_data;
  /// File type of input_data (or the run's, from summary.json).
  std::optional<io::FileType> input_filetype;
  /// Columns of the input data shown for each example row, side by side.
  std::vector<std::string> text_fields = {"text"};
  /// Id and embedding columns of the input / KMeans output; unset = summary.json's or
  /// "id" / "embeddings".
  std::optional<std::string> id_field;
  std::optional<std::string> embedding_field;
  /// eps values to sweep, each in [0, 1); shown in ascending order.
  std::vector<double> eps = {0.001, 0.01, 0.05, 0.1};
  /// Example pairs shown on each side of every threshold, >= 0.
  int64_t examples_per_eps = 3;
  /// Characters kept of each example text (longer ones end in "…"), >= 8.
  int64_t text_chars = 300;
  /// Write a self-contained HTML page here; empty = none.
  std::string html_path;

  Status validate() const;
};

/// Counts of scores in bins: counts[i] holds edges[i] <= score < edges[i + 1]; `below` the
/// scores under edges.front(), `above` those at or over edges.back(). NaN scores are not
/// counted anywhere.
struct Histogram {
  std::vector<double> edges;
  std::vector<int64_t> counts;
  int64_t below = 0;
  int64_t above = 0;

  /// Bins [lo, lo + width), ... up to hi, edges k / denominator for integers k (so that an
  /// edge printed with enough digits reads back as the same double).
  static Histogram linear(int64_t lo_numerator, int64_t hi_numerator, int64_t step_numerator,
                          int64_t denominator);
  /// Bins whose edges are given (ascending).
  static Histogram with_edges(std::vector<double> edges);
  void add(double score);
  int64_t total() const;
  /// Share of counted scores < edges[i + 1] (the ECDF at the bin's upper edge, exclusive).
  double share_below_upper(size_t bin) const;
};

/// One row, ids rendered as text, with the input data's chosen columns when found.
struct ExampleRow {
  std::string id;
  std::vector<std::string> fields;  ///< one per text field; empty when not found
};

/// One (id, max_id, score) pair near a threshold.
struct ExamplePair {
  ExampleRow row;      ///< the row the score belongs to (removed when score >= threshold)
  ExampleRow max_row;  ///< its most similar earlier-ranked row (the one kept)
  float score = 0;
  int64_t cluster = 0;
  std::optional<bool> exact;  ///< identical embeddings; unset when not known
};

struct EpsRow {
  double eps = 0;
  double threshold = 0;  ///< 1 - eps, compared as NeMo does (float32 score widened to double)
  int64_t removed = 0;   ///< rows with score >= threshold
  double share = 0;      ///< removed / total rows
  int64_t added = 0;     ///< removed here but not at the previous (smaller) eps
  int64_t chained = 0;   ///< removed rows whose max_id is removed too (a chain)
  std::optional<int64_t> exact;  ///< removed rows that are exact copies; unset when not known
  std::vector<ExamplePair> just_above;  ///< duplicates with the lowest scores (closest to the line)
  std::vector<ExamplePair> just_below;  ///< kept rows with the highest scores
};

/// Cluster sizes and how the pairwise work (sum of N_c^2) spreads over them.
struct ClusterBalance {
  std::vector<int64_t> sizes;  ///< rows per non-empty cluster, descending
  int64_t n_clusters = 0;      ///< k of the run (summary.json), else the clusters seen
  std::optional<int64_t> kmeans_iterations;  ///< from summary.json
  int64_t rows = 0;
  double work = 0;                                    ///< sum of N_c^2
  int64_t percentile(double p) const;                 ///< the size at percentile p in [0, 100]
  double work_share_of_largest(int64_t count) const;  ///< share of `work` in the largest `count`
  /// Rows-per-size histogram over powers of two: bucket b holds sizes in [2^b, 2^(b+1)).
  std::vector<int64_t> size_histogram() const;
  /// A suggested n_clusters range [first, second] and the reasoning behind it.
  std::pair<int64_t, int64_t> suggested_n_clusters() const;
  std::string suggestion_reasoning() const;
};

struct Report {
  int64_t rows = 0;
  int64_t clusters = 0;
  std::string pairwise_path;
  std::optional<std::string> kmeans_path;  ///< where exact copies were found; unset: not known
  std::optional<int64_t> exact_copies;     ///< rows that are exact copies (any score)
  std::string exact_note;  ///< why exact copies are unknown when a KMeans output was unreadable
  std::vector<std::string> text_fields;  ///< the columns the examples show
  std::string texts_note;                ///< why the examples show no texts (empty when they do)
  Histogram overall;                     ///< [-1, 1] in steps of 0.1
  Histogram decision;                    ///< [0.8, 1] in steps of 0.005
  Histogram closest;          ///< 1 - score on a log scale, quarter decades from 1e-7 to 2
  std::vector<EpsRow> sweep;  ///< ascending eps
  ClusterBalance balance;

  /// The sweep, the histograms, the examples and the cluster balance as plain text.
  std::string to_text() const;
  /// One self-contained HTML page (inline SVG plots, no network).
  std::string to_html() const;
};

/// Streams every cluster file once (and its KMeans partition when exact copies are known, and
/// the input data for the example texts); memory O(largest cluster + examples).
Result<Report> build_report(const Context& ctx, const ReportParams& params);

}  // namespace semdedup::dedup
