#include "semdedup/pairwise/params.hpp"

namespace semdedup::pairwise {

Status Params::validate() const {
  if (input_path.empty()) return Status::invalid_argument("no input path given");
  if (output_path.empty()) return Status::invalid_argument("no output path given");
  if (id_field.empty()) return Status::invalid_argument("id_field must not be empty");
  if (embedding_field.empty()) return Status::invalid_argument("embedding_field must not be empty");
  if (pairwise_batch_size < 1) {
    return Status::invalid_argument("pairwise_batch_size must be >= 1, got {}", pairwise_batch_size);
  }
  if (!ranking_ascending.empty() && ranking_ascending.size() != 1 &&
      ranking_ascending.size() != ranking_columns.size()) {
    return Status::invalid_argument("Length of ascending ({}) must match metadata_cols ({})",
                                    ranking_ascending.size(), ranking_columns.size());
  }
  return Status::OK();
}

}  // namespace semdedup::pairwise
