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

#include <tapegrad/error.hpp>
#include <tapegrad/nn/module.hpp>

#include <string>

namespace tg::distributed {

/// The models of the ranks differ (number, names or shapes of parameters). Thrown on
/// every rank, naming the first parameter that differs.
class MismatchError : public Error {
public:
    using Error::Error;
};

/// MPI for the lifetime of the object (MPI_Init unless already initialized, and
/// MPI_Finalize at the end if this object initialized it).
class Environment {
public:
    /// Initializes MPI with main's arguments (MPI may remove its own from them).
    Environment(int& argc, char**& argv);
    /// Finalizes MPI if this object initialized it.
    ~Environment();
    Environment(const Environment&) = delete;
    Environment& operator=(const Environment&) = delete;

private:
    bool owns_ = false;
};

/// This process's rank in MPI_COMM_WORLD.
int rank();
/// The number of ranks in MPI_COMM_WORLD.
int size();

/// Checks that every rank has the same parameters (names and shapes, in order), then
/// copies rank 0's values to all ranks (one MPI_Bcast over one flat buffer).
/// MismatchError on every rank when the models differ; no rank hangs.
template <class T>
void broadcast_parameters(const nn::Module<T>& model);

/// How allreduce_gradients combines the ranks' gradients.
enum class Reduce {
    sum,     ///< the sum over the ranks
    average  ///< the sum divided by the number of ranks
};

/// Replaces every parameter's grad() by its sum or average over the ranks: one
/// MPI_Allreduce over one flat buffer holding all gradients. A parameter without a
/// gradient counts as zeros. The models must match (broadcast_parameters checks that).
template <class T>
void allreduce_gradients(const nn::Module<T>& model, Reduce op = Reduce::average);

/// Throws MismatchError (on every rank) naming the first parameter whose name or shape
/// differs between ranks, or the first one some rank does not have.
template <class T>
void check_same_parameters(const nn::Module<T>& model);

}  // namespace tg::distributed
