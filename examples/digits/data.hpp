#pragma once
// scikit-learn's handwritten digits: 1,797 grey 8x8 images of the digits 0-9, as Debian's
// python3-sklearn ships them (digits.csv.gz: per line 64 pixel values 0-16, then the
// label). Read with zlib; no Python involved.

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace digits {

constexpr std::size_t kSide = 8;                ///< images are kSide x kSide
constexpr std::size_t kPixels = kSide * kSide;  ///< values per image
constexpr std::size_t kClasses = 10;

/// Images and their labels, in the file's order (or a chosen subset of it).
struct Dataset {
    std::vector<double> pixels;  ///< size() x kPixels, row-major, scaled to [0, 1] (value / 16)
    std::vector<int> labels;     ///< size() labels in 0..9
    std::size_t size() const { return labels.size(); }
};

/// Where Debian's python3-sklearn puts the file.
inline const char* const kDebianPath =
    "/usr/lib/python3/dist-packages/sklearn/datasets/data/digits.csv.gz";

/// Reads the gzip'd CSV at `path`; at most `limit` images when limit > 0. Throws
/// std::runtime_error with a one-line message naming the file (and, for a bad line, the
/// line and what is wrong); a missing file's message names the package to install.
Dataset load(const std::filesystem::path& path, std::size_t limit = 0);

/// The images at `indices`, in that order.
Dataset subset(const Dataset& all, const std::vector<std::size_t>& indices);

/// A seeded split: a permutation of 0..n-1 drawn from tg::nn::Rng(seed); the first
/// `test_size` positions are the test set, the rest the training set (both keep the
/// permutation's order). The same on every machine.
struct Split {
    std::vector<std::size_t> train, test;
};
Split split(std::size_t n, std::size_t test_size, std::uint64_t seed);

}  // namespace digits
