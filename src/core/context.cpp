#include "semdedup/core/context.hpp"

#include <omp.h>

#include "semdedup/core/communicator.hpp"

namespace semdedup {

Result<Device> parse_device(std::string_view name) {
  if (name == "cpu") return Device::kCpu;
  if (name == "cuda") return Device::kCuda;
  return Status::invalid_argument("unknown device '{}' (cpu|cuda)", name);
}

int default_thread_count() { return std::max(1, omp_get_num_procs()); }

Context Context::make_default(int threads) {
  Context ctx;
  ctx.threads = threads > 0 ? threads : default_thread_count();
  ctx.logger = make_null_logger();
  ctx.progress = make_null_progress();
  ctx.comm = make_local_communicator();
  ctx.cancel_flag = std::make_shared<std::atomic<bool>>(false);
  return ctx;
}

Status Context::check_cancelled() const {
  if (cancelled()) return Status::cancelled("interrupted");
  return Status::OK();
}

}  // namespace semdedup
