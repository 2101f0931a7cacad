#include "semdedup/pairwise/params.hpp"

namespace semdedup::pairwise {

Result<WhichToKeep> parse_which_to_keep(std::string_view name) {
  if (auto which = enum_from_name(kWhichToKeepNames, name)) return *which;
  return Status::invalid_argument("which_to_keep must be {}, got '{}'",
                                  enum_names_joined(kWhichToKeepNames), name);
}

std::string_view which_to_keep_name(WhichToKeep which) {
  return enum_name(kWhichToKeepNames, which);
}

Result<SimMetric> parse_sim_metric(std::string_view name) {
  if (auto metric = enum_from_name(kSimMetricNames, name)) return *metric;
  return Status::invalid_argument("sim_metric must be {}, got '{}'",
                                  enum_names_joined(kSimMetricNames), name);
}

std::string_view sim_metric_name(SimMetric metric) { return enum_name(kSimMetricNames, metric); }

Result<ComputeDtype> parse_compute_dtype(std::string_view name) {
  if (auto dtype = enum_from_name(kComputeDtypeNames, name)) return *dtype;
  return Status::invalid_argument("pairwise compute dtype must be auto, float16 or float32, got '{}'",
                                  name);
}

std::string_view compute_dtype_name(ComputeDtype dtype) {
  return enum_name(kComputeDtypeNames, dtype);
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
