#include "semdedup/io/arrow_runtime.hpp"

#include <arrow/compute/initialize.h>
#include <arrow/config.h>
#include <arrow/util/config.h>

#include <mutex>

namespace semdedup::io {

static_assert(_GLIBCXX_USE_CXX11_ABI == 1, "the pyarrow wheel uses the new libstdc++ ABI");

Status initialize_arrow() {
  static std::once_flag once;
  static Status result;
  std::call_once(once, [] {
    const auto& info = arrow::GetBuildInfo();
    if (info.so_version != ARROW_SO_VERSION) {
      result = Status::internal("Arrow library so-version {} does not match headers {}",
                                info.so_version, ARROW_SO_VERSION);
      return;
    }
    const arrow::Status st = arrow::compute::Initialize();
    if (!st.ok()) result = Status::internal("Arrow compute initialisation: {}", st.ToString());
  });
  return result;
}

std::string arrow_description() {
  return "Arrow " + arrow::GetBuildInfo().version_string;
}

}  // namespace semdedup::io
