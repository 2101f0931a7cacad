// Report::to_html: one self-contained page (inline CSS and SVG, no script, no network) that reads
// at desktop and phone widths. Chart labels are placed so that none overlaps another: eps labels
// go into as many lanes above the plot as they need, tick labels that would touch the previous
// one are left out.
#include <algorithm>
#include <cmath>

#include "semdedup/dedup/report.hpp"
#include "semdedup/io/layout.hpp"

namespace semdedup::dedup {

namespace {

constexpr double kFont = 13;         // px, every chart label
constexpr double kCharWidth = 0.62;  // of kFont: wider than the average sans-serif glyph
constexpr double kLane = 17;         // px between eps label lanes

std::string escape(const std::string& text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

double label_width(const std::string& text) {
  size_t chars = 0;
  for (unsigned char c : text) chars += (c & 0xC0) != 0x80;
  return static_cast<double>(chars) * kFont * kCharWidth + 4;
}

std::string compact(double value) {
  if (value >= 1e6) return fmt::format("{:g}M", value / 1e6);
  if (value >= 1e4) return fmt::format("{:g}k", value / 1e3);
  return fmt::format("{:g}", value);
}

// 0 and up to 4 round steps (1, 2 or 5 x 10^k) reaching at least `peak`.
std::vector<double> count_ticks(double peak) {
  peak = std::max(peak, 1.0);
  const double raw = peak / 4;
  const double power = std::pow(10.0, std::floor(std::log10(raw)));
  double step = power;
  for (double m : {1.0, 2.0, 5.0, 10.0}) {
    step = m * power;
    if (step >= raw) break;
  }
  step = std::max(step, 1.0);
  std::vector<double> ticks;
  for (double t = 0; t < peak + step; t += step) ticks.push_back(t);
  return ticks;
}

// One chart: plot area [left, width - right] x [top, height - bottom] in SVG pixels.
class Chart {
 public:
  Chart(double x_min, double x_max, double y_max, const std::vector<double>& eps_x,
        const std::vector<std::string>& eps_text, bool log_y = false)
      : x_min_(x_min), x_max_(x_max), y_max_(std::max(y_max, 1.0)), log_y_(log_y) {
    // Eps labels, left to right, each into the first lane where it clears the last label.
    std::vector<size_t> order(eps_x.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return eps_x[a] < eps_x[b]; });
    std::vector<double> lane_end;
    for (size_t i : order) {
      const double x = px(eps_x[i]);
      const double w = label_width(eps_text[i]);
      const double start = std::clamp(x - w / 2, 0.0, kWidth - w);
      size_t lane = 0;
      while (lane < lane_end.size() && lane_end[lane] + 6 > start) ++lane;
      if (lane == lane_end.size()) lane_end.push_back(0);
      lane_end[lane] = start + w;
      eps_.push_back({x, start + w / 2, lane, eps_text[i]});
    }
    top_ = 16 + kLane * static_cast<double>(lane_end.size());
  }

  double px(double x) const {
    return kLeft + (x - x_min_) / (x_max_ - x_min_) * (kWidth - kLeft - kRight);
  }
  // A count's height: linear, or log10(1 + count) on a log axis.
  double py(double y) const {
    return py_share(log_y_ ? std::log10(1 + y) / std::log10(1 + y_max_) : y / y_max_);
  }
  double py_share(double share) const { return top_ + (1 - share) * kPlotHeight; }
  double bottom() const { return top_ + kPlotHeight; }

  void bar(double x0, double x1, double count, const std::string& title) {
    if (count <= 0) return;
    const double a = px(x0), b = px(x1);
    body_ += fmt::format(
        "<rect class='bar' x='{:.1f}' y='{:.1f}' width='{:.1f}' height='{:.1f}'>"
        "<title>{}</title></rect>",
        a + 0.5, py(count), std::max(b - a - 1, 1.0), bottom() - py(count), escape(title));
  }
  void path(const std::vector<std::pair<double, double>>& points, const std::string& css) {
    std::string d;
    for (const auto& [x, y] : points)
      d += fmt::format("{}{:.1f},{:.1f}", d.empty() ? "M" : " L", px(x), y);
    body_ += fmt::format("<path class='{}' d='{}'/>", css, d);
  }
  // x tick labels at `ticks` (value, text); one that would touch the previous one is left out.
  void x_ticks(const std::vector<std::pair<double, std::string>>& ticks) {
    double last_end = -1e9;
    for (const auto& [value, text] : ticks) {
      const double x = px(value), w = label_width(text);
      body_ +=
          fmt::format("<line class='tick' x1='{0:.1f}' x2='{0:.1f}' y1='{1:.1f}' y2='{2:.1f}'/>", x,
                      bottom(), bottom() + 4);
      if (x - w / 2 < last_end + 4) continue;
      body_ += fmt::format("<text x='{:.1f}' y='{:.1f}' text-anchor='middle'>{}</text>", x,
                           bottom() + 21, escape(text));
      last_end = x + w / 2;
    }
  }
  void y_ticks(const std::vector<double>& values, bool right, double scale,
               const std::string& suffix) {
    for (double v : values) {
      const double y = py(v * scale);
      const double x = right ? kWidth - kRight : kLeft;
      body_ += fmt::format("<line class='grid' x1='{:.1f}' x2='{:.1f}' y1='{:.1f}' y2='{:.1f}'/>",
                           kLeft, kWidth - kRight, y, y);
      body_ +=
          fmt::format("<text x='{:.1f}' y='{:.1f}' text-anchor='{}'>{}{}</text>",
                      right ? x + 6 : x - 6, y + 4, right ? "start" : "end", compact(v), suffix);
    }
  }
  std::string finish(const std::string& x_title, const std::string& y_title,
                     const std::string& y2_title, const std::string& aria) const {
    // Every line before any label: a label's white halo then hides the lines behind it.
    std::string eps, eps_labels;
    for (const auto& e : eps_) {
      const double label_y = 16 + kLane * static_cast<double>(e.lane) - 3 + kFont / 2;
      eps += fmt::format("<line class='eps' x1='{0:.1f}' x2='{0:.1f}' y1='{1:.1f}' y2='{2:.1f}'/>",
                         e.x, label_y + 3, bottom());
      eps_labels +=
          fmt::format("<text class='epslbl' x='{:.1f}' y='{:.1f}' text-anchor='middle'>{}</text>",
                      e.label_x, label_y, escape(e.text));
    }
    eps += eps_labels;
    const double height = bottom() + 52;
    std::string y2;
    if (!y2_title.empty()) {
      y2 = fmt::format(
          "<text transform='translate({:.1f},{:.1f}) rotate(-90)' text-anchor='middle'>{}</text>",
          kWidth - 5, top_ + kPlotHeight / 2, escape(y2_title));
    }
    return fmt::format(
        "<div class='chart'><svg viewBox='0 0 {0} {1:.0f}' role='img' aria-label='{2}'>{3}"
        "<line class='axis' x1='{4}' x2='{5}' y1='{6:.1f}' y2='{6:.1f}'/>"
        "<line class='axis' x1='{4}' x2='{4}' y1='{7:.1f}' y2='{6:.1f}'/>{8}"
        "<text x='{9:.1f}' y='{10:.1f}' text-anchor='middle'>{11}</text>"
        "<text transform='translate(14,{12:.1f}) rotate(-90)' text-anchor='middle'>{13}</text>{14}"
        "</svg></div>",
        kWidth, height, escape(aria), body_, kLeft, kWidth - kRight, bottom(), top_, eps,
        (kLeft + kWidth - kRight) / 2, bottom() + 42, escape(x_title), top_ + kPlotHeight / 2,
        escape(y_title), y2);
  }

 private:
  static constexpr double kWidth = 640, kLeft = 62, kRight = 62, kPlotHeight = 200;
  struct EpsLabel {
    double x, label_x;
    size_t lane;
    std::string text;
  };
  double x_min_, x_max_, y_max_;
  bool log_y_;
  double top_ = 0;
  std::vector<EpsLabel> eps_;
  std::string body_;
};

std::string eps_text(double eps) { return fmt::format("eps {:g}", eps); }

// Rows per quarter decade of 1 - score (bars, left axis) and the share an eps removes (line,
// right axis), on a log axis from 10^-7.5 to 2.
std::string closest_chart(const Report& r) {
  const double lo = -7.5, hi = std::log10(2.0);
  std::vector<double> xs;
  std::vector<std::string> labels;
  for (const auto& row : r.sweep) {
    xs.push_back(row.eps > 0 ? std::max(std::log10(row.eps), lo) : lo);
    labels.push_back(eps_text(row.eps));
  }
  const Histogram& h = r.closest;
  int64_t peak = h.above;
  for (int64_t c : h.counts) peak = std::max(peak, c);
  // Counts on a log axis: the few rows near 1 matter as much as the bulk far below.
  std::vector<double> ticks{0, 1};
  while (ticks.back() < static_cast<double>(peak)) ticks.push_back(ticks.back() * 10);
  Chart chart(lo, hi, ticks.back(), xs, labels, true);
  const int64_t all = std::max<int64_t>(1, h.total());
  // Bins ascend in score; in 1 - score they run from 2 down to 1e-7.
  auto d_of = [](double edge) { return std::max(1.0 - edge, 1e-12); };
  chart.bar(lo, -7.0, static_cast<double>(h.above),
            fmt::format("1 - score <= 1e-7: {} rows", h.above));
  std::vector<std::pair<double, double>> line{{lo, 0}};
  int64_t removed = h.above;
  line.emplace_back(-7.0, static_cast<double>(removed));
  for (size_t b = h.counts.size(); b-- > 0;) {
    const double x0 = std::log10(d_of(h.edges[b + 1])), x1 = std::log10(d_of(h.edges[b]));
    chart.bar(x0, x1, static_cast<double>(h.counts[b]),
              fmt::format("1 - score in ({:.2g}, {:.2g}]: {} rows", d_of(h.edges[b + 1]),
                          d_of(h.edges[b]), h.counts[b]));
    removed += h.counts[b];
    line.emplace_back(x1, static_cast<double>(removed));
  }
  std::vector<std::pair<double, double>> points;
  for (const auto& [x, count] : line)
    points.emplace_back(x, chart.py_share(count / static_cast<double>(all)));
  chart.path(points, "ecdf");
  chart.y_ticks(ticks, false, 1.0, "");
  std::vector<std::pair<double, std::string>> x_ticks;
  for (int e = -7; e <= 0; ++e)
    x_ticks.emplace_back(e, e == 0 ? "1" : e == -1 ? "0.1" : fmt::format("1e{}", e));
  chart.x_ticks(x_ticks);
  std::string right;
  for (int pct = 0; pct <= 100; pct += 25) {
    const double y = chart.py_share(pct / 100.0);
    right += fmt::format("<text x='{:.1f}' y='{:.1f}' text-anchor='start'>{}%</text>",
                         640.0 - 62 + 6, y + 4, pct);
  }
  std::string svg =
      chart.finish(fmt::format("1 − {} (log scale; eps removes everything left of its line)",
                               io::kCosineSimScoreColumn),
                   "rows per quarter decade (log)", "share removed at eps = x (line)",
                   "closest pairs on a log scale of 1 minus score");
  return svg.insert(svg.rfind("</svg>"), right);
}

// A linear histogram of scores with eps lines inside [lo, hi].
std::string score_chart(const Report& r, const Histogram& h, double step, int digits,
                        const std::string& title, const std::string& aria) {
  const double lo = h.edges.front(), hi = h.edges.back() + step;  // the last bar: >= the last edge
  std::vector<double> xs;
  std::vector<std::string> labels;
  for (const auto& row : r.sweep) {
    if (row.threshold >= lo && row.threshold <= h.edges.back()) {
      xs.push_back(row.threshold);
      labels.push_back(eps_text(row.eps));
    }
  }
  int64_t peak = h.above;
  for (int64_t c : h.counts) peak = std::max(peak, c);
  const auto ticks = count_ticks(static_cast<double>(peak));
  Chart chart(lo, hi, ticks.back(), xs, labels);
  for (size_t b = 0; b < h.counts.size(); ++b) {
    chart.bar(h.edges[b], h.edges[b + 1], static_cast<double>(h.counts[b]),
              fmt::format("[{:.{}f}, {:.{}f}): {} rows", h.edges[b], digits, h.edges[b + 1], digits,
                          h.counts[b]));
  }
  chart.bar(h.edges.back(), hi, static_cast<double>(h.above),
            fmt::format(">= {:.{}f}: {} rows", h.edges.back(), digits, h.above));
  chart.y_ticks(ticks, false, 1.0, "");
  std::vector<std::pair<double, std::string>> x_ticks;
  const double tick_step = (h.edges.back() - lo) / 4;
  for (int t = 0; t <= 4; ++t) {
    const double v = lo + tick_step * t;
    x_ticks.emplace_back(v, fmt::format("{:.{}f}", v, digits));
  }
  chart.x_ticks(x_ticks);
  return chart.finish(title, "rows", "", aria);
}

std::string balance_chart(const ClusterBalance& b) {
  const auto buckets = b.size_histogram();
  if (buckets.empty()) return "";
  const int64_t peak = *std::max_element(buckets.begin(), buckets.end());
  const auto ticks = count_ticks(static_cast<double>(peak));
  Chart chart(0, static_cast<double>(buckets.size()), ticks.back(), {}, {});
  std::vector<std::pair<double, std::string>> x_ticks;
  for (size_t i = 0; i < buckets.size(); ++i) {
    chart.bar(static_cast<double>(i), static_cast<double>(i + 1), static_cast<double>(buckets[i]),
              fmt::format("{} clusters of [{}, {}) rows", buckets[i], int64_t{1} << i,
                          int64_t{1} << (i + 1)));
    x_ticks.emplace_back(static_cast<double>(i), compact(static_cast<double>(int64_t{1} << i)));
  }
  x_ticks.emplace_back(static_cast<double>(buckets.size()),
                       compact(static_cast<double>(int64_t{1} << buckets.size())));
  chart.y_ticks(ticks, false, 1.0, "");
  chart.x_ticks(x_ticks);
  return chart.finish("rows per cluster (log scale, bins [2^k, 2^(k+1)))", "clusters", "",
                      "clusters by size");
}

std::string side_html(const char* label, const ExampleRow& row,
                      const std::vector<std::string>& fields) {
  std::string out =
      fmt::format("<div class='side'><div class='id'>{} {}</div>", label, escape(row.id));
  for (size_t f = 0; f < row.fields.size() && f < fields.size(); ++f) {
    out += fmt::format("<p class='text'>{}{}</p>",
                       fields.size() > 1 ? "<b>" + escape(fields[f]) + ":</b> " : "",
                       escape(row.fields[f]));
  }
  return out + "</div>";
}

std::string examples_html(const Report& r) {
  std::string out;
  for (const auto& row : r.sweep) {
    out += fmt::format("<h3>Nearest threshold {:.6g} (eps {:g})</h3>", row.threshold, row.eps);
    if (row.just_above.empty() && row.just_below.empty()) out += "<p>No rows.</p>";
    for (const auto* side : {&row.just_above, &row.just_below}) {
      const bool removed = side == &row.just_above;
      for (const auto& ex : *side) {
        out += fmt::format(
            "<div class='example {}'><div class='head'><b>{}</b> score {:.7f} · cluster {}{}</div>"
            "<div class='pair'>{}{}</div></div>",
            removed ? "removed" : "kept", removed ? "removed" : "kept", ex.score, ex.cluster,
            ex.exact ? (*ex.exact ? " · exact copy" : " · near duplicate") : "",
            side_html(io::kIdColumn, ex.row, r.text_fields),
            side_html(fmt::format("{} (kept)", io::kMaxIdColumn).c_str(), ex.max_row,
                      r.text_fields));
      }
    }
  }
  if (!r.texts_note.empty()) out += fmt::format("<p class='note'>{}</p>", escape(r.texts_note));
  return out;
}

std::string sweep_table(const Report& r) {
  std::string out =
      "<div class='scroll'><table><tr><th>eps</th><th>threshold</th><th>removed</th><th>share</th>"
      "<th>added</th><th>chained</th><th>exact</th><th>near</th></tr>";
  for (const auto& row : r.sweep) {
    out += fmt::format(
        "<tr><td>{:g}</td><td>{:.6g}</td><td>{}</td><td>{:.2f}%</td><td>{}</td><td>{}</td><td>{}</"
        "td>"
        "<td>{}</td></tr>",
        row.eps, row.threshold, row.removed, 100.0 * row.share, row.added, row.chained,
        row.exact ? fmt::format("{}", *row.exact) : "?",
        row.exact ? fmt::format("{}", row.removed - *row.exact) : "?");
  }
  return out + "</table></div>";
}

std::string balance_html(const ClusterBalance& b) {
  if (b.sizes.empty()) return "<p>No rows.</p>";
  const auto [lo, hi] = b.suggested_n_clusters();
  const auto one_percent = std::max<int64_t>(1, static_cast<int64_t>(b.sizes.size()) / 100);
  return fmt::format(
      "<p>{} non-empty of {} clusters.</p><div class='scroll'><table>"
      "<tr><th>largest</th><th>p99</th><th>p90</th><th>median</th><th>smallest</th></tr>"
      "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr></table></div>"
      "<p>Pairwise work Σ N<sub>c</sub><sup>2</sup>: the largest cluster carries {:.1f}%, the "
      "largest {} (1%) {:.1f}%, the largest 10% {:.1f}%.</p>{}"
      "<p><b>Suggested n_clusters: {} to {}.</b> {}</p>",
      b.sizes.size(), b.n_clusters, b.sizes.front(), b.percentile(99), b.percentile(90),
      b.percentile(50), b.sizes.back(), 100.0 * b.work_share_of_largest(1), one_percent,
      100.0 * b.work_share_of_largest(one_percent),
      100.0 *
          b.work_share_of_largest(std::max<int64_t>(1, static_cast<int64_t>(b.sizes.size()) / 10)),
      balance_chart(b), lo, hi, escape(b.suggestion_reasoning()));
}

constexpr const char* kStyle =
    "body{font-family:system-ui,sans-serif;max-width:1000px;margin:0 auto;padding:12px;"
    "line-height:1.4;color:#222}"
    "h1{font-size:1.5em}h2{margin-top:1.6em;border-bottom:1px solid #ddd}"
    ".scroll{overflow-x:auto}table{border-collapse:collapse}"
    "td,th{border:1px solid #ccc;padding:2px 8px;text-align:right}"
    ".chart{overflow-x:auto;max-width:900px}.chart svg{width:100%;min-width:540px;height:auto;"
    "display:block}svg text{font-size:13px;fill:#222}"
    ".bar{fill:#4a7fb5}.ecdf{fill:none;stroke:#d9534f;stroke-width:2}"
    ".eps{stroke:#555;stroke-dasharray:4 3}"
    ".epslbl{fill:#444;paint-order:stroke;stroke:#fff;stroke-width:4px;stroke-linejoin:round}"
    ".axis,.tick{stroke:#000}.grid{stroke:#eee}"
    ".example{border:1px solid #ddd;border-radius:4px;margin:8px 0;padding:6px}"
    ".example.removed .head b{color:#b52a2a}.example.kept .head b{color:#2a7a2a}"
    ".pair{display:grid;grid-template-columns:1fr 1fr;gap:8px}"
    ".side{background:#f7f7f7;padding:4px 6px;min-width:0;overflow-wrap:anywhere}"
    ".id{font-family:monospace;color:#555}.text{margin:4px 0}.note{color:#8a5a00}"
    "@media (max-width:640px){.pair{grid-template-columns:1fr}body{padding:6px}}";

}  // namespace

std::string Report::to_html() const {
  const std::string exact_line =
      exact_copies ? fmt::format(
                         "{} rows are exact copies (embedding identical to an earlier-ranked "
                         "row's in their cluster).",
                         *exact_copies)
      : exact_note.empty() ? std::string("Exact copies unknown: no KMeans output was found.")
                           : "Exact copies unknown: " + exact_note;
  return fmt::format(
      "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
      "<meta name='viewport' content='width=device-width, initial-scale=1'>"
      "<title>semdedup report</title><style>{}</style></head><body>"
      "<h1>semdedup report</h1><p>{} rows in {} clusters ({}). {}</p>"
      "<h2>Rows removed per eps</h2><p>A row is removed when its {score} (its similarity "
      "to the most similar row ranked before it) is at least 1 − eps. <i>added</i>: removed at "
      "this eps but not at the previous one; <i>chained</i>: removed rows whose {max_id} is "
      "removed too; <i>exact</i>: identical embeddings; <i>near</i>: the rest.</p>{}"
      "<h2>Closest pairs</h2><p>Bars: rows per quarter decade of 1 − score; the first bar holds "
      "1 − score ≤ 1e-7 (identical vectors score anywhere near 1, above it too). Line: the "
      "share of rows an eps at that point removes. Dashed: the eps values.</p>{}"
      "<h2>Decision range</h2><p>{score} in [0.8, 1) by 0.005; the last bar holds "
      "scores ≥ 1.</p>{}"
      "<h2>All scores</h2>{}"
      "<h2>Example pairs</h2><p>Nearest each threshold: the removed rows with the lowest scores "
      "and the kept rows with the highest, each beside its {max_id}.</p>{}"
      "<h2>Cluster balance</h2>{}</body></html>\n",
      kStyle, rows, clusters, escape(pairwise_path), escape(exact_line), sweep_table(*this),
      closest_chart(*this),
      score_chart(*this, decision, 0.005, 3,
                  fmt::format("{} (decision range)", io::kCosineSimScoreColumn),
                  "scores from 0.8 to 1"),
      score_chart(*this, overall, 0.1, 1, io::kCosineSimScoreColumn, "all scores from -1 to 1"),
      examples_html(*this), balance_html(balance), fmt::arg("score", io::kCosineSimScoreColumn),
      fmt::arg("max_id", io::kMaxIdColumn));
}

}  // namespace semdedup::dedup
