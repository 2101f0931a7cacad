// Report::to_text: the report for a terminal, 100 columns wide.
#include <algorithm>

#include "semdedup/dedup/report.hpp"
#include "semdedup/io/layout.hpp"

namespace semdedup::dedup {

namespace {

constexpr size_t kColumn = 44;  // width of each side of an example pair
constexpr size_t kLinesPerText = 4;

std::string percent(int64_t part, int64_t whole) {
  return whole ? fmt::format("{:.2f}%",
                             100.0 * static_cast<double>(part) / static_cast<double>(whole))
               : "-";
}

std::string bar(int64_t count, int64_t peak, int width = 30) {
  if (count == 0 || peak == 0) return "";
  if (count > peak) return std::string(static_cast<size_t>(width), '#') + ">";
  const auto length = std::max<int64_t>(1, count * width / peak);
  return std::string(static_cast<size_t>(length), '#');
}

// Code points of UTF-8 `text`.
size_t width_of(const std::string& text) {
  size_t n = 0;
  for (unsigned char c : text) n += (c & 0xC0) != 0x80;
  return n;
}

// `text` wrapped at spaces into lines of at most `width` code points, at most `max_lines` (the
// last ends in "…" when text was left over).
std::vector<std::string> wrap(const std::string& text, size_t width, size_t max_lines) {
  std::vector<std::string> lines;
  std::string line, word;
  auto flush_word = [&]() {
    if (word.empty()) return;
    if (!line.empty() && width_of(line) + 1 + width_of(word) > width) {
      lines.push_back(line);
      line.clear();
    }
    while (width_of(word) > width) {  // a word longer than a line is cut
      size_t cut = 0, chars = 0;
      while (chars < width) {
        ++cut;
        while (cut < word.size() && (static_cast<unsigned char>(word[cut]) & 0xC0) == 0x80) ++cut;
        ++chars;
      }
      lines.push_back(word.substr(0, cut));
      word.erase(0, cut);
    }
    line += (line.empty() ? "" : " ") + word;
    word.clear();
  };
  for (char c : text) {
    if (c == ' ') {
      flush_word();
    } else {
      word += c;
    }
  }
  flush_word();
  if (!line.empty()) lines.push_back(line);
  if (lines.size() > max_lines) {
    lines.resize(max_lines);
    lines.back() += " …";
  }
  return lines;
}

std::string pad(const std::string& text, size_t width) {
  const size_t have = width_of(text);
  return have >= width ? text : text + std::string(width - have, ' ');
}

// The lines of one side of an example: its id, then each chosen column's text.
std::vector<std::string> side_lines(const char* label, const ExampleRow& row,
                                    const std::vector<std::string>& fields) {
  std::vector<std::string> lines{fmt::format("{} {}", label, row.id)};
  for (size_t f = 0; f < row.fields.size() && f < fields.size(); ++f) {
    const std::string text = fields.size() > 1 ? fields[f] + ": " + row.fields[f] : row.fields[f];
    for (auto& line : wrap(text, kColumn, kLinesPerText)) lines.push_back(std::move(line));
  }
  return lines;
}

std::string example_text(const ExamplePair& ex, bool removed, const Report& report) {
  std::string out =
      fmt::format("  {}  score {:.7f}  cluster {}{}\n", removed ? "removed" : "kept   ", ex.score,
                  ex.cluster, ex.exact ? (*ex.exact ? "  exact copy" : "  near duplicate") : "");
  const auto left = side_lines(io::kIdColumn, ex.row, report.text_fields);
  const auto right = side_lines(io::kMaxIdColumn, ex.max_row, report.text_fields);
  for (size_t i = 0; i < std::max(left.size(), right.size()); ++i) {
    out += fmt::format("    {} | {}\n", pad(i < left.size() ? left[i] : "", kColumn),
                       i < right.size() ? right[i] : "");
  }
  return out;
}

// One table of a score histogram: a row per bin with its count and the share of rows below
// the bin's upper edge (exclusive), then the rows at or over the last edge.
std::string score_table(const Histogram& h, int digits) {
  // Bars scale to the bins and the top row; a longer "below" row is cut (">").
  int64_t peak = h.above;
  for (int64_t count : h.counts) peak = std::max(peak, count);
  const int64_t all = h.total();
  std::string out = fmt::format("  {:<22} {:>10}  {:>11}\n", "score", "rows", "share < hi");
  if (h.below > 0) {
    out += fmt::format("  {:<22} {:>10}  {:>11}  {}\n",
                       fmt::format("< {:.{}f}", h.edges.front(), digits), h.below,
                       percent(h.below, all), bar(h.below, peak));
  }
  for (size_t b = 0; b < h.counts.size(); ++b) {
    out +=
        fmt::format("  {:<22} {:>10}  {:>10.2f}%  {}\n",
                    fmt::format("[{:.{}f}, {:.{}f})", h.edges[b], digits, h.edges[b + 1], digits),
                    h.counts[b], 100.0 * h.share_below_upper(b), bar(h.counts[b], peak));
  }
  out += fmt::format("  {:<22} {:>10}  {:>11}  {}\n",
                     fmt::format(">= {:.{}f}", h.edges.back(), digits), h.above,
                     all ? "100.00%" : "-", bar(h.above, peak));
  return out;
}

// The closest pairs by decade of 1 - score, nearest first, with the share of rows an eps at
// the decade's far edge removes.
std::string closest_table(const Histogram& h) {
  std::string out =
      fmt::format("  {:<24} {:>10}  {:>17}\n", "1 - score", "rows", "removed at eps=hi");
  const int64_t all = h.total();
  int64_t at_or_above = h.above;
  out += fmt::format("  {:<24} {:>10}  {:>17}\n", "<= 1e-07 (or score > 1)", h.above,
                     percent(h.above, all));
  // Bins ascend in score; the top 28 are quarter decades of 1 - score, 1e-7 up to 1.
  const size_t bins = h.counts.size();
  for (int decade = 7; decade >= 1; --decade) {
    int64_t rows = 0;
    for (size_t q = 0; q < 4; ++q)
      rows += h.counts[bins - 1 - static_cast<size_t>(7 - decade) * 4 - q];
    at_or_above += rows;
    out += fmt::format("  {:<24} {:>10}  {:>17}\n",
                       decade == 1 ? std::string("(1e-01, 1]")
                                   : fmt::format("(1e-{:02d}, 1e-{:02d}]", decade, decade - 1),
                       rows, percent(at_or_above, all));
  }
  out += fmt::format("  {:<24} {:>10}  {:>17}\n", "> 1 (score < 0)", h.counts[0] + h.below,
                     all ? "100.00%" : "-");
  return out;
}

}  // namespace

std::string Report::to_text() const {
  std::string out = fmt::format("{} rows in {} clusters ({})\n", rows, clusters, pairwise_path);
  if (exact_copies) {
    out +=
        fmt::format("{} exact copies (embedding identical to an earlier-ranked row's; from {})\n",
                    *exact_copies, *kmeans_path);
  } else {
    out += exact_note.empty()
               ? "exact copies unknown: no KMeans output found (--kmeans-results DIR)\n"
               : fmt::format("exact copies unknown: {}\n", exact_note);
  }

  out += fmt::format("\neps sweep: rows with {} >= 1 - eps are removed\n",
                     io::kCosineSimScoreColumn);
  out += fmt::format("{:>8}  {:>10}  {:>10}  {:>7}  {:>10}  {:>10}  {:>10}  {:>10}\n", "eps",
                     "threshold", "removed", "share", "added", "chained", "exact", "near");
  for (const auto& row : sweep) {
    out += fmt::format("{:>8g}  {:>10.6g}  {:>10}  {:>7}  {:>10}  {:>10}  {:>10}  {:>10}\n",
                       row.eps, row.threshold, row.removed, percent(row.removed, rows), row.added,
                       row.chained, row.exact ? fmt::format("{}", *row.exact) : "?",
                       row.exact ? fmt::format("{}", row.removed - *row.exact) : "?");
  }
  out += fmt::format(
      "  added: removed at this eps but not at the previous one. chained: removed rows whose\n"
      "  {} is removed too (the row it duplicates goes as well). exact: identical\n"
      "  embeddings; near: the rest.\n",
      io::kMaxIdColumn);

  out += fmt::format(
      "\n{}, all rows (share < hi: rows scoring below the bin's upper edge)\n",
      io::kCosineSimScoreColumn);
  out += score_table(overall, 1);
  out += fmt::format("\ndecision range, {} in [0.8, 1) by 0.005\n", io::kCosineSimScoreColumn);
  out += score_table(decision, 3);
  out += fmt::format("\nclosest pairs, 1 - {} by decade\n", io::kCosineSimScoreColumn);
  out += closest_table(closest);

  for (const auto& row : sweep) {
    out += fmt::format(
        "\nexamples nearest threshold {:.6g} (eps={}): {}'s row is removed when "
        "its score >= the threshold, {}'s is kept\n",
        row.threshold, row.eps, io::kIdColumn, io::kMaxIdColumn);
    if (row.just_above.empty() && row.just_below.empty()) out += "  (none)\n";
    for (const auto& ex : row.just_above) out += example_text(ex, true, *this);
    for (const auto& ex : row.just_below) out += example_text(ex, false, *this);
  }
  if (!texts_note.empty()) out += "\n" + texts_note + "\n";

  out += fmt::format("\ncluster balance: {} non-empty of {} clusters\n", balance.sizes.size(),
                     balance.n_clusters);
  if (!balance.sizes.empty()) {
    out += fmt::format("  rows per cluster: largest {}, p99 {}, p90 {}, median {}, smallest {}\n",
                       balance.sizes.front(), balance.percentile(99), balance.percentile(90),
                       balance.percentile(50), balance.sizes.back());
    const auto one_percent = std::max<int64_t>(1, static_cast<int64_t>(balance.sizes.size()) / 100);
    out += fmt::format(
        "  pairwise work sum(N_c^2): largest cluster {:.1f}%, largest {} ({}%) {:.1f}%, largest "
        "10% {:.1f}%\n",
        100.0 * balance.work_share_of_largest(1), one_percent, 1,
        100.0 * balance.work_share_of_largest(one_percent),
        100.0 * balance.work_share_of_largest(std::max<size_t>(1, balance.sizes.size() / 10)));
    out += "  clusters by size:\n";
    const auto buckets = balance.size_histogram();
    const int64_t peak = *std::max_element(buckets.begin(), buckets.end());
    size_t first = 0;
    while (buckets[first] == 0) ++first;
    for (size_t b = first; b < buckets.size(); ++b) {
      out += fmt::format("    {:<20} {:>8}  {}\n",
                         fmt::format("[{}, {})", int64_t{1} << b, int64_t{1} << (b + 1)),
                         buckets[b], bar(buckets[b], peak));
    }
    const auto [lo, hi] = balance.suggested_n_clusters();
    out += fmt::format("  suggested n_clusters: {} to {}\n", lo, hi);
    for (const auto& line : wrap(balance.suggestion_reasoning(), 94, 20)) {
      out += "    " + line + "\n";
    }
  }
  return out;
}

}  // namespace semdedup::dedup
