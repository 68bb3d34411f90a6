# Runs an example and then the same model in PyTorch, for the side-by-side ctests
# (example_<name>_vs_pytorch): the example writes its initial weights, its first batches
# and its first losses (double) into DIR; SCRIPT trains the same model in PyTorch from
# them and exits 1 unless the losses agree.
#
#   cmake -DPROGRAM=path/to/example -DARGS="--side-by-side DIR ..." -DPYTHON=/usr/bin/python3
#         -DSCRIPT=examples/<name>/side_by_side.py -DDIR=DIR -P side_by_side.cmake
#
# Any failure fails the test, whatever the output says: CMake adds this test only where
# PYTHON has torch and numpy (examples/CMakeLists.txt), and a skipped one otherwise.

foreach(var PROGRAM PYTHON SCRIPT DIR)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "side_by_side.cmake: ${var} is not set")
  endif()
endforeach()

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
