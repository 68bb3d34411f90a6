#pragma once
// Thread-local switches: whether operations record, and whether NaN/Inf are hunted.

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

}  // namespace tg
