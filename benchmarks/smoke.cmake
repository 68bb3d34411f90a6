# The smoke run of one benchmark program (ctest bench_smoke_<name>), so that the
# benchmarks cannot rot: each benchmark it registers runs once with a tiny iteration
# count, and the program must exit 0 and write a result for every one of them, with at
# least one iteration and no error (state.SkipWithError). No timing is asserted.
#
#   cmake -DPROGRAM=path/to/x_benchmark -DOUT=path/to/results.json -P smoke.cmake
cmake_minimum_required(VERSION 3.19)  # string(JSON)

foreach(var PROGRAM OUT)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "smoke.cmake: ${var} is not set")
  endif()
endforeach()

execute_process(COMMAND "${PROGRAM}" --benchmark_list_tests=true
  RESULT_VARIABLE status OUTPUT_VARIABLE listed)
if(NOT status EQUAL 0)
  message(FATAL_ERROR "${PROGRAM} --benchmark_list_tests=true: exit status ${status}")
endif()
string(REGEX MATCHALL "[^\n]+" expected "${listed}")
list(LENGTH expected n_expected)
if(n_expected EQUAL 0)
  message(FATAL_ERROR "${PROGRAM} registers no benchmark")
endif()

file(REMOVE "${OUT}")  # a file of an earlier run must not pass the test
get_filename_component(out_dir "${OUT}" DIRECTORY)
file(MAKE_DIRECTORY "${out_dir}")
execute_process(COMMAND "${PROGRAM}" --benchmark_min_time=0.001 --benchmark_repetitions=1
    --benchmark_out=${OUT} --benchmark_out_format=json
  RESULT_VARIABLE status)
if(NOT status EQUAL 0)
  message(FATAL_ERROR "${PROGRAM}: exit status ${status}")
endif()
if(NOT EXISTS "${OUT}")
  message(FATAL_ERROR "${PROGRAM} wrote no results into ${OUT}")
endif()

file(READ "${OUT}" json)
string(JSON n_runs LENGTH "${json}" benchmarks)
set(reported "")
if(n_runs GREATER 0)
  math(EXPR last "${n_runs} - 1")
  foreach(i RANGE ${last})
    string(JSON name GET "${json}" benchmarks ${i} name)
    string(JSON error ERROR_VARIABLE no_error GET "${json}" benchmarks ${i} error_occurred)
    if(NOT no_error AND error)
      string(JSON why ERROR_VARIABLE ignored GET "${json}" benchmarks ${i} error_message)
      message(FATAL_ERROR "${name}: error: ${why}")
    endif()
    string(JSON iterations GET "${json}" benchmarks ${i} iterations)
    if(NOT iterations GREATER 0)
      message(FATAL_ERROR "${name}: ${iterations} iterations")
    endif()
    list(APPEND reported "${name}")
  endforeach()
endif()
foreach(name IN LISTS expected)
  if(NOT name IN_LIST reported)
    message(FATAL_ERROR "${name} is registered but reported no result")
  endif()
endforeach()
message("ok: ${n_expected} benchmarks, each with a result")
