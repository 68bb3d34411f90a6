// Must NOT compile: built by the test check_refuses_floating_point, which passes only when
// the compiler stops at the static_assert of <tapegrad/check.hpp>. std::to_string and a
// stream write 0.5 differently, and which one a message uses is part of its text, so the
// caller formats a floating-point part itself.
#include <tapegrad/check.hpp>

int main(int argc, char**) {
    TG_CHECK(argc > 0, tg::ValueError, "dropout: p must be in [0, 1]; got ", 0.5);
    return 0;
}
