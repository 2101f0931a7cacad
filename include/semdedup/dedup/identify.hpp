#pragma once
/// \file The identify step: rows with cosine_sim_score >= 1 - eps are duplicates.

#include <cstdint>

#include "semdedup/core/context.hpp"
#include "semdedup/dedup/params.hpp"

namespace semdedup::dedup {

struct IdentifyResult {
  int64_t clusters = 0;    ///< cluster files read
  int64_t duplicates = 0;  ///< ids written
  int64_t files = 0;       ///< output files written
  double seconds = 0;
};

/// Reads <input>/cluster_K.parquet in K order, ten at a time, and writes each batch's
/// duplicate ids, sorted, to <output>/duplicates/part-NNNNN.parquet (a batch without
/// duplicates still writes an empty file, as NeMo does). No cluster files: nothing is written.
/// The files are written into a hidden directory beside duplicates/ that replaces it when all
/// are written, so a failure leaves the earlier duplicates/ (kResume, kOverwrite) or none.
Result<IdentifyResult> identify(const Context& ctx, const IdentifyParams& params);

/// The directory identify writes into: <output>/duplicates.
std::string duplicates_dir(const std::string& output_path);

}  // namespace semdedup::dedup
