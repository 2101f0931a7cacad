#pragma once
/// \file The CPU kernel families, chosen once per run from what the machine offers.

#include <string_view>

#include "semdedup/core/context.hpp"
#include "semdedup/core/status.hpp"

namespace semdedup::kernels {

/// The best kernel family this machine runs: kAvx512Bf16 when the CPU has AVX512-BF16 (and
/// AVX512F/BW/VL), else kFp32.
CpuKernel best_cpu_kernel();

/// Whether this machine can run `kernel` (kAuto: always).
bool cpu_kernel_available(CpuKernel kernel);

/// `requested`, or best_cpu_kernel() for kAuto.
CpuKernel resolve_cpu_kernel(CpuKernel requested);

/// "fp32", "avx512-bf16" or "auto".
const char* cpu_kernel_name(CpuKernel kernel);

/// Parses a name of cpu_kernel_name(); invalid_argument for an unknown name or one this
/// machine cannot run.
Result<CpuKernel> parse_cpu_kernel(std::string_view name);

}  // namespace semdedup::kernels
