# What each fault of faults_test.cpp must end with (expect_job_end.cmake): exit 0 or not,
# a regular expression the job's output matches, optionally a second one it matches too
# (the ranks' lines come in no fixed order) and one it must not match. Each message is
# written out whole, as README's error catalogue quotes it: the catalogue's rows name
# distributed/faults, and tests/harness checks their text against these lines.
# (Regular expressions without ';', a list separator here: '.' stands for it.)
set(fault_none "ON" "rank 0 trained 20 steps" "" "abort|fault at")
set(fault_throw "OFF" "tg::distributed: rank 1 of 2 failed: uncaught tg::ValueError: planted failure on rank 1 at step 3. aborting every rank \\(MPI_Abort\\)")
set(fault_catch "OFF" "rank 1: planted failure on rank 1 at step 3" "tg::distributed: rank 1 of 2 has ended \\(its tg::distributed::Environment closed: main returned or exit\\(\\) was called\\) after 3 collective calls, while rank 0 is in allreduce_gradients \\(collective call #4\\), which needs every rank. aborting every rank \\(MPI_Abort\\)")
# (rank 1 exits without finalizing: rank 0's watchdog or mpirun, whichever is first)
set(fault_scope "OFF" "rank 1: planted failure on rank 1 at step 3" "tg::distributed: rank 1 of 2 has ended \\(an exception left the scope of its tg::distributed::Environment\\)|Process name: \\[\\[[0-9]+,1\\],1\\]")
set(fault_abort "OFF" "tg::distributed: rank 1 of 2: planted failure on rank 1 at step 3. aborting every rank \\(MPI_Abort\\)")
set(fault_return "OFF" "tg::distributed: rank 1 of 2 has ended \\(its tg::distributed::Environment closed: main returned or exit\\(\\) was called\\) after 3 collective calls, while rank 0 is in allreduce_gradients \\(collective call #4\\), which needs every rank. aborting every rank \\(MPI_Abort\\)")
set(fault_exit "OFF" "tg::distributed: rank 1 of 2 has ended \\(its tg::distributed::Environment closed: main returned or exit\\(\\) was called\\) after 3 collective calls, while rank 0 is in allreduce_gradients \\(collective call #4\\), which needs every rank. aborting every rank \\(MPI_Abort\\)")
set(fault_kill "OFF" "process rank 1 with PID [0-9]+ on node [^ ]+ exited on signal 9")
set(fault_other_shapes "OFF" "MismatchError: tg::distributed: the ranks' models differ at parameter #0: rank 0 has 'weight' float64 \\(8, 4\\), rank 1 has 'weight' float64 \\(4, 8\\)")
set(fault_other_sizes "OFF" "MismatchError: tg::distributed: the ranks' models differ at parameter #0: rank 0 has 'weight' float64 \\(8, 4\\), rank 1 has 'weight' float64 \\(8, 5\\)")
