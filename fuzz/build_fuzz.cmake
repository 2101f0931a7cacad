# cmake -DSOURCE_DIR=.. -DBUILD_DIR=.. -DCXX=clang++ -DGENERATOR=Ninja [-DPYARROW_DIR=..]
#       -P build_fuzz.cmake
# Configures (once) and builds the clang fuzz build: only the libraries the targets need.
set(_args -S "${SOURCE_DIR}" -B "${BUILD_DIR}" -G "${GENERATOR}" -DCMAKE_BUILD_TYPE=Release
          -DCMAKE_CXX_COMPILER=${CXX} -DSEMDEDUP_FUZZ=ON -DSEMDEDUP_BUILD_TESTS=OFF
          -DSEMDEDUP_BUILD_BENCH=OFF)
if(PYARROW_DIR)
  list(APPEND _args -DPYARROW_DIR=${PYARROW_DIR})
endif()
execute_process(COMMAND "${CMAKE_COMMAND}" ${_args} RESULT_VARIABLE rc OUTPUT_QUIET)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "configuring the fuzz build in ${BUILD_DIR} failed")
endif()
execute_process(COMMAND "${CMAKE_COMMAND}" --build "${BUILD_DIR}" --target fuzz_targets
                RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "building the fuzz targets in ${BUILD_DIR} failed")
endif()
