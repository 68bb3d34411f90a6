// libFuzzer target: the input is a whole .npz file, loaded with tg::nn::load into a
// small fixed model (fuzz_model.hpp). Mostly exercises the archive level: libzip's
// reading of the directory and entries as tapegrad drives it, entry names, duplicates,
// CRCs, compressed entries, and what tapegrad does with each problem.

#include "fuzz_model.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    tg::fuzz::load_and_check(data, size);
    return 0;
}
