// tapegrad's own .npy reader and writer (io/include/tapegrad/io/detail/npy.hpp): every layout numpy writes for
// float32/float64 arrays reads back (files made by tests/data/npy/make_npy.py), and
// every malformed header is a NpyFormatError saying what is wrong.

#include <tapegrad/io/detail/npy.hpp>
#include "nn/nn_test_util.hpp"
#include "nn/stored_zip.hpp"

#include <fstream>
#include <iterator>

namespace tg::test {
namespace {

using io::detail::decode_npy_data;
using io::detail::encode_npy;
using io::detail::npy_descr;
using io::detail::npy_descr_holds;
using io::detail::NpyFormatError;
using io::detail::NpyHeader;
using io::detail::parse_npy_header;

std::string npy_file(const std::string& name) {
    const std::string path = std::string(TAPEGRAD_TEST_DATA_DIR) + "/npy/" + name;
    std::ifstream in(path, std::ios::binary);
    EXPECT_TRUE(in) << "cannot read " << path;
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

/// Parses and decodes `bytes` as T; checks shape and that element i is i + 0.5.
template <class T>
void expect_reads(const std::string& bytes, const std::vector<std::size_t>& shape,
                  const std::string& what) {
    SCOPED_TRACE(what);
    const NpyHeader header = parse_npy_header(bytes.data(), bytes.size());
    ASSERT_EQ(header.shape, shape);
    ASSERT_TRUE(npy_descr_holds<T>(header.descr)) << header.descr;
    ASSERT_EQ(bytes.size(), header.data_offset + header.count() * sizeof(T));
    std::vector<T> values(header.count());
    if (!values.empty())
        std::memcpy(values.data(), bytes.data() + header.data_offset, values.size() * sizeof(T));
    decode_npy_data(header, values.data());
    for (std::size_t i = 0; i < values.size(); ++i)
        ASSERT_EQ(values[i], static_cast<T>(i + 0.5)) << "element " << i;
}

TEST(Npy, ReadsEveryLayoutNumpyWrites) {
    expect_reads<double>(npy_file("c_f8_2x3.npy"), {2, 3}, "C order float64");
    expect_reads<float>(npy_file("c_f4_5.npy"), {5}, "C order float32, one axis");
    expect_reads<double>(npy_file("fortran_f8_2x3x4.npy"), {2, 3, 4}, "Fortran order, 3-D");
    expect_reads<float>(npy_file("fortran_f4_3x2.npy"), {3, 2}, "Fortran order float32");
    expect_reads<double>(npy_file("big_endian_f8_2x2.npy"), {2, 2}, "big-endian float64");
    expect_reads<float>(npy_file("big_endian_fortran_f4_2x3.npy"), {2, 3},
                        "big-endian Fortran float32");
    expect_reads<double>(npy_file("zero_d_f8.npy"), {}, "0-d");
    expect_reads<double>(npy_file("empty_f8_0x3.npy"), {0, 3}, "empty (0, 3)");
    expect_reads<float>(npy_file("empty_f4_0.npy"), {0}, "empty (0,)");
    expect_reads<double>(npy_file("version2_f8_3.npy"), {3}, "format version 2.0");
    expect_reads<float>(npy_file("version3_f4_2x2.npy"), {2, 2}, "format version 3.0");
    std::vector<std::size_t> many(31, 1);
    many.push_back(2);
    expect_reads<double>(npy_file("many_axes_f8.npy"), many, "32 axes, a 182-byte header");
}

TEST(Npy, WritesWhatItReads) {
    const std::vector<std::vector<std::size_t>> shapes = {{}, {5}, {2, 3}, {0, 3}, {1, 2, 3, 1}};
    for (const auto& shape : shapes) {
        std::size_t count = 1;
        for (std::size_t n : shape) count *= n;
        std::vector<double> d(count);
        std::vector<float> f(count);
        for (std::size_t i = 0; i < count; ++i) d[i] = f[i] = static_cast<float>(i + 0.5);
        const std::string bytes_d = encode_npy(shape, d.data()),
                          bytes_f = encode_npy(shape, f.data());
        EXPECT_EQ((bytes_d.size() - count * sizeof(double)) % 64, 0u) << "data 64-byte aligned";
        expect_reads<double>(bytes_d, shape, "float64 " + shape_str(shape));
        expect_reads<float>(bytes_f, shape, "float32 " + shape_str(shape));
    }
    // numpy's own spelling of the header.
    const double three[3] = {1, 2, 3};
    EXPECT_NE(encode_npy<double>({3}, three)
                  .find("{'descr': '<f8', 'fortran_order': False, "
                        "'shape': (3,), }"),
              std::string::npos);
}

/// A version-1.0 file whose header dictionary is exactly `dict` (padded as numpy does).
std::string with_header(const std::string& dict) { return npy_with_header(dict, ""); }

std::string parse_problem(const std::string& bytes) {
    try {
        parse_npy_header(bytes.data(), bytes.size());
    } catch (const NpyFormatError& e) {
        return e.problem;
    }
    return "(accepted)";
}

TEST(Npy, AcceptsPythonSpellingsNumpyReads) {
    const std::vector<std::pair<std::string, std::vector<std::size_t>>> cases = {
        {"{'descr': '<f8', 'fortran_order': False, 'shape': (3, 4), }", {3, 4}},
        {"{\"descr\": \"<f8\", \"fortran_order\": False, \"shape\": (3, 4)}", {3, 4}},
        {"{'shape': (3, 4,), 'fortran_order': False, 'descr': '<f8'}", {3, 4}},
        {"{ 'descr' :'<f8' ,\t'fortran_order':False,\n'shape':( 3 , 4 ) , }", {3, 4}},
        {"{'descr': '<f8', 'fortran_order': False, 'shape': (3L, 4L), }", {3, 4}},
        {"{'descr': '<f8', 'fortran_order': True, 'shape': (0,), }", {0}},
        {"{'descr': '<f8', 'fortran_order': False, 'shape': (), }", {}},
    };
    for (const auto& [dict, shape] : cases) {
        const std::string bytes = with_header(dict);
        EXPECT_EQ(parse_problem(bytes), "(accepted)") << dict;
        if (parse_problem(bytes) == "(accepted)") {
            EXPECT_EQ(parse_npy_header(bytes.data(), bytes.size()).shape, shape) << dict;
        }
    }
}

TEST(Npy, MalformedHeadersSayWhatIsWrong) {
    const std::string good_start = "{'descr': '<f8', 'fortran_order': False, 'shape': ";
    const std::vector<std::pair<std::string, std::string>> cases = {
        {"{}", "the key 'descr' is missing"},
        {"{'descr': '<f8', 'fortran_order': False}", "the key 'shape' is missing"},
        {good_start + "(3,), 'x': 1}", "unexpected key 'x'"},
        {good_start + "(3,), 'shape': (3,)}", "the key 'shape' appears twice"},
        {good_start + "(3), }", "(3), an int in Python"},
        {good_start + "(03,), }", "leading zero"},
        {good_start + "(99999999999999999999999,), }", "does not fit in 64 bits"},
        {good_start + "(1099511627776, 1099511627776), }", "more elements than any memory holds"},
        {good_start + "(-3,), }", "expected a size in 'shape'"},
        {good_start + "[3], }", "expected '(' to open 'shape'"},
        {good_start + "(3,4), }extra", "unexpected 'e'"},
        {good_start + "(3,", "expected a size in 'shape', found the end of the header"},
        {"{'descr': '<f8', 'fortran_order': Fa  lse, 'shape': (3,), }", "expected True or False"},
        {"{'descr': [('a', '<f8')], 'fortran_order': False, 'shape': (3,), }",
         "structured dtypes are not supported"},
        {"{'descr': '<f\\8', 'fortran_order': False, 'shape': (3,), }", "plain printable"},
        {"{'descr': '<f8\x1c', 'fortran_order': False, 'shape': (3,), }", "byte \\x1c"},
        {"{'descr': '<f8, 'fortran_order': False, 'shape': (3,), }", "expected '}' at the end"},
        {"{'descr': '" + std::string(40, 'f') + "'}", "longer than 32 characters"},
        {"{'descr': '<f8' 'fortran_order': False}", "expected '}' at the end"},
        {"'descr': '<f8'", "expected '{' at the start"},
        {"{'descr': 'f', 'fortran_order': False, 'shape': (3,), }", "'descr' is 'f', not a dtype"},
        {"{'descr': '<f8', 'fortran_order': False, 'shape': (" +
             [] {
                 std::string axes;
                 for (int i = 0; i < 65; ++i) axes += "1, ";
                 return axes;
             }() +
             "), }",
         "more than 64 axes"},
    };
    for (const auto& [dict, problem] : cases) {
        const std::string message = parse_problem(with_header(dict));
        EXPECT_NE(message.find("has a malformed .npy header ("), std::string::npos) << dict;
        EXPECT_NE(message.find(problem), std::string::npos)
            << "header " << dict << "\n  gave: " << message << "\n  expected: " << problem;
    }
}

TEST(Npy, MalformedPreamblesSayWhatIsWrong) {
    const std::string good = npy_f8({2}, {1, 2});
    std::string version_1_1 = good, version_4 = good, long_header = good, empty_header = good;
    version_1_1[7] = 1;
    version_4[6] = 4;
    long_header[8] = '\x11', long_header[9] = '\x27';  // 10001 bytes
    empty_header[8] = empty_header[9] = 0;
    const std::vector<std::pair<std::string, std::string>> cases = {
        {"", "no \\x93NUMPY magic"},
        {"PK\x03\x04 not npy", "no \\x93NUMPY magic"},
        {good.substr(0, 4), "truncated inside its .npy header"},
        {good.substr(0, 9), "truncated inside its .npy header"},
        {good.substr(0, 40), "truncated inside its .npy header"},
        {version_1_1, "format version 1.1, which is not supported"},
        {version_4, "format version 4.0, which is not supported"},
        {long_header, "header of 10001 bytes; at most 10000"},
        {empty_header, "its length is 0"},
    };
    for (const auto& [bytes, problem] : cases)
        EXPECT_NE(parse_problem(bytes).find(problem), std::string::npos)
            << "gave: " << parse_problem(bytes) << "\n  expected: " << problem;
}

TEST(Npy, DescrsHoldingEachType) {
    EXPECT_EQ(npy_descr<double>(), "<f8");  // the development machines are little-endian
    EXPECT_EQ(npy_descr<float>(), "<f4");
    EXPECT_TRUE(npy_descr_holds<double>(">f8"));
    EXPECT_TRUE(npy_descr_holds<float>(">f4"));
    for (const char* other : {"<f4", "|f8", "=f8", "<i8", "<f8 ", "f8"})
        EXPECT_FALSE(npy_descr_holds<double>(other)) << other;
}

TEST(Npy, NumpyArchivesLoadIntoAModel) {
    // numpy.savez and savez_compressed of the fuzzers' model, with a Fortran-ordered
    // weight and a big-endian bias: element i of each is i + 0.5.
    for (const char* name : {"numpy_savez.npz", "numpy_savez_compressed.npz"}) {
        SCOPED_TRACE(name);
        nn::Rng rng(1);
        nn::Sequential<double> net{nn::Dense<double>(4, 3, rng), nn::Tanh<double>(),
                                   nn::Dense<double>(3, 2, rng)};
        nn::load(net, std::string(TAPEGRAD_TEST_DATA_DIR) + "/npy/" + name);
        for (const auto& [pname, p] : net.named_parameters()) {
            const auto& v = p.value();
            for (std::size_t i = 0; i < v.size(); ++i)
                ASSERT_EQ(v.data()[i], i + 0.5) << pname << " element " << i;
        }
    }
}

}  // namespace
}  // namespace tg::test
