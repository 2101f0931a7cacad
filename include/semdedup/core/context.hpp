#pragma once
/// \file The execution context every stage entry point takes first: backend, threads,
/// communicator, logger, progress sink and cancellation. No global tunables.

#include <atomic>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "semdedup/core/enum_names.hpp"
#include "semdedup/core/log.hpp"
#include "semdedup/core/progress.hpp"
#include "semdedup/core/status.hpp"

namespace semdedup {

class Communicator;

/// Which backend runs the hot kernels; chosen once per run.
enum class Device { kCpu, kCuda };
/// The names of Device (--device).
inline constexpr std::array<EnumName<Device>, 2> kDeviceNames{
    {{Device::kCpu, "cpu"}, {Device::kCuda, "cuda"}}};

Result<Device> parse_device(std::string_view name);
std::string_view device_name(Device device);

/// Which CPU kernel family computes k-means assignment (kernels/isa.hpp). Every family makes
/// the same decisions: low precision only proposes candidates that float64 then decides.
enum class CpuKernel {
  kAuto,        ///< the best this machine runs
  kFp32,        ///< fp32 GEMM tiles (the reference)
  kAvx512Bf16,  ///< AVX512-BF16 dot products as a filter, float64 rescoring
};
/// The names of CpuKernel (--cpu-kernel; kernels/isa.hpp parses and prints them).
inline constexpr std::array<EnumName<CpuKernel>, 3> kCpuKernelNames{
    {{CpuKernel::kAuto, "auto"},
     {CpuKernel::kFp32, "fp32"},
     {CpuKernel::kAvx512Bf16, "avx512-bf16"}}};

struct Context {
  /// Worker threads for kernels (>= 1). Results never depend on it.
  int threads = 1;
  Device device = Device::kCpu;
  /// CPU kernel family; kAuto resolves to kernels::best_cpu_kernel().
  CpuKernel cpu_kernel = CpuKernel::kAuto;
  LoggerPtr logger;                      ///< never null
  std::shared_ptr<Progress> progress;    ///< never null
  std::shared_ptr<Communicator> comm;      ///< never null; one process = local
  /// Set (e.g. by a signal handler) to ask long work to stop at the next tile boundary.
  std::shared_ptr<std::atomic<bool>> cancel_flag;
  /// Object-storage options for s3:// paths (io::StorageOptions: endpoint_override, region,
  /// access_key, ...); empty = the AWS environment alone. io::configure_storage applies them.
  std::map<std::string, std::string> storage_options;

  /// A quiet single-process CPU context using all cores (`threads` <= 0) or `threads`.
  static Context make_default(int threads = 0);

  bool cancelled() const { return cancel_flag && cancel_flag->load(std::memory_order_relaxed); }
  /// Status::cancelled if cancellation was requested, else OK.
  Status check_cancelled() const;
};

/// Number of hardware threads OpenMP would use by default.
int default_thread_count();

}  // namespace semdedup
