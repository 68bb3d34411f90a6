#include <tapegrad/check.hpp>
#include <tapegrad/error.hpp>
#include <tapegrad/optim/scheduler_state.hpp>

#include <cmath>
#include <cstdlib>
#include <map>
#include <set>
#include <sstream>
#include <string>

namespace tg::optim {
namespace {

/// The shortest decimal that reads back as x (0.99, not 0.98999999999999999).
std::string number(double x) {
    if (x == std::floor(x) && std::abs(x) < 1e15) return std::to_string(static_cast<long long>(x));
    for (int digits = 1;; ++digits) {
        std::ostringstream out;
        out.precision(digits);
        out << x;
        if (digits >= 17 || std::strtod(out.str().c_str(), nullptr) == x) return out.str();
    }
}

std::string quoted(const std::string& s) { return "'" + s + "'"; }

/// Writes every entry into a SchedulerState.
class Saver : public SchedulerStateVisitor {
public:
    SchedulerState state;
    void setting(const std::string& name, double value) override {
        state.emplace_back(prefix_ + name, value);
    }
    void count(const std::string& name, std::int64_t& value, std::int64_t) override {
        state.emplace_back(prefix_ + name, static_cast<double>(value));
    }
    void real(const std::string& name, double& value, bool) override {
        state.emplace_back(prefix_ + name, value);
    }
};

/// Checks a SchedulerState against the scheduler; with `apply`, writes it (only after a
/// check found nothing wrong).
class Loader : public SchedulerStateVisitor {
public:
    Loader(const SchedulerState& state, std::string who, std::string shown, bool apply)
        : who_(std::move(who)), shown_(std::move(shown)), apply_(apply) {
        for (const auto& [name, value] : state)
            if (!values_.emplace(name, value).second)
                problems.push_back("entry " + quoted(shown_ + name) + " appears twice");
    }
    std::vector<std::string> problems;

    void setting(const std::string& name, double value) override {
        const double* stored = find(name);
        if (stored && !(*stored == value))
            problems.push_back("entry " + quoted(shown_ + prefix_ + name) + " holds " +
                               number(*stored) + " but this " + who_ + " has " + name + " = " +
                               number(value));
    }
    void count(const std::string& name, std::int64_t& value, std::int64_t lowest) override {
        const double* stored = find(name);
        if (!stored) return;
        // Whole numbers from `lowest` to 2⁵³, where every integer is a double.
        if (!(*stored >= static_cast<double>(lowest) && *stored <= 9007199254740992.0) ||
            *stored != std::floor(*stored)) {
            problems.push_back("entry " + quoted(shown_ + prefix_ + name) + " holds " +
                               number(*stored) +
                               ", not a count (a whole number >= " + std::to_string(lowest) + ")");
            return;
        }
        if (apply_) value = static_cast<std::int64_t>(*stored);
    }
    void real(const std::string& name, double& value, bool infinite_ok) override {
        const double* stored = find(name);
        if (!stored) return;
        if (std::isnan(*stored) || (!infinite_ok && !std::isfinite(*stored))) {
            problems.push_back("entry " + quoted(shown_ + prefix_ + name) + " holds " +
                               number(*stored) + ", not a finite number");
            return;
        }
        if (apply_) value = *stored;
    }
    /// Entries of the state that the scheduler does not have.
    void finish() {
        for (const auto& [name, value] : values_)
            if (!visited_.count(name))
                problems.push_back("entry " + quoted(shown_ + name) +
                                   " is not part of the state of this " + who_);
    }

private:
    const double* find(const std::string& name) {
        const std::string full = prefix_ + name;
        visited_.insert(full);
        const auto it = values_.find(full);
        if (it != values_.end()) return &it->second;
        problems.push_back("entry " + quoted(shown_ + full) + " is missing");
        return nullptr;
    }
    std::string who_;
    std::string shown_;  ///< put before each name in messages
    bool apply_;
    std::map<std::string, double> values_;
    std::set<std::string> visited_;
};

}  // namespace

void SchedulerStateVisitor::reals(const std::string& name, std::vector<double>& values) {
    for (std::size_t i = 0; i < values.size(); ++i) real(name + "." + std::to_string(i), values[i]);
}

void SchedulerStateVisitor::nested(const std::string& prefix, const std::function<void()>& visit) {
    const std::string outer = prefix_;
    prefix_ += prefix;
    visit();
    prefix_ = outer;
}

SchedulerState Scheduler::state_dict() const {
    Saver saver;
    // The saving visitor only reads the values it is given.
    const_cast<Scheduler*>(this)->visit_state(saver);
    return saver.state;
}

std::vector<std::string> Scheduler::check_state_dict(const SchedulerState& state,
                                                     const std::string& shown) const {
    Loader checker(state, scheduler_name(), shown, false);
    // A visitor that does not apply writes nothing.
    const_cast<Scheduler*>(this)->visit_state(checker);
    checker.finish();
    return checker.problems;
}

void Scheduler::load_state_dict(const SchedulerState& state) {
    const std::vector<std::string> problems = check_state_dict(state);
    if (!problems.empty()) {
        const std::string message = tg::detail::join(problems);
        throw ValueError(scheduler_name() + "::load_state_dict: " + message +
                         ". Nothing was loaded; build the scheduler as the one whose "
                         "state_dict() this is");
    }
    Loader loader(state, scheduler_name(), "", true);
    visit_state(loader);
}

}  // namespace tg::optim
