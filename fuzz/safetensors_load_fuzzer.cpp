// libFuzzer target: the input is a whole safetensors file, read twice: by
// tg::io::load_safetensors<double> (every tensor, every dtype converted) and by
// tg::nn::load_state_dict (not strict) into the fuzzers' model (fuzz_model.hpp), which
// reads only the tensors whose names and shapes match. Covers the length and the JSON
// header grammar (io/src/safetensors_header.cpp), the data_offsets checks, the dtype
// conversions and the filtered reading. Besides the sanitizers' reports, a broken
// promise aborts: an exception other than tg::IoError, an IoError not naming the file,
// a load returning more elements than the file has bytes (each element takes at least
// one), or a failed load_state_dict that changed the model.

#include <tapegrad/io/safetensors.hpp>

#include "fuzz_model.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static tg::fuzz::MemoryFile file;
    file.write(data, size);
    try {
        std::size_t elements = 0;
        for (const auto& [name, array] : tg::io::load_safetensors<double>(file.path()).tensors)
            elements += array.size();
        if (elements > size) {
            std::fprintf(stderr, "%zu elements from a file of %zu bytes\n", elements, size);
            std::abort();
        }
    } catch (const tg::IoError& e) {
        if (std::string(e.what()).find(file.path()) == std::string::npos) {
            std::fprintf(stderr, "IoError does not name the file: %s\n", e.what());
            std::abort();
        }
    }
    tg::nn::LoadStateDictOptions options;
    options.strict = false;
    options.format = tg::nn::WeightsFormat::safetensors;
    tg::fuzz::load_and_check(data, size,
                             [&](tg::nn::Module<double>& model, const std::string& path) {
                                 tg::nn::load_state_dict(model, path, options);
                             });
    return 0;
}
