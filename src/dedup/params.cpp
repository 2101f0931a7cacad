#include "semdedup/dedup/params.hpp"

namespace semdedup::dedup {

Status IdentifyParams::validate() const {
  if (input_path.empty()) return Status::invalid_argument("no input path given");
  if (output_path.empty()) return Status::invalid_argument("no output path given");
  if (!(eps >= 0.0 && eps < 1.0)) return Status::invalid_argument("eps must be in [0, 1), got {}", eps);
  if (clusters_per_file < 1) return Status::invalid_argument("clusters_per_file must be >= 1");
  if (row_groups_per_file < 1) return Status::invalid_argument("row_groups_per_file must be >= 1");
  return Status::OK();
}

}  // namespace semdedup::dedup
