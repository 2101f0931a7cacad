#include "semdedup/dedup/report.hpp"

#include <algorithm>
#include <cmath>
#include <map>

#include "semdedup/io/pairwise_results.hpp"
#include "semdedup/io/writer.hpp"

namespace semdedup::dedup {

namespace {

constexpr double kHistogramTop = 1.01;  // NeMo's tutorials bin [0, 1.01]

struct Candidate {
  float score;
  int64_t file;
  int64_t row;
};

// Keeps the `limit` best candidates by `better`, best first.
template <typename Better>
void offer(std::vector<Candidate>& kept, int64_t limit, const Candidate& c, Better better) {
  if (static_cast<int64_t>(kept.size()) == limit && !better(c, kept.back())) return;
  kept.insert(std::upper_bound(kept.begin(), kept.end(), c, better), c);
  if (static_cast<int64_t>(kept.size()) > limit) kept.pop_back();
}

bool closer_from_above(const Candidate& a, const Candidate& b) { return a.score < b.score; }
bool closer_from_below(const Candidate& a, const Candidate& b) { return a.score > b.score; }

std::string html_escape(const std::string& text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

}  // namespace

Status ReportParams::validate() const {
  if (input_path.empty()) return Status::invalid_argument("no input path given");
  if (eps.empty()) return Status::invalid_argument("--eps needs at least one value");
  for (double e : eps) {
    if (!(e >= 0.0 && e < 1.0)) return Status::invalid_argument("eps must be in [0, 1), got {}", e);
  }
  if (bins < 1) return Status::invalid_argument("bins must be >= 1, got {}", bins);
  if (examples_per_eps < 0) return Status::invalid_argument("examples_per_eps must be >= 0");
  return Status::OK();
}

double Report::ecdf_at(double x) const {
  if (rows == 0) return 0.0;
  int64_t below = 0;
  for (size_t bin = 0; bin < histogram.size(); ++bin) {
    if ((static_cast<double>(bin) + 1) * bin_width > x + 1e-12) break;
    below += histogram[bin];
  }
  return static_cast<double>(below) / static_cast<double>(rows);
}

Result<Report> build_report(const Context& ctx, const ReportParams& params) {
  SD_RETURN_IF_ERROR(params.validate());
  SD_ASSIGN_OR_RETURN(auto files, io::list_cluster_files(params.input_path));
  if (files.empty()) {
    return Status::data_error("No cluster_K.parquet files found in: {}", params.input_path);
  }
  Report report;
  report.clusters = static_cast<int64_t>(files.size());
  report.bin_width = kHistogramTop / static_cast<double>(params.bins);
  report.histogram.assign(static_cast<size_t>(params.bins), 0);
  for (double eps : params.eps) report.sweep.push_back({eps, 1.0 - eps});

  std::vector<std::vector<Candidate>> above(params.eps.size()), below(params.eps.size());
  ProgressTask progress(*ctx.progress, "report", report.clusters, "clusters");
  for (int64_t file = 0; file < report.clusters; ++file) {
    SD_RETURN_IF_ERROR(ctx.check_cancelled());
    int64_t row = 0;
    SD_RETURN_IF_ERROR(io::for_each_score_chunk(files[file].path, [&](const float* scores,
                                                                     int64_t count) {
      for (int64_t i = 0; i < count; ++i, ++row) {
        const float score = scores[i];
        if (std::isnan(score)) continue;
        ++report.rows;
        // Negative scores (NeMo 1.4: a best earlier match pointing away) count in the first bin.
        const auto bin = static_cast<int64_t>(std::floor(score / report.bin_width));
        ++report.histogram[static_cast<size_t>(std::clamp<int64_t>(bin, 0, params.bins - 1))];
        for (size_t e = 0; e < report.sweep.size(); ++e) {
          const Candidate c{score, file, row};
          if (static_cast<double>(score) >= report.sweep[e].threshold) {
            ++report.sweep[e].removed;
            offer(above[e], params.examples_per_eps, c, closer_from_above);
          } else {
            offer(below[e], params.examples_per_eps, c, closer_from_below);
          }
        }
      }
    }));
    progress.advance(1);
  }

  // Fetch the ids of the example rows, one read per file that holds any.
  std::map<int64_t, std::vector<int64_t>> rows_by_file;
  for (const auto* side : {&above, &below}) {
    for (const auto& kept : *side) {
      for (const auto& c : kept) rows_by_file[c.file].push_back(c.row);
    }
  }
  std::map<std::pair<int64_t, int64_t>, std::pair<std::string, std::string>> text;
  for (auto& [file, rows] : rows_by_file) {
    std::sort(rows.begin(), rows.end());
    rows.erase(std::unique(rows.begin(), rows.end()), rows.end());
    SD_ASSIGN_OR_RETURN(auto pairs, io::read_pair_text(files[file].path, rows));
    for (size_t i = 0; i < rows.size(); ++i) text[{file, rows[i]}] = pairs[i];
  }
  auto to_example = [&](const Candidate& c) {
    const auto& [id, max_id] = text.at({c.file, c.row});
    return ExamplePair{id, max_id, c.score, files[c.file].cluster};
  };
  for (size_t e = 0; e < report.sweep.size(); ++e) {
    auto& entry = report.sweep[e];
    entry.share = report.rows ? static_cast<double>(entry.removed) / static_cast<double>(report.rows) : 0.0;
    for (const auto& c : above[e]) entry.just_above.push_back(to_example(c));
    for (const auto& c : below[e]) entry.just_below.push_back(to_example(c));
  }

  if (!params.html_path.empty()) {
    SD_RETURN_IF_ERROR(io::write_file_atomic(params.html_path, report.to_html()));
  }
  return report;
}

std::string Report::to_text() const {
  std::string out = fmt::format("{} rows in {} clusters\n\n", rows, clusters);
  out += fmt::format("{:>8}  {:>10}  {:>12}  {:>8}\n", "eps", "threshold", "removed", "share");
  for (const auto& row : sweep) {
    out += fmt::format("{:>8g}  {:>10.6g}  {:>12}  {:>7.2f}%\n", row.eps, row.threshold,
                       row.removed, 100.0 * row.share);
  }
  // A coarse view of the histogram: 20 bins over [0, 1.01].
  constexpr int kCoarse = 20;
  const size_t per = std::max<size_t>(1, histogram.size() / kCoarse);
  int64_t peak = 1;
  std::vector<std::pair<double, int64_t>> coarse;
  for (size_t first = 0; first < histogram.size(); first += per) {
    int64_t count = 0;
    for (size_t b = first; b < std::min(histogram.size(), first + per); ++b) count += histogram[b];
    coarse.emplace_back(static_cast<double>(first) * bin_width, count);
    peak = std::max(peak, count);
  }
  out += "\ncosine_sim_score histogram (share of rows at or below, then count):\n";
  for (const auto& [lo, count] : coarse) {
    const int bar = static_cast<int>(40.0 * static_cast<double>(count) / static_cast<double>(peak));
    out += fmt::format("  {:5.3f}  ecdf {:6.2f}%  {:>10}  {}\n", lo,
                       100.0 * ecdf_at(lo + static_cast<double>(per) * bin_width), count,
                       std::string(static_cast<size_t>(bar), '#'));
  }
  for (const auto& row : sweep) {
    out += fmt::format("\nexamples near threshold {:.6g} (eps={}):\n", row.threshold, row.eps);
    for (const auto& ex : row.just_above) {
      out += fmt::format("  removed  id={} max_id={} score={:.7f} cluster={}\n", ex.id, ex.max_id,
                         ex.score, ex.cluster);
    }
    for (const auto& ex : row.just_below) {
      out += fmt::format("  kept     id={} max_id={} score={:.7f} cluster={}\n", ex.id, ex.max_id,
                         ex.score, ex.cluster);
    }
  }
  return out;
}

std::string Report::to_html() const {
  constexpr double kW = 760, kH = 300, kPad = 40;
  int64_t peak = 1;
  for (int64_t c : histogram) peak = std::max(peak, c);
  std::string bars, ecdf = "M";
  int64_t cumulative = 0;
  const double bar_w = (kW - 2 * kPad) / static_cast<double>(histogram.size());
  for (size_t b = 0; b < histogram.size(); ++b) {
    const double x = kPad + static_cast<double>(b) * bar_w;
    const double h = (kH - 2 * kPad) * std::log1p(static_cast<double>(histogram[b])) /
                     std::log1p(static_cast<double>(peak));
    if (histogram[b] > 0) {
      bars += fmt::format("<rect x='{:.2f}' y='{:.2f}' width='{:.2f}' height='{:.2f}'/>", x,
                          kH - kPad - h, std::max(bar_w, 0.5), h);
    }
    cumulative += histogram[b];
    const double share = rows ? static_cast<double>(cumulative) / static_cast<double>(rows) : 0.0;
    ecdf += fmt::format("{}{:.2f},{:.2f}", b ? " L" : "", x + bar_w, kH - kPad - share * (kH - 2 * kPad));
  }
  std::string lines;
  for (const auto& row : sweep) {
    const double x = kPad + row.threshold / bin_width * bar_w;
    lines += fmt::format(
        "<line x1='{0:.2f}' x2='{0:.2f}' y1='{1}' y2='{2}' class='eps'/>"
        "<text x='{0:.2f}' y='{3}' class='lbl'>eps {4}</text>",
        x, kPad, kH - kPad, kPad - 6, row.eps);
  }
  std::string table;
  for (const auto& row : sweep) {
    table += fmt::format("<tr><td>{}</td><td>{:.6g}</td><td>{}</td><td>{:.2f}%</td></tr>", row.eps,
                         row.threshold, row.removed, 100.0 * row.share);
  }
  std::string examples;
  for (const auto& row : sweep) {
    examples += fmt::format("<h3>Near threshold {:.6g} (eps={})</h3><table><tr><th></th><th>id</th>"
                            "<th>max_id</th><th>score</th><th>cluster</th></tr>",
                            row.threshold, row.eps);
    for (const auto* side : {&row.just_above, &row.just_below}) {
      for (const auto& ex : *side) {
        examples += fmt::format("<tr><td>{}</td><td>{}</td><td>{}</td><td>{:.7f}</td><td>{}</td></tr>",
                                side == &row.just_above ? "removed" : "kept", html_escape(ex.id),
                                html_escape(ex.max_id), ex.score, ex.cluster);
      }
    }
    examples += "</table>";
  }
  return fmt::format(
      "<!doctype html><html><head><meta charset='utf-8'><title>semdedup report</title><style>"
      "body{{font-family:sans-serif;max-width:820px;margin:2em auto}}table{{border-collapse:collapse}}"
      "td,th{{border:1px solid #ccc;padding:2px 8px;text-align:right}}rect{{fill:#4a7fb5}}"
      "path{{fill:none;stroke:#d9534f;stroke-width:2}}.eps{{stroke:#555;stroke-dasharray:4}}"
      ".lbl{{font-size:10px}}.axis{{stroke:#000}}</style></head><body>"
      "<h1>semdedup report</h1><p>{} rows in {} clusters.</p>"
      "<h2>Rows removed per eps</h2><table><tr><th>eps</th><th>threshold</th><th>removed</th>"
      "<th>share</th></tr>{}</table>"
      "<h2>cosine_sim_score</h2><p>Bars: histogram (log scale, {} bins over [0, 1.01]); red line: "
      "ECDF, the share of rows at or below a score; dashed: thresholds.</p>"
      "<svg width='{}' height='{}' xmlns='http://www.w3.org/2000/svg'>"
      "<line x1='{}' x2='{}' y1='{}' y2='{}' class='axis'/>{}<path d='{}'/>{}"
      "<text x='{}' y='{}' class='lbl'>0</text><text x='{}' y='{}' class='lbl'>1.01</text></svg>"
      "<h2>Example pairs</h2>{}</body></html>\n",
      rows, clusters, table, histogram.size(), kW, kH, kPad, kW - kPad, kH - kPad, kH - kPad, bars,
      ecdf, lines, kPad, kH - kPad + 14, kW - kPad - 20, kH - kPad + 14, examples);
}

}  // namespace semdedup::dedup
