#pragma once
// Thread-local switches: whether operations record, and whether NaN/Inf are hunted; and
// how to carry them into another thread (tg::nn::DataParallel's workers).

namespace tg {

/// True unless a tg::NoGradGuard is alive on this thread.
bool is_grad_enabled();

/// While alive, nothing is recorded on this thread, even with an active tape
/// (inference, optimizer updates). Nests; restores the previous mode on destruction.
class NoGradGuard {
public:
    NoGradGuard();
    ~NoGradGuard();
    NoGradGuard(const NoGradGuard&) = delete;
    NoGradGuard& operator=(const NoGradGuard&) = delete;

private:
    bool previous_;
};

/// Forces recording on (used by create_graph sweeps). Restores on destruction.
class EnableGradGuard {
public:
    EnableGradGuard();
    ~EnableGradGuard();
    EnableGradGuard(const EnableGradGuard&) = delete;
    EnableGradGuard& operator=(const EnableGradGuard&) = delete;

private:
    bool previous_;
};

/// True while a tg::DetectAnomalyGuard is alive on this thread.
bool is_anomaly_enabled();

/// While alive, every recorded forward value and every gradient is checked for NaN and
/// Inf; the first one found throws tg::AnomalyError naming the op that produced it.
class DetectAnomalyGuard {
public:
    DetectAnomalyGuard();
    ~DetectAnomalyGuard();
    DetectAnomalyGuard(const DetectAnomalyGuard&) = delete;
    DetectAnomalyGuard& operator=(const DetectAnomalyGuard&) = delete;

private:
    bool previous_;
};

/// The calling thread's switches, as a thread that works for it should see them:
/// thread_modes() on the calling thread, a ThreadModesGuard in the worker, and a worker's
/// tape made with tg::TapeOptions{modes.tape_anomaly}.
struct ThreadModes {
    bool grad_enabled = true;  ///< is_grad_enabled()
    bool anomaly = false;      ///< is_anomaly_enabled()
    /// Whether the innermost live tg::Tape checks for anomalies (TapeOptions::detect_anomaly).
    bool tape_anomaly = false;
};

/// The calling thread's grad mode, anomaly mode and the anomaly flag of its innermost tape.
ThreadModes thread_modes();

/// While alive, the calling thread's grad mode and anomaly mode are those of `modes`;
/// restores the previous ones on destruction.
class ThreadModesGuard {
public:
    /// Sets the calling thread's grad mode and anomaly mode to those of `modes`.
    explicit ThreadModesGuard(const ThreadModes& modes);
    /// Restores the modes the thread had before.
    ~ThreadModesGuard();
    ThreadModesGuard(const ThreadModesGuard&) = delete;
    ThreadModesGuard& operator=(const ThreadModesGuard&) = delete;

private:
    bool grad_enabled_, anomaly_;
};

}  // namespace tg
