#include "semdedup/dedup/report.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <map>
#include <set>

#include "semdedup/dedup/exact.hpp"
#include "semdedup/io/filesystem.hpp"
#include "semdedup/io/discovery.hpp"
#include "semdedup/io/layout.hpp"
#include "semdedup/io/pairwise_results.hpp"
#include "semdedup/io/remove_ids.hpp"
#include "semdedup/io/run_summary.hpp"
#include "semdedup/io/writer.hpp"

namespace semdedup::dedup {

namespace {

struct Candidate {
  float score;
  int64_t file;
  int64_t row;
  int8_t exact;  // -1 unknown
};

// Keeps the `limit` best candidates by `better`, best first.
template <typename Better>
void offer(std::vector<Candidate>& kept, int64_t limit, const Candidate& c, Better better) {
  if (limit == 0 || (static_cast<int64_t>(kept.size()) == limit && !better(c, kept.back()))) return;
  kept.insert(std::upper_bound(kept.begin(), kept.end(), c, better), c);
  if (static_cast<int64_t>(kept.size()) > limit) kept.pop_back();
}

bool closer_from_above(const Candidate& a, const Candidate& b) { return a.score < b.score; }
bool closer_from_below(const Candidate& a, const Candidate& b) { return a.score > b.score; }

// Where the pairwise scores, the KMeans output and the input data are.
struct Sources {
  std::string pairwise;
  std::optional<io::RunSummary> summary;
  std::string kmeans;         // empty: exact copies unknown
  bool kmeans_given = false;  // named by the user: a failure to read it is an error
};

// `text` on one line (control characters and runs of white space become one space); longer
// than `max_chars` code points, its first max_chars - 1 and "…". UTF-8 sequences stay whole.
std::string clip_text(const std::string& text, int64_t max_chars) {
  std::string line;
  std::vector<size_t> starts;  // byte offset of each code point of `line`
  bool space = false;
  for (size_t i = 0; i < text.size();) {
    const auto lead = static_cast<unsigned char>(text[i]);
    const size_t length = std::min<size_t>(lead < 0x80    ? 1
                                           : lead >= 0xF0 ? 4
                                           : lead >= 0xE0 ? 3
                                           : lead >= 0xC0 ? 2
                                                          : 1,
                                           text.size() - i);
    if (length == 1 && (lead <= 0x20 || lead == 0x7F)) {
      space = !line.empty();
    } else {
      if (space) {
        starts.push_back(line.size());
        line += ' ';
        space = false;
      }
      starts.push_back(line.size());
      line.append(text, i, length);
    }
    i += length;
  }
  if (static_cast<int64_t>(starts.size()) <= max_chars) return line;
  return line.substr(0, starts[static_cast<size_t>(max_chars - 1)]) + "…";
}

Result<Sources> find_sources(const ReportParams& params) {
  Sources sources;
  sources.pairwise = params.input_path;
  std::string summary_path = io::join_path(params.input_path, io::kSummaryFile);
  if (!io::is_regular_file(summary_path)) {
    const std::string dir = io::file_name(params.input_path).empty()
                                ? io::parent_path(params.input_path)
                                : params.input_path;
    summary_path = io::join_path(io::parent_path(dir), io::kSummaryFile);
  }
  if (io::is_regular_file(summary_path)) {
    SD_ASSIGN_OR_RETURN(sources.summary, io::read_run_summary(summary_path));
    if (io::is_regular_file(io::join_path(params.input_path, io::kSummaryFile))) {
      // The summary's paths are as the run was given them: relative ones may be relative to
      // another directory. Without a cache path the run put pairwise_results beside it.
      const std::string beside = io::join_path(params.input_path, io::kPairwiseResultsDir);
      sources.pairwise =
          io::is_directory(sources.summary->pairwise_results) || !io::is_directory(beside)
              ? sources.summary->pairwise_results
              : beside;
    }
  }
  if (!params.kmeans_path.empty()) {
    sources.kmeans = params.kmeans_path;
    sources.kmeans_given = true;
  } else if (sources.summary && io::is_directory(sources.summary->kmeans_results)) {
    sources.kmeans = sources.summary->kmeans_results;
  } else if (io::is_directory(kmeans_dir_beside(sources.pairwise))) {
    sources.kmeans = kmeans_dir_beside(sources.pairwise);
  }
  return sources;
}

using ExampleIds = std::map<std::pair<int64_t, int64_t>, std::pair<std::string, std::string>>;

// (id, max_id) as text of every example row, keyed by (file, row): one read per file holding any.
Result<ExampleIds> read_example_ids(
    const std::vector<io::ClusterFile>& files,
    std::initializer_list<const std::vector<std::vector<Candidate>>*> sides) {
  std::map<int64_t, std::vector<int64_t>> rows_by_file;
  for (const auto* side : sides) {
    for (const auto& kept : *side) {
      for (const auto& c : kept) rows_by_file[c.file].push_back(c.row);
    }
  }
  ExampleIds ids;
  for (auto& [file, rows] : rows_by_file) {
    std::sort(rows.begin(), rows.end());
    rows.erase(std::unique(rows.begin(), rows.end()), rows.end());
    SD_ASSIGN_OR_RETURN(auto pairs, io::read_pair_text(files[file].path, rows));
    for (size_t i = 0; i < rows.size(); ++i) ids[{file, rows[i]}] = pairs[i];
  }
  return ids;
}

// The text columns of the rows `wanted` (ids as text), from the input data given or the run's
// (summary.json). Without input data, or when the run's input cannot be read, `note` says why
// and no texts are returned; input data the user named must be readable.
Result<std::map<std::string, std::vector<std::string>>> read_example_texts(
    const ReportParams& params, const Sources& sources, const std::string& id_field,
    const std::set<std::string>& wanted, std::string* note) {
  std::vector<std::string> inputs = params.input_data;
  std::optional<io::FileType> filetype = params.input_filetype;
  const bool inputs_given = !inputs.empty();
  if (!inputs_given && sources.summary) {
    inputs = sources.summary->input_paths;
    if (!filetype) filetype = sources.summary->input_filetype;
  }
  if (inputs.empty()) {
    *note =
        "No texts: give the input data with --input-data PATH... [--text-field text], or run "
        "the report on a run's output directory (its summary.json names the input).";
    return std::map<std::string, std::vector<std::string>>{};
  }
  if (wanted.empty()) return std::map<std::string, std::vector<std::string>>{};
  const io::FileType type = filetype.value_or(io::FileType::kParquet);
  Result<std::map<std::string, std::vector<std::string>>> found = [&]() {
    Result<std::vector<std::string>> data = io::discover_files(inputs, type, {});
    if (!data.ok()) return Result<std::map<std::string, std::vector<std::string>>>(data.status());
    return io::read_rows_by_id(*data, type, id_field, params.text_fields, wanted);
  }();
  if (found.ok() || inputs_given) return found;
  *note = fmt::format("No texts from the run's input: {}", found.status().message());
  return std::map<std::string, std::vector<std::string>>{};
}

}  // namespace

Status ReportParams::validate() const {
  if (input_path.empty()) return Status::invalid_argument("no input path given");
  if (eps.empty()) return Status::invalid_argument("--eps needs at least one value");
  for (double e : eps) {
    if (!(e >= 0.0 && e < 1.0)) return Status::invalid_argument("eps must be in [0, 1), got {}", e);
  }
  if (examples_per_eps < 0) return Status::invalid_argument("examples_per_eps must be >= 0");
  if (text_chars < 8)
    return Status::invalid_argument("text_chars must be >= 8, got {}", text_chars);
  if (text_fields.empty())
    return Status::invalid_argument("--text-field needs at least one column");
  return Status::OK();
}

Histogram Histogram::linear(int64_t lo_numerator, int64_t hi_numerator, int64_t step_numerator,
                            int64_t denominator) {
  std::vector<double> edges;
  for (int64_t k = lo_numerator; k <= hi_numerator; k += step_numerator) {
    edges.push_back(static_cast<double>(k) / static_cast<double>(denominator));
  }
  return with_edges(std::move(edges));
}

Histogram Histogram::with_edges(std::vector<double> edges) {
  Histogram h;
  h.counts.assign(edges.size() - 1, 0);
  h.edges = std::move(edges);
  return h;
}

void Histogram::add(double score) {
  if (std::isnan(score)) return;
  if (score < edges.front()) {
    ++below;
  } else if (score >= edges.back()) {
    ++above;
  } else {
    // The last edge <= score: exact comparisons, so a score on an edge opens that bin.
    const auto upper = std::upper_bound(edges.begin(), edges.end(), score);
    ++counts[static_cast<size_t>(upper - edges.begin() - 1)];
  }
}

int64_t Histogram::total() const {
  int64_t sum = below + above;
  for (int64_t count : counts) sum += count;
  return sum;
}

double Histogram::share_below_upper(size_t bin) const {
  const int64_t all = total();
  if (all == 0) return 0.0;
  int64_t under = below;
  for (size_t b = 0; b <= bin && b < counts.size(); ++b) under += counts[b];
  return static_cast<double>(under) / static_cast<double>(all);
}

int64_t ClusterBalance::percentile(double p) const {
  if (sizes.empty()) return 0;
  // Nearest rank over the ascending sizes (sizes are stored descending).
  const auto n = static_cast<double>(sizes.size());
  const auto rank = static_cast<int64_t>(std::ceil(p / 100.0 * n));
  const int64_t ascending = std::clamp<int64_t>(rank, 1, static_cast<int64_t>(sizes.size())) - 1;
  return sizes[sizes.size() - 1 - static_cast<size_t>(ascending)];
}

double ClusterBalance::work_share_of_largest(int64_t count) const {
  if (work <= 0) return 0.0;
  double part = 0;
  for (int64_t c = 0; c < std::min<int64_t>(count, static_cast<int64_t>(sizes.size())); ++c) {
    part += static_cast<double>(sizes[c]) * static_cast<double>(sizes[c]);
  }
  return part / work;
}

std::vector<int64_t> ClusterBalance::size_histogram() const {
  std::vector<int64_t> buckets;
  for (int64_t size : sizes) {
    const auto bucket = static_cast<size_t>(std::bit_width(static_cast<uint64_t>(size)) - 1);
    if (buckets.size() <= bucket) buckets.resize(bucket + 1, 0);
    ++buckets[bucket];
  }
  return buckets;
}

namespace {

constexpr double kAssumedIterations = 30;

// k-means costs about iterations * N * k dot products and the pairwise stage sum N_c^2 / 2;
// with sum N_c^2 = imbalance * N^2 / k the total is least at k = sqrt(imbalance * N / (2 it)).
double best_k(const ClusterBalance& b, double* imbalance, double* iterations) {
  const auto n = static_cast<double>(b.rows);
  const auto k = static_cast<double>(std::max<int64_t>(1, b.n_clusters));
  *imbalance = n > 0 ? b.work * k / (n * n) : 1.0;
  *iterations = b.kmeans_iterations && *b.kmeans_iterations > 0
                    ? static_cast<double>(*b.kmeans_iterations)
                    : kAssumedIterations;
  return std::sqrt(std::max(1.0, *imbalance) * n / (2.0 * *iterations));
}

}  // namespace

std::pair<int64_t, int64_t> ClusterBalance::suggested_n_clusters() const {
  double imbalance = 1, iterations = 1;
  const double k = best_k(*this, &imbalance, &iterations);
  const int64_t top = std::max<int64_t>(1, rows / 2);
  return {std::clamp<int64_t>(static_cast<int64_t>(std::floor(k / 2)), 1, top),
          std::clamp<int64_t>(static_cast<int64_t>(std::ceil(k * 2)), 1, top)};
}

std::string ClusterBalance::suggestion_reasoning() const {
  double imbalance = 1, iterations = 1;
  const double k = best_k(*this, &imbalance, &iterations);
  return fmt::format(
      "k-means costs about iterations x N x k dot products and the pairwise stage about "
      "sum(N_c^2) / 2. Here sum(N_c^2) is {:.2f} times the N^2/k of equal clusters; with {} "
      "iterations{} the two add up to the least near k = sqrt({:.2f} x {} / (2 x {})) = {:.1f}, "
      "and stay within 25% of that between half and twice it. Fewer clusters keep more near "
      "duplicates together (rows in different clusters are never compared); more clusters "
      "shrink the largest one, which the pairwise stage holds in memory.",
      imbalance, iterations, kmeans_iterations ? "" : " (assumed; the run's count is unknown)",
      std::max(1.0, imbalance), rows, iterations, k);
}

Result<Report> build_report(const Context& ctx, const ReportParams& params) {
  SD_RETURN_IF_ERROR(params.validate());
  SD_ASSIGN_OR_RETURN(const Sources sources, find_sources(params));
  SD_ASSIGN_OR_RETURN(auto files, io::list_cluster_files(sources.pairwise));
  if (files.empty()) {
    return Status::data_error("No {} files found in: {}", io::cluster_file_pattern(),
                              sources.pairwise);
  }
  const std::string id_field =
      params.id_field.value_or(sources.summary ? sources.summary->id_field : io::kDefaultIdField);
  const std::string embedding_field = params.embedding_field.value_or(
      sources.summary ? sources.summary->embedding_field : io::kDefaultEmbeddingField);
  Report report;
  std::optional<ExactCopies> exact;
  if (!sources.kmeans.empty()) {
    Result<ExactCopies> opened = ExactCopies::open(sources.kmeans, id_field, embedding_field);
    if (opened.ok()) {
      exact = std::move(opened).value();
    } else if (sources.kmeans_given) {
      return opened.status();
    } else {
      report.exact_note = opened.status().message();
    }
  }

  report.pairwise_path = sources.pairwise;
  report.clusters = static_cast<int64_t>(files.size());
  report.text_fields = params.text_fields;
  report.overall = Histogram::linear(-10, 10, 1, 10);
  report.decision = Histogram::linear(160, 200, 1, 200);
  std::vector<double> closest_edges;
  for (int quarter = 0; quarter <= 28; ++quarter) {
    closest_edges.push_back(1.0 - std::pow(10.0, -static_cast<double>(quarter) / 4.0));
  }
  closest_edges.push_back(-1.0);
  std::sort(closest_edges.begin(), closest_edges.end());
  report.closest = Histogram::with_edges(std::move(closest_edges));
  std::vector<double> eps = params.eps;
  std::sort(eps.begin(), eps.end());
  eps.erase(std::unique(eps.begin(), eps.end()), eps.end());
  for (double e : eps) {
    EpsRow row;
    row.eps = e;
    row.threshold = 1.0 - e;
    if (exact) row.exact = 0;
    report.sweep.push_back(row);
  }
  if (exact) {
    report.kmeans_path = sources.kmeans;
    report.exact_copies = 0;
  }

  std::vector<std::vector<Candidate>> above(eps.size()), below(eps.size());
  ProgressTask progress(*ctx.progress, "report", report.clusters, "clusters");
  for (int64_t file = 0; file < report.clusters; ++file) {
    SD_RETURN_IF_ERROR(ctx.check_cancelled());
    SD_ASSIGN_OR_RETURN(const auto rows, io::read_pairwise_rows(files[file].path));
    std::vector<uint8_t> copies;
    if (exact) {
      Result<std::vector<uint8_t>> flags = exact->flags(files[file].cluster, rows);
      if (flags.ok()) {
        copies = std::move(flags).value();
      } else if (sources.kmeans_given) {
        return flags.status();
      } else {
        // A KMeans output found by looking, not named: the report goes on without exact copies.
        exact.reset();
        report.kmeans_path.reset();
        report.exact_copies.reset();
        report.exact_note = flags.status().message();
        for (auto& entry : report.sweep) entry.exact.reset();
      }
    }
    const auto n = static_cast<int64_t>(rows.scores.size());
    if (n > 0) report.balance.sizes.push_back(n);
    for (int64_t row = 0; row < n; ++row) {
      const float score = rows.scores[row];
      if (std::isnan(score)) continue;
      ++report.rows;
      const auto wide = static_cast<double>(score);
      report.overall.add(wide);
      report.decision.add(wide);
      report.closest.add(wide);
      const bool is_copy = exact && copies[row];
      if (is_copy) ++*report.exact_copies;
      const int64_t max_row = rows.max_row[row];
      const Candidate c{score, file, row, static_cast<int8_t>(exact ? is_copy : -1)};
      for (size_t e = 0; e < eps.size(); ++e) {
        EpsRow& entry = report.sweep[e];
        if (wide >= entry.threshold) {
          ++entry.removed;
          if (e == 0 || wide < report.sweep[e - 1].threshold) ++entry.added;
          if (max_row >= 0 && max_row != row &&
              static_cast<double>(rows.scores[max_row]) >= entry.threshold) {
            ++entry.chained;
          }
          if (is_copy) ++*entry.exact;
          offer(above[e], params.examples_per_eps, c, closer_from_above);
        } else {
          offer(below[e], params.examples_per_eps, c, closer_from_below);
        }
      }
    }
    progress.advance(1);
  }
  std::sort(report.balance.sizes.rbegin(), report.balance.sizes.rend());
  report.balance.rows = report.rows;
  for (int64_t size : report.balance.sizes) {
    report.balance.work += static_cast<double>(size) * static_cast<double>(size);
  }
  report.balance.n_clusters = report.clusters;
  if (sources.summary) {
    report.balance.n_clusters = std::max(report.clusters, sources.summary->n_clusters);
    report.balance.kmeans_iterations = sources.summary->kmeans_iterations;
  }

  SD_ASSIGN_OR_RETURN(const auto ids, read_example_ids(files, {&above, &below}));
  std::set<std::string> wanted;
  for (const auto& [where, pair] : ids) wanted.insert({pair.first, pair.second});
  SD_ASSIGN_OR_RETURN(const auto texts,
                      read_example_texts(params, sources, id_field, wanted, &report.texts_note));

  auto example_row = [&](const std::string& id) {
    ExampleRow row{id, {}};
    if (const auto it = texts.find(id); it != texts.end()) {
      for (const auto& value : it->second)
        row.fields.push_back(clip_text(value, params.text_chars));
    }
    return row;
  };
  auto to_example = [&](const Candidate& c) {
    const auto& [id, max_id] = ids.at({c.file, c.row});
    ExamplePair pair{example_row(id), example_row(max_id), c.score, files[c.file].cluster, {}};
    if (c.exact >= 0 && report.exact_copies) pair.exact = c.exact == 1;
    return pair;
  };
  for (size_t e = 0; e < report.sweep.size(); ++e) {
    auto& entry = report.sweep[e];
    entry.share =
        report.rows ? static_cast<double>(entry.removed) / static_cast<double>(report.rows) : 0.0;
    for (const auto& c : above[e]) entry.just_above.push_back(to_example(c));
    for (const auto& c : below[e]) entry.just_below.push_back(to_example(c));
  }

  if (!params.html_path.empty()) {
    SD_RETURN_IF_ERROR(io::write_file_atomic(params.html_path, report.to_html()));
  }
  return report;
}

}  // namespace semdedup::dedup
