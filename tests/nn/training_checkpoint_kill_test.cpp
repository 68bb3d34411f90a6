// A training checkpoint's save killed at random points (fork, SIGKILL, 20 times): every
// load afterwards gives a whole checkpoint, the last one saved or the one before, and the
// folder never holds anything but the checkpoint and its "PATH.tmp", which the next save
// replaces and removes. And saves that fail on a full disk (a child process whose files
// are limited, RLIMIT_FSIZE) say so and leave the previous file and no temporary one.

#include "nn/nn_test_util.hpp"

#include <tapegrad/nn/training_checkpoint.hpp>

#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <functional>
#include <thread>

namespace tg::test {
namespace {

/// A model of about 1.1 million parameters (8.4 MB in double), so that a save takes long
/// enough to be killed in the middle.
struct Saved {
    nn::Rng rng{1};
    nn::Sequential<double> net;
    nn::TrainingCheckpoint<double> checkpoint;
    Saved() {
        net.add(nn::Dense<double>(512, 1024, rng)).add(nn::Dense<double>(1024, 512, rng));
        checkpoint.add_module("model", net).add_rng("rng", rng);
    }
    /// Every parameter set to `step` (and the step), then saved.
    void save_step(std::int64_t step, const std::string& path) {
        for (Tensor<double>& p : net.parameters())
            std::fill(p.mutable_value().begin(), p.mutable_value().end(),
                      static_cast<double>(step));
        checkpoint.step = step;
        checkpoint.save(path);
    }
    /// Whether every parameter holds the step loaded.
    bool consistent() const {
        for (const Tensor<double>& p : net.parameters())
            for (const double v : p.value())
                if (v != static_cast<double>(checkpoint.step)) return false;
        return true;
    }
};

std::vector<std::string> folder_files(const std::string& folder) {
    std::vector<std::string> names;
    for (const auto& entry : std::filesystem::directory_iterator(folder))
        names.push_back(entry.path().filename().string());
    std::sort(names.begin(), names.end());
    return names;
}

TEST(TrainingCheckpointKill, EveryLoadAfterAKilledSaveIsAWholeCheckpoint) {
    const std::string folder = temp_path("killed_saves");
    std::filesystem::create_directories(folder);
    const std::string path = folder + "/run.npz";
    Saved saver;
    const auto start = std::chrono::steady_clock::now();
    saver.save_step(0, path);
    // Kills land from half a save to three saves in, wherever this machine's disk puts them.
    const auto one_save = std::chrono::steady_clock::now() - start;
    std::int64_t last = 0;
    int killed_mid_save = 0;
    nn::Rng delays(7);
    for (int round = 0; round < 20; ++round) {
        const pid_t child = ::fork();
        ASSERT_GE(child, 0) << "fork failed";
        if (child == 0) {  // saves steps last + 1, last + 2, ... until killed
            for (std::int64_t step = last + 1;; ++step) saver.save_step(step, path);
        }
        std::this_thread::sleep_for(one_save / 2 + one_save * nn::uniform_index(delays, 250) / 100);
        ::kill(child, SIGKILL);
        int status = 0;
        ASSERT_EQ(::waitpid(child, &status, 0), child);
        ASSERT_TRUE(WIFSIGNALED(status)) << "the saving process ended on its own";

        const std::vector<std::string> files = folder_files(folder);
        if (files.size() == 2) ++killed_mid_save;
        EXPECT_TRUE(files == std::vector<std::string>{"run.npz"} ||
                    files == (std::vector<std::string>{"run.npz", "run.npz.tmp"}))
            << "round " << round << ": " << files.size() << " files";
        Saved loaded;
        loaded.checkpoint.load(path);  // throws if the file is not whole
        EXPECT_TRUE(loaded.consistent()) << "round " << round;
        EXPECT_GE(loaded.checkpoint.step, last) << "round " << round;
        last = loaded.checkpoint.step;
    }
    saver.save_step(last + 1, path);  // replaces a leftover "run.npz.tmp"
    EXPECT_EQ(folder_files(folder), std::vector<std::string>{"run.npz"});
    std::printf(
        "20 saves killed (one save: %.1f ms), %d of them leaving the temporary file; "
        "last step loaded %lld\n",
        std::chrono::duration<double, std::milli>(one_save).count(), killed_mid_save,
        static_cast<long long>(last));
}

/// What `save` throws in a child process whose files may not exceed 64 KiB ("" if nothing).
std::string message_on_a_full_disk(const std::function<void()>& save) {
    int pipe_fds[2];
    if (::pipe(pipe_fds) != 0) return "pipe failed";
    const pid_t child = ::fork();
    if (child == 0) {
        ::close(pipe_fds[0]);
        const rlimit limit{64 * 1024, 64 * 1024};
        ::setrlimit(RLIMIT_FSIZE, &limit);
        ::signal(SIGXFSZ, SIG_IGN);  // a write past the limit then fails with EFBIG
        std::string message;
        try {
            save();
        } catch (const std::exception& e) {
            message = e.what();
        }
        const ssize_t written = ::write(pipe_fds[1], message.data(), message.size());
        ::_exit(written == static_cast<ssize_t>(message.size()) ? 0 : 1);
    }
    ::close(pipe_fds[1]);
    std::string message;
    char buffer[4096];
    for (ssize_t n; (n = ::read(pipe_fds[0], buffer, sizeof buffer)) > 0;)
        message.append(buffer, n);
    ::close(pipe_fds[0]);
    int status = 0;
    ::waitpid(child, &status, 0);
    return message;
}

TEST(TrainingCheckpointKill, ASaveThatFailsOnAFullDiskLeavesThePreviousFile) {
    const std::string folder = temp_path("full_disk");
    std::filesystem::create_directories(folder);
    const std::string path = folder + "/run.npz", model_path = folder + "/model.npz";
    Saved saver;
    saver.save_step(1, path);
    nn::save(saver.net, model_path);
    for (const auto& [file, save] : std::vector<std::pair<std::string, std::function<void()>>>{
             {path, [&] { saver.save_step(2, path); }},
             {model_path, [&] { nn::save(saver.net, model_path); }}}) {
        const std::string message = message_on_a_full_disk(save);
        EXPECT_NE(message.find("save: '" + file +
                               "': cannot be written (File too large while writing '" + file +
                               ".tmp'); free some space or check the disk; an existing "
                               "file is left as it was"),
                  std::string::npos)
            << message;
    }
    EXPECT_EQ(folder_files(folder), (std::vector<std::string>{"model.npz", "run.npz"}));
    Saved loaded;
    loaded.checkpoint.load(path);
    EXPECT_EQ(loaded.checkpoint.step, 1);
    EXPECT_TRUE(loaded.consistent());
}

}  // namespace
}  // namespace tg::test
