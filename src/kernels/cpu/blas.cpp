#include "semdedup/kernels/blas.hpp"

#include <dlfcn.h>

#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <string>
#include <utility>

#include "kernels/cpu/blas_api.hpp"

#ifndef SEMDEDUP_OPENBLAS_PATH
#define SEMDEDUP_OPENBLAS_PATH "libopenblas.so.0"
#endif

namespace semdedup::kernels {

namespace {

// The best OpenBLAS 0.3.21 core for this CPU's features, or nullptr to let it decide.
const char* core_type_for_this_cpu() {
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
      __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq")) {
    return "SkylakeX";
  }
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return "Haswell";
  return nullptr;
}

/// The library use_blas_library() chose (path empty: the build's), and whether it was loaded.
struct Choice {
  std::mutex mutex;
  BlasLibrary library;
  bool loaded = false;
};

Choice& choice() {
  static Choice c;
  return c;
}

template <typename F>
F load_symbol(void* lib, const BlasLibrary& library, const char* name) {
  const std::string symbol = library.symbol_prefix + name;
  void* sym = dlsym(lib, symbol.c_str());
  if (!sym) {
    std::fprintf(stderr, "semdedup: fatal: %s lacks %s\n", library.path.c_str(), symbol.c_str());
    std::abort();
  }
  return reinterpret_cast<F>(sym);
}

BlasApi load() {
  BlasLibrary library;
  {
    std::lock_guard lock(choice().mutex);
    choice().loaded = true;
    library = choice().library;
  }
  if (!std::getenv("OPENBLAS_CORETYPE")) {
    if (const char* core = core_type_for_this_cpu()) setenv("OPENBLAS_CORETYPE", core, 0);
  }
  void* lib = nullptr;
  if (library.path.empty()) {
    library.path = SEMDEDUP_OPENBLAS_PATH;
    lib = dlopen(SEMDEDUP_OPENBLAS_PATH, RTLD_NOW | RTLD_LOCAL);
    if (!lib) lib = dlopen("libopenblas.so.0", RTLD_NOW | RTLD_LOCAL);
  } else {
    lib = dlopen(library.path.c_str(), RTLD_NOW | RTLD_LOCAL);
  }
  if (!lib) {
    std::fprintf(stderr, "semdedup: fatal: cannot load OpenBLAS: %s\n", dlerror());
    std::abort();
  }
  BlasApi api;
  api.sgemm = load_symbol<BlasApi::Sgemm>(lib, library, "cblas_sgemm");
  api.get_config = load_symbol<char* (*)()>(lib, library, "openblas_get_config");
  api.get_corename = load_symbol<char* (*)()>(lib, library, "openblas_get_corename");
  api.set_num_threads = load_symbol<void (*)(int)>(lib, library, "openblas_set_num_threads");
  if (library.pthreads) api.set_num_threads(1);
  return api;
}

}  // namespace

Status use_blas_library(BlasLibrary library) {
  std::lock_guard lock(choice().mutex);
  if (choice().loaded) {
    return Status::invalid_argument("BLAS {}: a BLAS is already loaded", library.path);
  }
  choice().library = std::move(library);
  return Status::OK();
}

const BlasApi& blas() {
  static const BlasApi api = load();
  return api;
}

std::string blas_description() {
  std::string config = blas().get_config();
  while (!config.empty() && config.back() == ' ') config.pop_back();
  const char* core = blas().get_corename();
  return config + " core=" + (core ? core : "?");
}

}  // namespace semdedup::kernels
