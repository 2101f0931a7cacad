# Every external dependency, found once. See design.md section 3.
include_guard(GLOBAL)
include(PyArrowCpp)

find_package(OpenMP REQUIRED)
find_package(Threads REQUIRED)
find_package(fmt REQUIRED)
find_package(spdlog REQUIRED)
if(SEMDEDUP_BUILD_CLI)
  find_package(CLI11 REQUIRED)
  find_package(yaml-cpp REQUIRED)
endif()
# RapidJSON (header only): the JSON lines that Arrow's reader must not rewrite (remove) or see
# whole (type probe) are parsed one line at a time.
find_path(RAPIDJSON_INCLUDE_DIR NAMES rapidjson/document.h REQUIRED)
if(SEMDEDUP_BUILD_TESTS)
  find_package(GTest REQUIRED)
endif()
find_package(benchmark QUIET)

# Logging: Debian's shared spdlog and fmt, or (SEMDEDUP_WHEEL) the same headers compiled into
# our own code, so a wheel needs neither library at run time.
add_library(semdedup_logging INTERFACE)
if(SEMDEDUP_WHEEL)
  target_link_libraries(semdedup_logging INTERFACE Threads::Threads)
  target_compile_definitions(semdedup_logging INTERFACE SPDLOG_HEADER_ONLY SPDLOG_FMT_EXTERNAL
                                                        FMT_HEADER_ONLY=1)
else()
  target_link_libraries(semdedup_logging INTERFACE fmt::fmt spdlog::spdlog)
endif()

# OpenBLAS built for OpenMP callers: a GEMM issued inside one of our parallel regions runs on
# that thread alone, so threads are never oversubscribed.
set(SEMDEDUP_OPENBLAS_DIR "/usr/lib/x86_64-linux-gnu/openblas-openmp" CACHE PATH
    "directory holding the OpenMP build of libopenblas.so")
find_library(OPENBLAS_LIBRARY NAMES openblas PATHS "${SEMDEDUP_OPENBLAS_DIR}" NO_DEFAULT_PATH)
find_path(OPENBLAS_INCLUDE_DIR NAMES cblas.h
          PATHS /usr/include/x86_64-linux-gnu/openblas-openmp NO_DEFAULT_PATH)
if(NOT OPENBLAS_LIBRARY OR NOT OPENBLAS_INCLUDE_DIR)
  message(FATAL_ERROR "OpenMP OpenBLAS not found; run scripts/bootstrap.sh")
endif()
# The kernels dlopen() this file (see src/kernels/cpu/blas.cpp), so nothing links it.
get_filename_component(_openblas_real "${OPENBLAS_LIBRARY}" REALPATH)
add_library(semdedup_blas INTERFACE)
target_link_libraries(semdedup_blas INTERFACE OpenMP::OpenMP_CXX ${CMAKE_DL_LIBS})
target_include_directories(semdedup_blas SYSTEM INTERFACE "${OPENBLAS_INCLUDE_DIR}")
target_compile_definitions(semdedup_blas INTERFACE SEMDEDUP_OPENBLAS_PATH="${_openblas_real}")

find_package(MPI COMPONENTS CXX QUIET)
include(CheckLanguage)
check_language(CUDA)
