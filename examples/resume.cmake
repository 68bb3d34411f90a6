# A straight run against a stopped-and-resumed one, for the resume ctests
# (example_*_resume): the parameters must end bit for bit the same.
#
#   cmake -DPROGRAM=path/to/example -DARGS="--flag value ..." -DSTOP="--stop-after 2"
#         -DOUT=scratch/folder -P resume.cmake
#
# Runs PROGRAM ARGS --out OUT/straight; PROGRAM ARGS STOP --out OUT/resumed (which saves
# its checkpoint and stops, as a killed run would); PROGRAM ARGS --resume --out OUT/resumed.
# Each prints "parameters hash H" (examples/common/resume.hpp); the straight and the
# resumed run's must be equal, and the stopped run's differ from them (so that the
# comparison can fail). ARGS is split like a shell command line.

foreach(var PROGRAM ARGS STOP OUT)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "resume.cmake: ${var} is not set")
  endif()
endforeach()
separate_arguments(args UNIX_COMMAND "${ARGS}")
separate_arguments(stop UNIX_COMMAND "${STOP}")
file(REMOVE_RECURSE "${OUT}/straight" "${OUT}/resumed")

function(run_and_hash name result)
  execute_process(COMMAND "${PROGRAM}" ${ARGN} RESULT_VARIABLE status OUTPUT_VARIABLE out
    ERROR_VARIABLE err)
  message("${name}: ${out}${err}")
  if(NOT "${status}" STREQUAL "0")
    message(FATAL_ERROR "the ${name} run exited with ${status}")
  endif()
  if(NOT "${out}" MATCHES "parameters hash ([0-9a-f]+)")
    message(FATAL_ERROR "the ${name} run printed no parameters hash")
  endif()
  set(${result} "${CMAKE_MATCH_1}" PARENT_SCOPE)
endfunction()

run_and_hash(straight straight ${args} --out "${OUT}/straight")
run_and_hash(stopped stopped ${args} ${stop} --out "${OUT}/resumed")
run_and_hash(resumed resumed ${args} --resume --out "${OUT}/resumed")
if(NOT "${resumed}" STREQUAL "${straight}")
  message(FATAL_ERROR "the resumed run ends with parameters hash ${resumed}, the straight run "
    "with ${straight}: the resumed run is not the straight run's continuation")
endif()
if("${stopped}" STREQUAL "${straight}")
  message(FATAL_ERROR "the stopped run already ends where the straight run does: the test "
    "compares nothing (give it more epochs or steps after the stop)")
endif()
message("straight and stopped-then-resumed runs end with parameters hash ${straight}")
