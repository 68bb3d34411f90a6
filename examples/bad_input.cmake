# Runs every row of bad_input_table.txt (the ctest example_bad_input): each bad command
# line must fail cleanly. A row passes when its example exits with the row's status and
# the last line on stderr contains the row's message; with status 2 (a bad command line,
# refused before any work) that line must be all of stderr. A row fails on an abort or
# another signal (std::terminate, a crash), on a hang (ROW_TIMEOUT seconds), on exit
# status 0 (nonsense accepted), on another status or another message.
#
#   cmake -DBIN_DIR=<folder of the example programs> -DTABLE=bad_input_table.txt
#         -DWORK=<scratch folder> [-DMEMORY_KIB=3145728] [-DROW_TIMEOUT=20] -P bad_input.cmake
#
# Each row runs under `ulimit -v MEMORY_KIB` (3 GiB by default): a size that memory cannot
# hold must be refused by the example's estimate, not end in std::bad_alloc. (Not with
# AddressSanitizer, whose shadow memory needs terabytes of address space.)
#
# A row: `example | exit status | message | arguments`. The arguments are split like a
# shell command line; @WORK@ in them is WORK, which this script first fills with the
# files the rows name (see "Fixtures" below); `ulimit -f N` before them limits the files
# the example writes to N KiB. Rows run in WORK/run, so an example's default output
# folder lands there.

cmake_minimum_required(VERSION 3.16)  # policies: "@WORK@" is text, not a variable

foreach(var BIN_DIR TABLE WORK)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "bad_input.cmake: ${var} is not set")
  endif()
endforeach()
if(NOT DEFINED MEMORY_KIB)
  set(MEMORY_KIB 3145728)
endif()
if(NOT DEFINED ROW_TIMEOUT)
  set(ROW_TIMEOUT 20)
endif()

# Fixtures.
file(REMOVE_RECURSE "${WORK}")
file(MAKE_DIRECTORY "${WORK}/run")
# 20 digits images in digits.csv.gz's format: 64 pixel values 0..16, then the label. zlib
# reads a file that is not gzip'd as it is, so plain text will do.
set(images "")
foreach(i RANGE 19)
  set(line "")
  foreach(k RANGE 63)
    math(EXPR v "(${i} + ${k}) % 17")
    string(APPEND line "${v},")
  endforeach()
  math(EXPR label "${i} % 10")
  string(APPEND images "${line}${label}\n")
endforeach()
file(WRITE "${WORK}/images.csv.gz" "${images}")
string(REGEX MATCHALL "[^\n]+\n" image_lines "${images}")
list(SUBLIST image_lines 0 3 three)
string(JOIN "" three ${three})
file(WRITE "${WORK}/three_images.csv.gz" "${three}")
file(WRITE "${WORK}/not_digits.csv.gz" "hello, world\n")
file(WRITE "${WORK}/a_file" "a file where a folder is wanted\n")
# Output folders where a file the run writes is a folder.
file(MAKE_DIRECTORY "${WORK}/model_is_folder/model.npz")
file(MAKE_DIRECTORY "${WORK}/checkpoint_is_folder/checkpoint.npz")
file(MAKE_DIRECTORY "${WORK}/loss_is_folder/loss.csv")
# A damaged training checkpoint for --resume (and, for the examples' --resume without a
# checkpoint, folders that hold none: the runs create them).
file(WRITE "${WORK}/corrupt/checkpoint.npz" "not a zip archive")
file(REMOVE_RECURSE "${WORK}/no_checkpoint")


file(STRINGS "${TABLE}" rows)
set(failures 0)
set(count 0)
string(TIMESTAMP started "%s")
foreach(row IN LISTS rows)
  if(row MATCHES "^[ \t]*(#|$)")
    continue()
  endif()
  if(NOT row MATCHES "^([^|]+)\\|([^|]+)\\|([^|]+)\\|(.*)$")
    message(FATAL_ERROR "bad_input_table.txt: not `example | exit | message | arguments`: ${row}")
  endif()
  string(STRIP "${CMAKE_MATCH_1}" example)
  string(STRIP "${CMAKE_MATCH_2}" expected_exit)
  string(STRIP "${CMAKE_MATCH_3}" expected_message)
  string(STRIP "${CMAKE_MATCH_4}" args)
  # `ulimit -f N` before the arguments: files limited to N KiB, SIGXFSZ ignored, so a
  # write fails (EFBIG) as on a full disk.
  set(limits "")
  if(MEMORY_KIB GREATER 0)
    set(limits "ulimit -v ${MEMORY_KIB} && ")
  endif()
  if(args MATCHES "^ulimit -f ([0-9]+) (.*)$")
    string(APPEND limits "trap '' XFSZ && ulimit -f ${CMAKE_MATCH_1} && ")
    set(args "${CMAKE_MATCH_2}")
  endif()
  string(REPLACE "@WORK@" "${WORK}" args "${args}")
  string(REPLACE "@WORK@" "${WORK}" expected_message "${expected_message}")
  separate_arguments(arg_list UNIX_COMMAND "${args}")
  math(EXPR count "${count} + 1")

  execute_process(COMMAND /bin/sh -c "${limits}exec \"$0\" \"$@\"" "${BIN_DIR}/${example}" ${arg_list}
    WORKING_DIRECTORY "${WORK}/run"
    TIMEOUT ${ROW_TIMEOUT}
    RESULT_VARIABLE status
    OUTPUT_VARIABLE out
    ERROR_VARIABLE err)
  # The last non-empty line on stderr.
  string(REGEX REPLACE "[\r\n]+$" "" err_trimmed "${err}")
  string(FIND "${err_trimmed}" "\n" newline REVERSE)
  math(EXPR newline "${newline} + 1")
  string(SUBSTRING "${err_trimmed}" ${newline} -1 last_line)

  set(problem "")
  if(NOT status MATCHES "^[0-9]+$")
    set(problem "did not exit normally: ${status}")  # a signal, or the timeout
  elseif(status EQUAL 0)
    set(problem "exit status 0: the nonsense was accepted")
  elseif(NOT status EQUAL expected_exit)
    set(problem "exit status ${status}, expected ${expected_exit}")
  else()
    string(FIND "${last_line}" "${expected_message}" at)
    if(at EQUAL -1)
      set(problem "the last line on stderr does not contain '${expected_message}'")
    elseif(expected_exit EQUAL 2 AND NOT newline EQUAL 0)
      set(problem "a bad command line must give one line on stderr:\n${err}")
    endif()
  endif()
  if(problem)
    math(EXPR failures "${failures} + 1")
    message("FAIL ${example} ${args}\n  ${problem}\n  last line on stderr: ${last_line}")
  else()
    message("ok   [${status}] ${example} ${args}\n       ${last_line}")
  endif()
endforeach()
string(TIMESTAMP finished "%s")
math(EXPR seconds "${finished} - ${started}")
if(failures GREATER 0)
  message(FATAL_ERROR "${failures} of ${count} bad command lines did not fail cleanly")
endif()
message("all ${count} bad command lines failed cleanly (${seconds} s)")
