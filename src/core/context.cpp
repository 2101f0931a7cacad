#include "semdedup/core/context.hpp"

#include <omp.h>

#include "semdedup/core/communicator.hpp"

namespace semdedup {

Result<Device> parse_device(std::string_view name) {
  if (auto device = enum_from_name(kDeviceNames, name)) return *device;
  return Status::invalid_argument("unknown device '{}' ({})", name,
                                  enum_names_joined(kDeviceNames));
}

std::string_view device_name(Device device) { return enum_name(kDeviceNames, device); }

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
