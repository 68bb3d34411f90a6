#include "data.hpp"

#include <tapegrad/nn/random.hpp>

#include <zlib.h>

#include <cerrno>
#include <cstdlib>
#include <memory>
#include <stdexcept>

namespace digits {

namespace {

[[noreturn]] void fail(const std::filesystem::path& path, const std::string& what) {
    throw std::runtime_error(path.string() + ": " + what);
}

/// The next line of a gzip stream into `line` (without its newline); false at the end.
bool read_line(gzFile file, std::string& line) {
    line.clear();
    char buffer[1024];
    while (gzgets(file, buffer, sizeof buffer) != nullptr) {
        line += buffer;
        if (!line.empty() && line.back() == '\n') {
            line.pop_back();
            if (!line.empty() && line.back() == '\r') line.pop_back();
            return true;
        }
    }
    return !line.empty();
}

/// One line: kPixels values 0..16, then a label 0..9, comma-separated. The values are
/// written as integers ("5") or as floats ("5.0"); both are accepted if whole.
void parse_line(const std::string& line, std::size_t line_number, const std::filesystem::path& path,
                Dataset& out) {
    const char* p = line.c_str();
    for (std::size_t k = 0; k <= kPixels; ++k) {
        char* end = nullptr;
        errno = 0;
        const double v = std::strtod(p, &end);
        const char expected = k < kPixels ? ',' : '\0';
        if (end == p || errno != 0 || *end != expected || v != static_cast<long>(v))
            fail(path, "line " + std::to_string(line_number) + ": value " + std::to_string(k + 1) +
                           " is not a whole number followed by " +
                           (k < kPixels ? "','" : "the end of the line") +
                           " (expected 64 pixel values and a label)");
        if (k < kPixels) {
            if (v < 0 || v > 16)
                fail(path, "line " + std::to_string(line_number) + ": pixel value " +
                               std::to_string(static_cast<long>(v)) + " is outside 0..16");
            out.pixels.push_back(v / 16.0);
        } else {
            if (v < 0 || v >= static_cast<double>(kClasses))
                fail(path, "line " + std::to_string(line_number) + ": label " +
                               std::to_string(static_cast<long>(v)) + " is outside 0..9");
            out.labels.push_back(static_cast<int>(v));
        }
        p = end + 1;
    }
}

}  // namespace

Dataset load(const std::filesystem::path& path, std::size_t limit) {
    if (!std::filesystem::exists(path))
        fail(path, path.string() == kDebianPath
                       ? "not found: install Debian's python3-sklearn (apt-get install "
                         "python3-sklearn), which ships it, or pass --data PATH"
                       : "not found");
    if (std::filesystem::is_directory(path)) fail(path, "is a folder, not a file");
    std::unique_ptr<gzFile_s, int (*)(gzFile)> file(gzopen(path.c_str(), "rb"), gzclose);
    if (!file) fail(path, "cannot be opened");
    Dataset data;
    std::string line;
    std::size_t line_number = 0;
    while ((limit == 0 || data.size() < limit) && read_line(file.get(), line)) {
        ++line_number;
        if (line.empty()) continue;
        parse_line(line, line_number, path, data);
    }
    int error = Z_OK;
    const char* message = gzerror(file.get(), &error);
    if (error != Z_OK && error != Z_STREAM_END)
        fail(path, std::string("is not valid gzip: ") + message);
    if (data.size() == 0) fail(path, "holds no images");
    return data;
}

Dataset subset(const Dataset& all, const std::vector<std::size_t>& indices) {
    Dataset out;
    out.pixels.reserve(indices.size() * kPixels);
    out.labels.reserve(indices.size());
    for (std::size_t i : indices) {
        out.pixels.insert(out.pixels.end(), all.pixels.begin() + static_cast<long>(i * kPixels),
                          all.pixels.begin() + static_cast<long>((i + 1) * kPixels));
        out.labels.push_back(all.labels[i]);
    }
    return out;
}

Split split(std::size_t n, std::size_t test_size, std::uint64_t seed) {
    tg::nn::Rng rng(seed);
    const std::vector<std::size_t> order = tg::nn::random_permutation(n, rng);
    Split s;
    s.test.assign(order.begin(), order.begin() + static_cast<long>(std::min(test_size, n)));
    s.train.assign(order.begin() + static_cast<long>(std::min(test_size, n)), order.end());
    return s;
}

}  // namespace digits
