#pragma once
// tapegrad::distributed: data-parallel training across processes and machines, on MPI.
//
//     tg::distributed::Environment mpi(argc, argv);          // MPI_Init / MPI_Finalize
//     tg::distributed::broadcast_parameters(model);          // rank 0's weights everywhere
//     for (...) {                                     // each rank: its share of the batch
//         opt.zero_grad();
//         tape.backward(loss_on_my_rows);
//         tg::distributed::allreduce_gradients(model);       // one MPI_Allreduce, averaged
//         opt.step();                                 // every rank takes the same step
//     }
//
// Run with `mpirun -np 2 program` (several machines: `mpirun --hostfile hosts -np 8`).
// Every rank must call these functions in the same order (they are collective).
//
// No rank is left waiting: when a rank ends (an uncaught exception, main returning early,
// exit()) while another is in one of these calls or reaches one, the job ends within a
// second or so with a message naming the rank (README, "Threads and processes"); a rank
// that is killed, or exits without its Environment closing, is ended by mpirun.

#include <tapegrad/error.hpp>
#include <tapegrad/nn/module.hpp>

#include <string>

namespace tg::distributed {

/// The models of the ranks differ (number, names, shapes or dtypes of parameters). Thrown
/// on every rank, naming the first parameter that differs, rank 0's and the lowest other
/// rank's version of it.
class MismatchError : public Error {
public:
    using Error::Error;
};

/// MPI for the lifetime of the object, and the watch over the job: make one at the top of
/// main, on every rank, before any other call here.
///
/// - The constructor initializes MPI (MPI_Init_thread with MPI_THREAD_MULTIPLE, unless MPI
///   is initialized already), starts a watchdog thread (when MPI gives that thread level)
///   and installs a terminate handler: an exception that nobody catches prints
///   "tg::distributed: rank r of n failed: uncaught TYPE: WHAT" and ends every rank
///   (MPI_Abort).
/// - The destructor tells every other rank that this one has ended, and how many
///   collective calls it made. A rank that is in a call this one never made, or reaches
///   one, ends the job with a message naming both ranks. It then waits until every rank
///   has ended and finalizes MPI (if it initialized it). While an exception leaves its
///   scope, it sends its notices and returns at once without finalizing, so that the
///   handler can report the exception; mpirun ends the job when the process exits.
/// - exit() and quick_exit() close it as the destructor does.
class Environment {
public:
    /// Initializes MPI with main's arguments (MPI may remove its own from them).
    Environment(int& argc, char**& argv);
    /// Closes the job on this rank (see above).
    ~Environment();
    Environment(const Environment&) = delete;
    Environment& operator=(const Environment&) = delete;

private:
    bool owns_ = false;  ///< this object watches the job (the first alive)
};

/// Prints "tg::distributed: rank r of n: REASON; aborting every rank (MPI_Abort)" and ends
/// every rank: for an error caught on one rank that the others cannot learn of.
[[noreturn]] void abort(const std::string& reason);

/// This process's rank in MPI_COMM_WORLD.
int rank();
/// The number of ranks in MPI_COMM_WORLD.
int size();

/// Checks that every rank has the same parameters (names, shapes and dtypes, in order),
/// then copies rank 0's values to all ranks (one MPI_Bcast over one flat buffer).
/// MismatchError on every rank when the models differ; no rank hangs.
template <class T>
void broadcast_parameters(const nn::Module<T>& model);

/// How allreduce_gradients combines the ranks' gradients: their sum, or their average
/// (the sum divided by size()).
enum class Reduce { sum, average };

/// Replaces every parameter's grad() by its sum or average over the ranks: one
/// MPI_Allreduce over one flat buffer holding all gradients. A parameter without a
/// gradient counts as zeros; one without a gradient on every rank keeps none (so that an
/// optimizer skips it, as in one process). The models' signatures are compared first, on
/// every call (one MPI_Allreduce of two 64-bit hashes): MismatchError on every rank when
/// they differ.
template <class T>
void allreduce_gradients(const nn::Module<T>& model, Reduce op = Reduce::average);

/// Throws MismatchError (on every rank) naming the first parameter whose name, shape or
/// dtype differs between ranks, or the first one some rank does not have.
template <class T>
void check_same_parameters(const nn::Module<T>& model);

}  // namespace tg::distributed
