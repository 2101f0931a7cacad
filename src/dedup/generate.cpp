#include "semdedup/dedup/generate.hpp"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <numbers>
#include <span>
#include <system_error>

#include "semdedup/core/matrix.hpp"
#include "semdedup/core/rng.hpp"
#include "semdedup/io/filesystem.hpp"
#include "semdedup/io/jsonl_writer.hpp"
#include "semdedup/io/layout.hpp"
#include "semdedup/io/writer.hpp"

namespace semdedup::dedup {

namespace {

// Independent random streams; every draw is keyed by (seed, stream, counter) with the counter
// derived from a row, centre or component index, so no draw depends on the thread layout.
enum Stream : uint64_t {
  kCentreStream = 1,
  kClusterStream,
  kNoiseStream,
  kSourceStream,
  kDirectionStream,
  kTargetStream,
  kQualityStream,
  kTextStream,
};

// The words of the synthetic texts.
constexpr const char* kWords[] = {
    "data",    "model",  "river",  "stone",  "light",   "garden", "signal", "market",
    "paper",   "engine", "forest", "window", "number",  "voice",  "harbor", "winter",
    "table",   "letter", "bridge", "cloud",  "pattern", "story",  "circle", "metal",
    "village", "reason", "mirror", "season", "field",   "answer", "silver", "thread",
    "station", "kernel", "ocean",  "sketch", "ladder",  "record", "planet", "candle",
    "orbit",   "meadow", "copper", "lesson", "spiral",  "token",  "valley", "memory"};
constexpr uint64_t kWordCount = sizeof(kWords) / sizeof(kWords[0]);
// Counters per row of the text stream: words of an original, then edits of a duplicate.
constexpr uint64_t kTextCounters = 64, kEditCounters = 32;

// Total norm of an original row's noise relative to its unit centre: cosine to the centre
// 1/sqrt(1 + 0.75^2) = 0.8, expected cosine between two rows of a cluster 1/(1 + 0.75^2) =
// 0.64, far from any near-duplicate threshold, yet clusters stay distinct.
constexpr double kNoiseNorm = 0.75;

enum class Kind { kOriginal, kExact, kNear99, kNear95 };

constexpr const char* kind_name(Kind kind) {
  switch (kind) {
    case Kind::kExact: return "exact";
    case Kind::kNear99: return "near99";
    case Kind::kNear95: return "near95";
    default: return "original";
  }
}

int64_t mul_div(int64_t a, int64_t b, int64_t c) {
  return static_cast<int64_t>(static_cast<__int128>(a) * b / c);
}

// n standard normals from counters base, base + 1, ...: one 64-bit draw gives two (Box-Muller).
void fill_gaussian(const CounterRng& rng, uint64_t base, int64_t n, double* out) {
  for (int64_t k = 0; k < n; k += 2) {
    const uint64_t bits = rng.bits(base + static_cast<uint64_t>(k / 2));
    const double u1 = (static_cast<double>(bits >> 32) + 0.5) * 0x1.0p-32;  // (0, 1)
    const double u2 = static_cast<double>(bits & 0xffffffffu) * 0x1.0p-32;   // [0, 1)
    const double radius = std::sqrt(-2.0 * std::log(u1));
    const double angle = 2.0 * std::numbers::pi * u2;
    out[k] = radius * std::cos(angle);
    if (k + 1 < n) out[k + 1] = radius * std::sin(angle);
  }
}

double dot(const double* a, const double* b, int64_t n) {
  double sum = 0.0;
  for (int64_t i = 0; i < n; ++i) sum += a[i] * b[i];
  return sum;
}

void normalise(double* v, int64_t n) {
  const double norm = std::sqrt(dot(v, v, n));
  for (int64_t i = 0; i < n; ++i) v[i] /= norm;
}

// The dataset as pure functions of the row index.
class Planter {
 public:
  explicit Planter(const GenerateParams& params)
      : rows_(params.rows),
        dim_(params.dim),
        pairs_((params.dim + 1) / 2),
        // Row 0 is always an original, so every duplicate has an earlier source.
        duplicates_(std::min<int64_t>(
            params.rows - 1, static_cast<int64_t>(std::llround(params.duplicate_fraction *
                                                               static_cast<double>(params.rows))))),
        clusters_(params.clusters),
        centre_rng_(params.seed, kCentreStream),
        cluster_rng_(params.seed, kClusterStream),
        noise_rng_(params.seed, kNoiseStream),
        source_rng_(params.seed, kSourceStream),
        direction_rng_(params.seed, kDirectionStream),
        target_rng_(params.seed, kTargetStream),
        quality_rng_(params.seed, kQualityStream),
        text_rng_(params.seed, kTextStream) {}

  int64_t duplicates() const { return duplicates_; }

