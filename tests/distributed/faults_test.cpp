// A job of 2 ranks in which rank 1 fails in one way, named by the first argument, while
// rank 0 trains on: each ctest `distributed_fault_NAME` runs it under mpirun through
// expect_job_end.cmake, which passes when the job ends within 10 s of the fault with the
// documented exit status and message (README, "Errors", tg::distributed).
//
//   none          both ranks train 20 steps and end normally (exit 0)
//   throw         rank 1 throws, nobody catches: its terminate handler names it and the error
//   catch         rank 1 throws, main catches it, prints it and returns 1
//   scope         rank 1 throws through the Environment's scope to a handler around it,
//                 which prints it and returns 1
//   abort         rank 1 throws, main catches it and calls tg::distributed::abort(e.what())
//   return        rank 1 returns 0 from main at step 3, while rank 0 is in allreduce_gradients
//   exit          rank 1 calls std::exit(0) at step 3
//   kill          rank 1 is killed (SIGKILL) at step 3
//   other_shapes  rank 1's weight is (4, 8) where rank 0's is (8, 4): equal sizes
//   other_sizes   rank 1's weight is (8, 5)
//
// Before its fault, rank 1 prints "fault at UNIX-SECONDS" for the time limit; for the
// faults where it is mid-training, it first waits 0.5 s so that rank 0 sits in MPI.

#include <tapegrad/distributed.hpp>
#include <tapegrad/tapegrad.hpp>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <string>
#include <thread>

namespace {

namespace dist = tg::distributed;

/// y = x · sum(weight): one parameter of a given shape.
class Scale : public tg::nn::Module<double> {
public:
    explicit Scale(const tg::Shape& shape) {
        weight_ = register_parameter("weight", tg::full<double>(shape, 0.01, true));
    }
    tg::Tensor<double> forward(const tg::Tensor<double>& x) override {
        return x * tg::sum(weight_);
    }

private:
    tg::Tensor<double> weight_;
};

/// One line to stderr in one write, so that another rank's line, which mpirun forwards on the
/// same stream, cannot land inside it (as `std::cerr << a << b` allows, one write per piece).
void print_error_line(int rank, const char* what) {
    std::fprintf(stderr, "rank %d: %s\n", rank, what);
}

void announce_fault() {
    const auto now = std::chrono::system_clock::now().time_since_epoch();
    std::cout << "fault at " << std::chrono::duration_cast<std::chrono::seconds>(now).count()
              << std::endl;
}

/// Rank 1's fault at step 3, after rank 0 has had time to enter its allreduce; returns
/// whether main should return 0 now.
bool fault(const std::string& kind) {
    if (kind == "none") return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    announce_fault();
    if (kind == "throw" || kind == "catch" || kind == "scope" || kind == "abort")
        throw tg::ValueError("planted failure on rank 1 at step 3");
    if (kind == "exit") std::exit(0);
    if (kind == "kill") std::raise(SIGKILL);
    return kind == "return";
}

int train(const std::string& kind) {
    const bool faulty = dist::rank() == 1;
    tg::Shape shape{8, 4};
    if (faulty && kind == "other_shapes") shape = {4, 8};
    if (faulty && kind == "other_sizes") shape = {8, 5};
    Scale model(shape);
    tg::optim::SGD<double> sgd(model.parameters(), 0.1);
    const tg::Tensor<double> x = tg::ones<double>({2, 1}), y = tg::zeros<double>({2, 1});
    if (faulty && (kind == "other_shapes" || kind == "other_sizes")) announce_fault();
    for (int step = 0; step < 20; ++step) {
        if (faulty && step == 3 && fault(kind)) return 0;
        tg::Tape tape;
        sgd.zero_grad();
        tape.backward(tg::nn::mse_loss(model(x), y));
        dist::allreduce_gradients(model);
        sgd.step();
    }
    std::cout << "rank " << dist::rank() << " trained 20 steps" << std::endl;
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    const std::string kind = argc > 1 ? argv[1] : "none";
    if (kind == "scope") {
        int rank = 0;
        try {
            dist::Environment mpi(argc, argv);
            rank = dist::rank();
            return train(kind);
        } catch (const std::exception& e) {  // after the Environment has closed
            print_error_line(rank, e.what());
            return 1;
        }
    }
    dist::Environment mpi(argc, argv);
    if (kind != "catch" && kind != "abort") return train(kind);
    try {
        return train(kind);
    } catch (const std::exception& e) {
        if (kind == "abort") dist::abort(e.what());
        print_error_line(dist::rank(), e.what());
        return 1;
    }
}
