#include <tapegrad/grad_mode.hpp>
#include <tapegrad/tape.hpp>

namespace tg {
namespace {
thread_local bool grad_enabled = true;
thread_local bool anomaly_enabled = false;
}  // namespace

bool is_grad_enabled() { return grad_enabled; }

NoGradGuard::NoGradGuard() : previous_(grad_enabled) { grad_enabled = false; }
NoGradGuard::~NoGradGuard() { grad_enabled = previous_; }

EnableGradGuard::EnableGradGuard() : previous_(grad_enabled) { grad_enabled = true; }
EnableGradGuard::~EnableGradGuard() { grad_enabled = previous_; }

bool is_anomaly_enabled() { return anomaly_enabled; }

DetectAnomalyGuard::DetectAnomalyGuard() : previous_(anomaly_enabled) { anomaly_enabled = true; }
DetectAnomalyGuard::~DetectAnomalyGuard() { anomaly_enabled = previous_; }

ThreadModes thread_modes() {
    const Tape* tape = Tape::active();
    return {grad_enabled, anomaly_enabled, tape && tape->detect_anomaly()};
}

ThreadModesGuard::ThreadModesGuard(const ThreadModes& modes)
    : grad_enabled_(grad_enabled), anomaly_(anomaly_enabled) {
    grad_enabled = modes.grad_enabled;
    anomaly_enabled = modes.anomaly;
}

ThreadModesGuard::~ThreadModesGuard() {
    grad_enabled = grad_enabled_;
    anomaly_enabled = anomaly_;
}

}  // namespace tg