  void make_centres(int threads) {
    centres_.assign(static_cast<size_t>(clusters_ * dim_), 0.0);
#pragma omp parallel for num_threads(threads) schedule(static)
    for (int64_t centre = 0; centre < clusters_; ++centre) {
      double* c = centres_.data() + centre * dim_;
      fill_gaussian(centre_rng_, static_cast<uint64_t>(centre * pairs_), dim_, c);
      normalise(c, dim_);
    }
  }

  // Duplicates among rows [0, row): the duplicates sit at evenly spaced rows.
  int64_t duplicates_before(int64_t row) const { return mul_div(row, duplicates_, rows_); }
  bool is_duplicate(int64_t row) const {
    return duplicates_before(row + 1) > duplicates_before(row);
  }
  Kind kind(int64_t row) const {
    if (!is_duplicate(row)) return Kind::kOriginal;
    switch (duplicates_before(row) % 3) {
      case 0: return Kind::kExact;
      case 1: return Kind::kNear99;
      default: return Kind::kNear95;
    }
  }
  // A uniformly chosen original row before `row` (a duplicate).
  int64_t source(int64_t row) const {
    const int64_t originals_before = row - duplicates_before(row);
    const auto m = static_cast<int64_t>(
        source_rng_.below(static_cast<uint64_t>(row), static_cast<uint64_t>(originals_before)));
    // The smallest r with r + 1 - duplicates_before(r + 1) > m, i.e. the m-th original.
    int64_t lo = m, hi = row - 1;
    while (lo < hi) {
      const int64_t mid = lo + (hi - lo) / 2;
      if (mid + 1 - duplicates_before(mid + 1) > m) {
        hi = mid;
      } else {
        lo = mid + 1;
      }
    }
    return lo;
  }

  // The stored (float32, unit norm) vector of original row `row`; `scratch` has dim doubles.
  void original(int64_t row, double* scratch, float* out) const {
    const auto cluster = static_cast<int64_t>(
        cluster_rng_.below(static_cast<uint64_t>(row), static_cast<uint64_t>(clusters_)));
    fill_gaussian(noise_rng_, static_cast<uint64_t>(row * pairs_), dim_, scratch);
    const double scale = kNoiseNorm / std::sqrt(static_cast<double>(dim_));
    const double* centre = centres_.data() + cluster * dim_;
    for (int64_t i = 0; i < dim_; ++i) scratch[i] = centre[i] + scale * scratch[i];
    normalise(scratch, dim_);
    for (int64_t i = 0; i < dim_; ++i) out[i] = static_cast<float>(scratch[i]);
  }

  // Rotates unit `source` towards a random direction orthogonal to it by acos(target):
  // out = target * s + sqrt(1 - target^2) * o, so cos(out, s) = target exactly before rounding.
  void rotate(int64_t row, double target, const float* source, double* s, double* o,
              float* out) const {
    for (int64_t i = 0; i < dim_; ++i) s[i] = source[i];
    normalise(s, dim_);
    fill_gaussian(direction_rng_, static_cast<uint64_t>(row * pairs_), dim_, o);
    const double along = dot(o, s, dim_);
    for (int64_t i = 0; i < dim_; ++i) o[i] -= along * s[i];
    const double norm = std::sqrt(dot(o, o, dim_));
    if (!(norm > 0.0)) {
      // dim 1 has no orthogonal direction: the only unit vectors are +-s, so copy s.
      std::copy(source, source + dim_, out);
      return;
    }
    for (int64_t i = 0; i < dim_; ++i) o[i] /= norm;
    const double across = std::sqrt(1.0 - target * target);
    for (int64_t i = 0; i < dim_; ++i) out[i] = static_cast<float>(target * s[i] + across * o[i]);
  }

  double target(int64_t row, Kind kind) const {
    const double u = target_rng_.uniform(static_cast<uint64_t>(row));
    return kind == Kind::kNear99 ? 0.991 + 0.008 * u : 0.955 + 0.03 * u;
  }

  // The text of original row `row`: its cluster as a topic, then 12 to 23 words.
  std::vector<std::string> original_words(int64_t row) const {
    const auto cluster =
        cluster_rng_.below(static_cast<uint64_t>(row), static_cast<uint64_t>(clusters_));
    const uint64_t base = static_cast<uint64_t>(row) * kTextCounters;
    std::vector<std::string> words{"topic", std::to_string(cluster) + ":"};
    const uint64_t count = 12 + text_rng_.below(base, 12);
    for (uint64_t i = 1; i <= count; ++i)
      words.emplace_back(kWords[text_rng_.below(base + i, kWordCount)]);
    return words;
  }

