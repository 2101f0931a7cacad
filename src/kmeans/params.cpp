#include "semdedup/kmeans/params.hpp"

#include <charconv>
#include <system_error>

#include "semdedup/io/kmeans_output.hpp"

namespace semdedup::kmeans {

Status FitParams::validate() const {
  if (n_clusters < 1)
    return Status::invalid_argument("n_clusters must be >= 1, got {}", n_clusters);
  if (max_iter < 1) return Status::invalid_argument("max_iter must be >= 1, got {}", max_iter);
  if (!(tol >= 0)) return Status::invalid_argument("tol must be >= 0, got {}", tol);
  if (n_init < 0) return Status::invalid_argument("n_init must be >= 1 or 'auto', got {}", n_init);
  if (!(oversampling_factor > 0)) {
    return Status::invalid_argument("oversampling_factor must be > 0, got {}", oversampling_factor);
  }
  if (max_samples_per_batch < 1) {
    return Status::invalid_argument("max_samples_per_batch must be >= 1, got {}",
                                    max_samples_per_batch);
  }
  if (init == InitMethod::kFile && init_file.empty()) {
    return Status::invalid_argument("init from a file needs the .npy path");
  }
  if (init == InitMethod::kArray && init_centroids.rows() != n_clusters) {
    return Status::invalid_argument("init array has {} rows but n_clusters is {}",
                                    init_centroids.rows(), n_clusters);
  }
  return Status::OK();
}

const char* init_method_name(InitMethod init) {
  return enum_name(kInitMethodNames, init).data();  // the table's names are literals
}

Status parse_init(std::string_view text, FitParams& params) {
  if (text == init_method_name(InitMethod::kKMeansParallel) || text == kKMeansParallelAlias) {
    params.init = InitMethod::kKMeansParallel;
  } else if (text == init_method_name(InitMethod::kRandom)) {
    params.init = InitMethod::kRandom;
  } else if (text.empty()) {
    return Status::invalid_argument("init must be k-means||, random or the path of an .npy file");
  } else {
    params.init = InitMethod::kFile;
    params.init_file = std::string(text);
  }
  return Status::OK();
}

Result<int64_t> parse_n_init(std::string_view text) {
  if (text == "auto") return int64_t{0};
  int64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value < 1) {
    return Status::invalid_argument("n_init must be a positive integer or 'auto', got '{}'", text);
  }
  return value;
}

int64_t resolved_n_init(const FitParams& params) {
  if (params.init == InitMethod::kFile || params.init == InitMethod::kArray) return 1;
  if (params.n_init > 0) return params.n_init;
  return params.init == InitMethod::kKMeansParallel ? 1 : 10;
}

Status Params::validate() const {
  SD_RETURN_IF_ERROR(fit.validate());
  if (input_paths.empty()) return Status::invalid_argument("no input path given");
  if (output_path.empty()) return Status::invalid_argument("no output path given");
  if (columns.id_field.empty()) return Status::invalid_argument("id_field must not be empty");
  if (columns.embedding_field.empty()) {
    return Status::invalid_argument("embedding_field must not be empty");
  }
  SD_RETURN_IF_ERROR(io::check_output_column_names(columns));
  if (fit_data_fraction && !(*fit_data_fraction > 0.0 && *fit_data_fraction <= 1.0)) {
    return Status::invalid_argument(
        "fit_data_fraction must be in (0, 1], got {}; pass None to fit on everything that fits "
        "the memory limit",
        *fit_data_fraction);
  }
  if (memory_limit < 0) {
    return Status::invalid_argument("memory_limit must be >= 0 bytes, got {}", memory_limit);
  }
  if (embedding_dim < 0) return Status::invalid_argument("embedding_dim must be >= 0");
  if (rows_per_part < 1) return Status::invalid_argument("rows_per_part must be >= 1");
  return Status::OK();
}

}  // namespace semdedup::kmeans
