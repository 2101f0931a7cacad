# Imports the Arrow C++ libraries bundled in the pinned pyarrow wheel (no CMake config ships
# with it). Sets PYARROW_DIR and PYARROW_SO_VERSION and defines the imported targets
#   Arrow::arrow_shared, ArrowCompute::arrow_compute_shared, Parquet::parquet_shared,
#   ArrowAcero::arrow_acero_shared, ArrowDataset::arrow_dataset_shared.
include_guard(GLOBAL)

set(PYARROW_DIR "" CACHE PATH "site-packages/pyarrow of a pyarrow manylinux wheel")
if(NOT PYARROW_DIR)
  set(_py "${PROJECT_SOURCE_DIR}/.venv/bin/python")
  if(SKBUILD AND Python_EXECUTABLE)
    set(_py "${Python_EXECUTABLE}")  # a wheel build: its build environment holds pyarrow
  endif()
  if(NOT EXISTS "${_py}")
    message(FATAL_ERROR "No ${_py}: run scripts/bootstrap.sh first (or pass -DPYARROW_DIR=...)")
  endif()
  # find_spec does not import pyarrow, so no shared library is loaded here.
  execute_process(
    COMMAND "${_py}" -c
      "import importlib.util as u; print(u.find_spec('pyarrow').submodule_search_locations[0])"
    OUTPUT_VARIABLE _dir OUTPUT_STRIP_TRAILING_WHITESPACE RESULT_VARIABLE _rc)
  if(NOT _rc EQUAL 0 OR NOT IS_DIRECTORY "${_dir}")
    message(FATAL_ERROR "pyarrow not found by ${_py}; run scripts/bootstrap.sh")
  endif()
  set(PYARROW_DIR "${_dir}" CACHE PATH "site-packages/pyarrow of a pyarrow manylinux wheel" FORCE)
endif()

set(_cfg "${PYARROW_DIR}/include/arrow/util/config.h")
if(NOT EXISTS "${_cfg}" OR NOT EXISTS "${PYARROW_DIR}/include/parquet/api/reader.h")
  message(FATAL_ERROR "${PYARROW_DIR}: no bundled Arrow/Parquet headers")
endif()
file(STRINGS "${_cfg}" _so REGEX "^#define ARROW_SO_VERSION ")
string(REGEX REPLACE ".*\"([0-9]+)\".*" "\\1" PYARROW_SO_VERSION "${_so}")
file(STRINGS "${_cfg}" _ver REGEX "^#define ARROW_VERSION_STRING ")
string(REGEX REPLACE ".*\"([0-9.]+)\".*" "\\1" PYARROW_VERSION "${_ver}")
message(STATUS "Arrow C++ ${PYARROW_VERSION} (so ${PYARROW_SO_VERSION}) from ${PYARROW_DIR}")

function(_pyarrow_import target lib)
  set(_file "${PYARROW_DIR}/lib${lib}.so.${PYARROW_SO_VERSION}")
  if(NOT EXISTS "${_file}")
    message(FATAL_ERROR "missing ${_file}")
  endif()
  add_library(${target} SHARED IMPORTED GLOBAL)
  set_target_properties(${target} PROPERTIES
    IMPORTED_LOCATION "${_file}"
    IMPORTED_SONAME "lib${lib}.so.${PYARROW_SO_VERSION}"
    INTERFACE_INCLUDE_DIRECTORIES "${PYARROW_DIR}/include"
    INTERFACE_COMPILE_FEATURES cxx_std_20)
  if(ARGN)
    set_property(TARGET ${target} PROPERTY INTERFACE_LINK_LIBRARIES ${ARGN})
  endif()
endfunction()

_pyarrow_import(Arrow::arrow_shared arrow)
_pyarrow_import(ArrowCompute::arrow_compute_shared arrow_compute Arrow::arrow_shared)
_pyarrow_import(Parquet::parquet_shared parquet Arrow::arrow_shared)
_pyarrow_import(ArrowAcero::arrow_acero_shared arrow_acero ArrowCompute::arrow_compute_shared)
_pyarrow_import(ArrowDataset::arrow_dataset_shared arrow_dataset
                ArrowAcero::arrow_acero_shared Parquet::parquet_shared)
