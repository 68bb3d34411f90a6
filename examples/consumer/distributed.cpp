// The package component `distributed` from a downstream project: one MPI process (a
// singleton, started without mpirun) broadcasts a model's parameters and all-reduces its
// gradients, which on one rank must leave both unchanged. Exits non-zero otherwise.

#include <tapegrad/distributed.hpp>
#include <tapegrad/tapegrad.hpp>

#include <iostream>

int main(int argc, char** argv) {
    tg::distributed::Environment mpi(argc, argv);
    tg::nn::Rng rng(1);
    tg::nn::Sequential<double> net{tg::nn::Dense<double>(3, 2, rng)};
    const tg::Tensor<double> x = tg::Tensor<double>(xt::xarray<double>{{1.0, 2.0, 3.0}});
    tg::Tape tape;
    net(x).sum().backward();
    const std::vector<tg::Tensor<double>> params = net.parameters();
    const xt::xarray<double> weight = params[0].value(), grad = params[0].grad().value();
    tg::distributed::broadcast_parameters(net);
    tg::distributed::allreduce_gradients(net);
    const bool same = params[0].value() == weight && params[0].grad().value() == grad;
    std::cout << "consumer_distributed: rank " << tg::distributed::rank() << " of "
              << tg::distributed::size()
              << (same ? ", parameters and gradients kept\n" : ", CHANGED\n");
    return same && tg::distributed::size() == 1 ? 0 : 1;
}
