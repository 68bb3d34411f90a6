// libFuzzer target: the input is the content of one .npy entry, "0.weight.npy", in an
// otherwise valid archive (the three other parameters are good), so that every input
// reaches tapegrad's .npy reading: the magic and version, the header length, the
// header parser (io/src/npy.cpp), the dtype and shape checks, the data size and the Fortran-order copy.
// (The checkpoint loader has no separate .npy entry point; this is the way in.)

#include "fuzz_model.hpp"
#include "nn/stored_zip.hpp"

namespace {

/// The three good entries, as numpy writes them.
const std::vector<tg::test::ZipEntry>& good_entries() {
    static const std::vector<tg::test::ZipEntry> entries = {
        {"0.bias.npy", tg::test::npy_f8({3}, {0.1, 0.2, 0.3})},
        {"2.weight.npy", tg::test::npy_f8({2, 3}, {1, 2, 3, 4, 5, 6})},
        {"2.bias.npy", tg::test::npy_f8({2}, {-1, -2})},
    };
    return entries;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::vector<tg::test::ZipEntry> entries = {
        {"0.weight.npy", std::string(reinterpret_cast<const char*>(data), size)}};
    entries.insert(entries.end(), good_entries().begin(), good_entries().end());
    const std::string archive = tg::test::stored_zip(entries);
    tg::fuzz::load_and_check(reinterpret_cast<const std::uint8_t*>(archive.data()), archive.size());
    return 0;
}