  // The text of `row`: an original's own; an exact copy's source text; a near duplicate's
  // source text with 1 (near99) or 3 (near95) words replaced.
  std::string text(int64_t row, Kind kind, int64_t source) const {
    std::vector<std::string> words = original_words(kind == Kind::kOriginal ? row : source);
    const int edits = kind == Kind::kNear99 ? 1 : kind == Kind::kNear95 ? 3 : 0;
    const uint64_t base = static_cast<uint64_t>(row) * kTextCounters + kEditCounters;
    for (int e = 0; e < edits; ++e) {
      const uint64_t at = 2 + text_rng_.below(base + 2 * e, words.size() - 2);
      words[at] = kWords[text_rng_.below(base + 2 * e + 1, kWordCount)];
    }
    std::string out;
    for (const auto& word : words) out += (out.empty() ? "" : " ") + word;
    return out;
  }

  float quality(int64_t row) const {
    // 24 random bits: exactly representable, strictly below 1.
    return static_cast<float>(quality_rng_.bits(static_cast<uint64_t>(row)) >> 40) * 0x1.0p-24f;
  }

 private:
  int64_t rows_;
  int64_t dim_;
  int64_t pairs_;
  int64_t duplicates_;
  int64_t clusters_;
  std::vector<double> centres_;
  CounterRng centre_rng_, cluster_rng_, noise_rng_, source_rng_, direction_rng_, target_rng_,
      quality_rng_, text_rng_;
};

double cosine(const float* a, const float* b, int64_t n) {
  double ab = 0.0, aa = 0.0, bb = 0.0;
  for (int64_t i = 0; i < n; ++i) {
    ab += static_cast<double>(a[i]) * b[i];
    aa += static_cast<double>(a[i]) * a[i];
    bb += static_cast<double>(b[i]) * b[i];
  }
  return ab / std::sqrt(aa * bb);
}

struct Truth {
  std::vector<int64_t> id, duplicate_of;
  std::vector<std::string> kind;
  std::vector<float> cosine;
};

Result<int64_t> file_size(const std::string& path) {
  SD_ASSIGN_OR_RETURN(const io::Entry entry, io::stat_path(path));
  if (entry.type != io::EntryType::kFile) return Status::io_error("cannot stat {}", path);
  return entry.size;
}

}  // namespace

namespace {

/// invalid_argument when the centres and one file's rows (held twice while Arrow builds the
/// file) would not fit in this machine's memory.
Status check_memory(const GenerateParams& params, int threads) {
  const long pages = sysconf(_SC_PHYS_PAGES);
  const long page_size = sysconf(_SC_PAGE_SIZE);
  if (pages <= 0 || page_size <= 0) return Status::OK();
  const double machine = static_cast<double>(pages) * static_cast<double>(page_size);
  const double dim = static_cast<double>(params.dim);
  const double file_rows = std::ceil(static_cast<double>(params.rows) /
                                     static_cast<double>(params.files));
  const double needed = static_cast<double>(params.clusters) * dim * sizeof(double) +
                        3.0 * file_rows * dim * sizeof(float) +
                        static_cast<double>(threads) * 3.0 * dim * sizeof(double);
  if (needed <= machine) return Status::OK();
  constexpr double kGiB = 1024.0 * 1024.0 * 1024.0;
  return Status::invalid_argument(
      "--rows {} --dim {} --clusters {} in {} file(s) needs about {:.1f} GiB of memory but this "
      "machine has {:.1f} GiB; use more --files or fewer --clusters",
      params.rows, params.dim, params.clusters, params.files, needed / kGiB, machine / kGiB);
}

}  // namespace

Status GenerateParams::validate() const {
  if (output_path.empty()) return Status::invalid_argument("--output is required");
  if (rows < 1) return Status::invalid_argument("--rows must be >= 1 (got {})", rows);
  if (dim < 1) return Status::invalid_argument("--dim must be >= 1 (got {})", dim);
  if (dim > kMaxGenerateDim) {
    return Status::invalid_argument("--dim {} is wider than semdedup reads: at most {}", dim,
                                    kMaxGenerateDim);
  }
  if (clusters < 1) return Status::invalid_argument("--clusters must be >= 1 (got {})", clusters);
  if (files < 1 || files > rows) {
    return Status::invalid_argument("--files must be in [1, rows = {}] (got {})", rows, files);
  }
  if (!(duplicate_fraction >= 0.0 && duplicate_fraction < 1.0)) {
    return Status::invalid_argument("--duplicate-fraction must be in [0, 1) (got {})",
                                    duplicate_fraction);
  }
  if (output_mode == io::OutputMode::kResume) {
    return Status::invalid_argument("generate cannot resume; use --overwrite");
  }
  return Status::OK();
}

Result<GenerateResult> generate(const Context& ctx, const GenerateParams& params) {
  SD_RETURN_IF_ERROR(params.validate());
  const int threads = std::max(1, ctx.threads);
  SD_RETURN_IF_ERROR(check_memory(params, threads));
  SD_RETURN_IF_ERROR(io::prepare_output_dir(params.output_path, params.output_mode));
  const std::string data_dir = io::join_path(params.output_path, io::kGeneratedDataDir);
  if (const Status made = io::create_directories(data_dir); !made.ok()) {
    return Status::io_error("cannot create {}: {}", data_dir, made.message());
  }

  Planter planter(params);
  planter.make_centres(threads);
  const int64_t dim = params.dim;
  const std::string extension(io::file_extension(params.format));

  GenerateResult result;
  result.rows = params.rows;
  result.dim = dim;
  Truth truth;
  ProgressTask progress(*ctx.progress, "generate", params.rows, "rows");

  for (int64_t file = 0; file < params.files; ++file) {
    SD_RETURN_IF_ERROR(ctx.check_cancelled());
    const int64_t first = mul_div(file, params.rows, params.files);
    const int64_t count = mul_div(file + 1, params.rows, params.files) - first;
    Matrix embeddings(count, dim);
    std::vector<int64_t> ids(static_cast<size_t>(count));
    std::vector<float> quality(static_cast<size_t>(count));
    std::vector<std::string> texts(static_cast<size_t>(count));
    std::vector<int64_t> sources(static_cast<size_t>(count), -1);
    std::vector<float> cosines(static_cast<size_t>(count), 0.0f);

#pragma omp parallel num_threads(threads)
    {
      std::vector<double> s(static_cast<size_t>(dim)), o(static_cast<size_t>(dim));
      std::vector<float> source(static_cast<size_t>(dim));
#pragma omp for schedule(static)
      for (int64_t local = 0; local < count; ++local) {
        const int64_t row = first + local;
        const auto at = static_cast<size_t>(local);
        float* out = embeddings.row(local);
        ids[at] = row;
        quality[at] = planter.quality(row);
        const Kind kind = planter.kind(row);
        if (kind == Kind::kOriginal) {
          planter.original(row, s.data(), out);
          texts[at] = planter.text(row, kind, row);
          continue;
        }
        const int64_t from = planter.source(row);
        texts[at] = planter.text(row, kind, from);
        planter.original(from, s.data(), source.data());
        if (kind == Kind::kExact) {
          std::copy(source.begin(), source.end(), out);
        } else {
          planter.rotate(row, planter.target(row, kind), source.data(), s.data(), o.data(), out);
        }
        sources[at] = from;
        cosines[at] = static_cast<float>(cosine(out, source.data(), dim));
      }
    }

    for (int64_t local = 0; local < count; ++local) {
      const auto at = static_cast<size_t>(local);
      if (sources[at] < 0) continue;
      const Kind kind = planter.kind(first + local);
      truth.id.push_back(first + local);
      truth.duplicate_of.push_back(sources[at]);
      truth.kind.emplace_back(kind_name(kind));
      truth.cosine.push_back(cosines[at]);
      result.exact_duplicates += kind == Kind::kExact;
      result.near99_duplicates += kind == Kind::kNear99;
      result.near95_duplicates += kind == Kind::kNear95;
    }

    SD_ASSIGN_OR_RETURN(auto table, io::make_table({{io::kDefaultIdField, std::move(ids)},
                                                    {io::kDefaultEmbeddingField, embeddings.view()},
                                                    {"quality", std::move(quality)},
                                                    {"text", std::move(texts)}}));
    const std::string path = io::join_path(data_dir, io::numbered_file_name(file, extension));
    if (params.format == io::FileType::kParquet) {
      SD_RETURN_IF_ERROR(io::write_parquet(path, table));
    } else {
      SD_RETURN_IF_ERROR(io::write_jsonl(path, table, {.threads = threads}));
    }
    SD_ASSIGN_OR_RETURN(const int64_t size, file_size(path));
    result.bytes += size;
    result.data_files.push_back(path);
    progress.advance(count);
  }

  SD_ASSIGN_OR_RETURN(auto truth_table,
                      io::make_table({{io::kDefaultIdField, std::move(truth.id)},
                                      {"duplicate_of", std::move(truth.duplicate_of)},
                                      {"kind", std::move(truth.kind)},
                                      {"cosine", std::move(truth.cosine)}}));
  result.ground_truth_file = io::join_path(params.output_path, io::kGroundTruthFile);
  SD_RETURN_IF_ERROR(io::write_parquet(result.ground_truth_file, truth_table));
  SD_ASSIGN_OR_RETURN(const int64_t size, file_size(result.ground_truth_file));
  result.bytes += size;
  return result;
}

}  // namespace semdedup::dedup
