#include "semdedup/pairwise/params.hpp"

namespace semdedup::pairwise {

Result<ComputeDtype> parse_compute_dtype(std::string_view name) {
  if (name == "auto") return ComputeDtype::kAuto;
  if (name == "float16") return ComputeDtype::kFloat16;
  if (name == "float32") return ComputeDtype::kFloat32;
  return Status::invalid_argument("pairwise compute dtype must be auto, float16 or float32, got '{}'",
                                  name);
}

std::string_view compute_dtype_name(ComputeDtype dtype) {
  switch (dtype) {
    case ComputeDtype::kFloat16: return "float16";
    case ComputeDtype::kFloat32: return "float32";
    default: return "auto";
  }
}

Status Params::validate() const {
  if (input_path.empty()) return Status::invalid_argument("no input path given");
  if (output_path.empty()) return Status::invalid_argument("no output path given");
  if (id_field.empty()) return Status::invalid_argument("id_field must not be empty");
  if (embedding_field.empty()) return Status::invalid_argument("embedding_field must not be empty");
  if (pairwise_batch_size < 1 && pairwise_batch_size != kPairwiseBatchAuto) {
    return Status::invalid_argument("pairwise_batch_size must be >= 1 or auto, got {}",
                                    pairwise_batch_size);
  }
  if (!ranking_ascending.empty() && ranking_ascending.size() != 1 &&
      ranking_ascending.size() != ranking_columns.size()) {
    return Status::invalid_argument("Length of ascending ({}) must match metadata_cols ({})",
                                    ranking_ascending.size(), ranking_columns.size());
  }
  return Status::OK();
}

}  // namespace semdedup::pairwise
