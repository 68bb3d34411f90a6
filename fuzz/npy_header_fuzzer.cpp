// libFuzzer target: the input is a whole .npy file, given straight to tapegrad's .npy
// parser (io/include/tapegrad/io/detail/npy.hpp) with no archive or file around it, so that it runs about ten
// times faster than the other two targets and spends all its time on the header grammar. Any input must either parse or raise NpyFormatError; what parses must
// describe a consistent array (a known byte count, a data offset inside the header's
// bounds), and decoding its data, when the input holds them all, must stay inside them.

#include <tapegrad/io/detail/npy.hpp>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

namespace {

[[noreturn]] void broken(const char* what) {
    std::fprintf(stderr, "npy_header_fuzzer: %s\n", what);
    std::abort();
}

template <class T>
void decode_if_complete(const tg::io::detail::NpyHeader& header, const char* bytes,
                        std::size_t size) {
    const std::size_t count = header.count();
    if (size - header.data_offset != count * sizeof(T)) return;
    std::vector<T> values(count);
    if (count) std::memcpy(values.data(), bytes + header.data_offset, count * sizeof(T));
    tg::io::detail::decode_npy_data(header, values.data());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const char* bytes = reinterpret_cast<const char*>(data);
    tg::io::detail::NpyHeader header;
    try {
        header = tg::io::detail::parse_npy_header(bytes, size);
    } catch (const tg::io::detail::NpyFormatError& e) {
        if (e.problem.empty()) broken("an NpyFormatError without a message");
        return 0;
    }
    if (header.data_offset > size || header.data_offset > tg::io::detail::kNpyPreambleMax +
                                                               tg::io::detail::kMaxNpyHeader)
        broken("a data offset outside the input or past the header limit");
    if (header.shape.size() > 64) broken("more than 64 axes");
    if (tg::io::detail::npy_descr_holds<double>(header.descr))
        decode_if_complete<double>(header, bytes, size);
    else if (tg::io::detail::npy_descr_holds<float>(header.descr))
        decode_if_complete<float>(header, bytes, size);
    return 0;
}
