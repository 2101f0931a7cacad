#include "semdedup/kmeans/params.hpp"

namespace semdedup::kmeans {

Status FitParams::validate() const {
  if (n_clusters < 1) return Status::invalid_argument("n_clusters must be >= 1, got {}", n_clusters);
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
  return Status::OK();
}

Status Params::validate() const {
  SD_RETURN_IF_ERROR(fit.validate());
  if (input_paths.empty()) return Status::invalid_argument("no input path given");
  if (output_path.empty()) return Status::invalid_argument("no output path given");
  if (columns.id_field.empty()) return Status::invalid_argument("id_field must not be empty");
  if (columns.embedding_field.empty()) {
    return Status::invalid_argument("embedding_field must not be empty");
  }
  if (fit_data_fraction && !(*fit_data_fraction > 0.0 && *fit_data_fraction < 1.0)) {
    return Status::invalid_argument(
        "fit_data_fraction must be in (0, 1), got {}; pass None to fit on the full dataset",
        *fit_data_fraction);
  }
  if (embedding_dim < 0) return Status::invalid_argument("embedding_dim must be >= 0");
  if (rows_per_part < 1) return Status::invalid_argument("rows_per_part must be >= 1");
  return Status::OK();
}

}  // namespace semdedup::kmeans
