# Runs an example and then the same model in PyTorch, for the side-by-side ctests
# (example_<name>_vs_pytorch): the example writes its initial weights, its first batches
# and its first losses (double) into DIR; SCRIPT trains the same model in PyTorch from
# them and exits 1 unless the losses agree.
#
#   cmake -DPROGRAM=path/to/example -DARGS="--side-by-side DIR ..." -DPYTHON=/usr/bin/python3
#         -DSCRIPT=examples/<name>/side_by_side.py -DDIR=DIR -P side_by_side.cmake
#
# When PYTHON cannot import torch and numpy, prints "skipped: ..." and exits 0; the ctest
# matches that line with SKIP_REGULAR_EXPRESSION, so it shows as skipped, not passed.

foreach(var PROGRAM PYTHON SCRIPT DIR)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "side_by_side.cmake: ${var} is not set")
  endif()
endforeach()

execute_process(COMMAND "${PYTHON}" -c "import torch, numpy"
  RESULT_VARIABLE has_torch OUTPUT_QUIET ERROR_QUIET)
if(NOT has_torch EQUAL 0)
  message("skipped: ${PYTHON} cannot import torch and numpy; install Debian's python3-torch "
          "(apt-get install python3-torch) to compare with PyTorch")
  return()
endif()

file(REMOVE_RECURSE "${DIR}")  # nothing from an earlier run may pass the test
separate_arguments(arg_list UNIX_COMMAND "${ARGS}")
execute_process(COMMAND "${PROGRAM}" ${arg_list} RESULT_VARIABLE status)
if(NOT status EQUAL 0)
  message(FATAL_ERROR "${PROGRAM} ${ARGS}: exit status ${status}")
endif()
execute_process(COMMAND "${PYTHON}" "${SCRIPT}" "${DIR}" RESULT_VARIABLE status)
if(NOT status EQUAL 0)
  message(FATAL_ERROR "${SCRIPT} ${DIR}: exit status ${status}")
endif()
