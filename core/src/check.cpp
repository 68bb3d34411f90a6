#include <tapegrad/check.hpp>

namespace tg::detail {

void check_non_negative(const char* owner, std::initializer_list<Setting> settings) {
    bool ok = true;
    for (const Setting& s : settings) ok = ok && s.value >= 0;
    if (ok) return;
    std::string listed;
    std::size_t k = 0;
    for (const Setting& s : settings) {
        if (k > 0) listed += k + 1 == settings.size() ? " and " : ", ";
        listed += message(s.name, " (", std::to_string(s.value), ")");
        ++k;
    }
    throw ValueError(message(owner, ": ", listed, " must be >= 0"));
}

}  // namespace tg::detail
