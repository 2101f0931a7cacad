#include "semdedup/kernels/isa.hpp"

namespace semdedup::kernels {

CpuKernel best_cpu_kernel() {
  return cpu_kernel_available(CpuKernel::kAvx512Bf16) ? CpuKernel::kAvx512Bf16 : CpuKernel::kFp32;
}

bool cpu_kernel_available(CpuKernel kernel) {
  switch (kernel) {
    case CpuKernel::kAuto:
    case CpuKernel::kFp32:
      return true;
    case CpuKernel::kAvx512Bf16:
      __builtin_cpu_init();
      return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
             __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512bf16");
  }
  return false;
}

CpuKernel resolve_cpu_kernel(CpuKernel requested) {
  return requested == CpuKernel::kAuto ? best_cpu_kernel() : requested;
}

const char* cpu_kernel_name(CpuKernel kernel) {
  return enum_name(kCpuKernelNames, kernel).data();  // the table's names are literals
}

Result<CpuKernel> parse_cpu_kernel(std::string_view name) {
  const std::optional<CpuKernel> kernel = enum_from_name(kCpuKernelNames, name);
  if (!kernel) {
    return Status::invalid_argument("unknown CPU kernel '{}' ({})", name,
                                    enum_names_joined(kCpuKernelNames));
  }
  if (!cpu_kernel_available(*kernel)) {
    return Status::invalid_argument("CPU kernel '{}' needs an instruction set this CPU lacks",
                                    name);
  }
  return *kernel;
}

}  // namespace semdedup::kernels
