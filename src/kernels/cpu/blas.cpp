#include "semdedup/kernels/blas.hpp"

#include <dlfcn.h>

#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <string>

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

template <typename F>
F load_symbol(void* lib, const char* name) {
  void* sym = dlsym(lib, name);
  if (!sym) {
    std::fprintf(stderr, "semdedup: fatal: %s lacks %s\n", SEMDEDUP_OPENBLAS_PATH, name);
    std::abort();
  }
  return reinterpret_cast<F>(sym);
}

BlasApi load() {
  if (!std::getenv("OPENBLAS_CORETYPE")) {
    if (const char* core = core_type_for_this_cpu()) setenv("OPENBLAS_CORETYPE", core, 0);
  }
  void* lib = dlopen(SEMDEDUP_OPENBLAS_PATH, RTLD_NOW | RTLD_LOCAL);
  if (!lib) lib = dlopen("libopenblas.so.0", RTLD_NOW | RTLD_LOCAL);
  if (!lib) {
    std::fprintf(stderr, "semdedup: fatal: cannot load OpenBLAS: %s\n", dlerror());
    std::abort();
  }
  BlasApi api;
  api.sgemm = load_symbol<BlasApi::Sgemm>(lib, "cblas_sgemm");
  api.get_config = load_symbol<char* (*)()>(lib, "openblas_get_config");
  api.get_corename = load_symbol<char* (*)()>(lib, "openblas_get_corename");
  api.set_num_threads = load_symbol<void (*)(int)>(lib, "openblas_set_num_threads");
  return api;
}

}  // namespace

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
