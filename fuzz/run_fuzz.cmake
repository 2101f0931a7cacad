# cmake -DFUZZER=.. -DSEEDS=corpus/<name> -DWORK_DIR=.. -DSECONDS=20 -P run_fuzz.cmake
# One bounded fuzzing run: new inputs go to WORK_DIR/corpus (the seed corpus is only read),
# scratch files to WORK_DIR, and a crash or leak is kept as WORK_DIR/crash-* and fails the test.
file(REMOVE_RECURSE "${WORK_DIR}")
file(MAKE_DIRECTORY "${WORK_DIR}/corpus")
set(ENV{TMPDIR} "${WORK_DIR}")
get_filename_component(_here "${CMAKE_CURRENT_LIST_FILE}" DIRECTORY)
set(ENV{LSAN_OPTIONS} "suppressions=${_here}/lsan.supp")
execute_process(
  COMMAND "${FUZZER}" -max_total_time=${SECONDS} -seed=1 -timeout=60 -rss_limit_mb=4096
          -max_len=65536 -print_final_stats=1 -artifact_prefix=${WORK_DIR}/
          "${WORK_DIR}/corpus" "${SEEDS}"
  RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "${FUZZER} failed (${rc}); reproduce with: ${FUZZER} ${WORK_DIR}/crash-*")
endif()
