// Resuming a DataParallel run exactly: its workers' dropout masks come from copies of the
// calling thread's default_rng() (docs/threads.md), so a TrainingCheckpoint that holds
// that generator, the loader and the optimizer continues a two-worker run with Dropout,
// shuffling, AdamW and a schedule bit for bit.

#include "nn/nn_test_util.hpp"

#include <tapegrad/nn/data_parallel.hpp>
#include <tapegrad/nn/training_checkpoint.hpp>

#include <cstring>

namespace tg::test {
namespace {

struct ParallelRun {
    nn::Rng init_rng;
    nn::Sequential<double> net;
    std::unique_ptr<optim::AdamW<double>> opt;
    std::unique_ptr<optim::StepLR<double>> schedule;
    std::unique_ptr<nn::DataLoader<double>> loader;
    std::unique_ptr<nn::DataParallel<double>> parallel;
    nn::TrainingCheckpoint<double> checkpoint;

    explicit ParallelRun(std::uint64_t seed) : init_rng(seed) {
        net.add(nn::Dense<double>(1, 32, init_rng)).add(nn::Tanh<double>());
        net.add(nn::Dropout<double>(0.25));  // default_rng(), copied to each worker
        net.add(nn::Dense<double>(32, 1, init_rng));
        opt = std::make_unique<optim::AdamW<double>>(net.parameters(), 1e-2);
        schedule = std::make_unique<optim::StepLR<double>>(*opt, 2, 0.5);
        nn::Rng data_rng(4);
        const BlogData<double> data = blog_data<double>(120, data_rng);
        loader = std::make_unique<nn::DataLoader<double>>(
            Tensor<double>(data.x), Tensor<double>(data.y), 40,
            nn::DataLoaderOptions{true, false, seed + 1});
        nn::DataParallelOptions options;
        options.workers = 2;
        options.split = nn::Split::batch;
        options.min_rows_per_worker = 1;
        options.min_work_per_worker = 0;
        parallel = std::make_unique<nn::DataParallel<double>>(net, nn::mse_loss<double>, options);
        checkpoint.add_module("model", net)
            .add_optimizer("optimizer", *opt)
            .add_scheduler("step", *schedule)
            .add_rng("default", nn::default_rng())
            .add_loader("train", *loader);
    }

    void train_epochs(int epochs) {
        for (int e = 0; e < epochs; ++e) {
            for (const nn::Batch<double>& b : *loader) {
                opt->zero_grad();
                parallel->backward(b.x, b.y);
                opt->step();
            }
            schedule->step();
        }
    }
};

TEST(TrainingCheckpointThreads, DataParallelRunResumesBitForBit) {
    const std::string path = temp_path("parallel_resume.npz");
    nn::manual_seed(8);
    ParallelRun straight(1);
    straight.train_epochs(6);

    nn::manual_seed(8);
    {
        ParallelRun first(1);
        first.train_epochs(3);
        first.checkpoint.save(path);
    }
    nn::manual_seed(77);  // the masks' generator comes from the file
    ParallelRun resumed(2);
    resumed.checkpoint.load(path);
    resumed.train_epochs(3);
    const auto a = resumed.net.parameters(), b = straight.net.parameters();
    ASSERT_EQ(a.size(), b.size());
    for (std::size_t i = 0; i < a.size(); ++i)
        EXPECT_EQ(
            std::memcmp(a[i].value().data(), b[i].value().data(), a[i].size() * sizeof(double)), 0)
            << "parameter " << i;
}

}  // namespace
}  // namespace tg::test
