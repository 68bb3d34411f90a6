// tg::io::load_npz / save_npz (<tapegrad/io/npz.hpp>): every dtype numpy writes reads back
// converted to the type asked for (files made by tests/data/formats/make_formats.py),
// every type round-trips, and what the reader refuses it names.

#include <tapegrad/io/npz.hpp>

#include <cmath>
#include <cstdint>
#include <fstream>
#include <limits>

#include "nn/expect_message.hpp"
#include "nn/nn_test_util.hpp"
#include "same_arrays.hpp"
#include "nn/stored_zip.hpp"

namespace tg::test {
namespace {

std::string data_file(const std::string& name) {
    return std::string(TAPEGRAD_TEST_DATA_DIR) + "/formats/" + name;
}

std::string write_file(const std::string& name, const std::string& bytes) {
    const std::string path = temp_path(name);
    std::ofstream(path, std::ios::binary) << bytes;
    return path;
}

/// Element i of the generator's arrays of each kind (make_formats.py's docstring).
double float_value(std::size_t i) { return i + 0.5; }
double int_value(std::size_t i) { return 7.0 * i - 5; }
double uint8_value(std::size_t i) { return (37 * i) % 256; }
double bool_value(std::size_t i) { return i % 3 == 0; }
double one_based(std::size_t i) { return i + 1.0; }

template <class T>
void expect_array(const io::NamedArrays<T>& arrays, const std::string& name,
                  const std::vector<std::size_t>& shape, double (*value)(std::size_t)) {
    SCOPED_TRACE(name);
    ASSERT_EQ(arrays.count(name), 1u);
    const Array<T>& a = arrays.at(name);
    ASSERT_EQ(Shape(a.shape()), Shape(shape));
    for (std::size_t i = 0; i < a.size(); ++i)
        EXPECT_EQ(static_cast<double>(a.data()[i]), value(i)) << "element " << i;
}

template <class T>
void expect_numpy_dtypes(const std::string& file) {
    SCOPED_TRACE(file);
    const io::NamedArrays<T> arrays = io::load_npz<T>(data_file(file));
    EXPECT_EQ(arrays.size(), 11u);
    expect_array(arrays, "f8", {2, 3}, float_value);
    expect_array(arrays, "f4", {5}, float_value);
    expect_array(arrays, "f2", {2, 2}, float_value);
    expect_array(arrays, "f4_big_endian", {3}, float_value);
    expect_array(arrays, "i8", {3}, int_value);
    expect_array(arrays, "i4_fortran", {2, 3}, int_value);
    expect_array(arrays, "i4_big_endian", {3}, int_value);
    expect_array(arrays, "u1", {4}, uint8_value);
    expect_array(arrays, "b1", {2, 3}, bool_value);
    expect_array(arrays, "zero_d", {}, float_value);
    expect_array(arrays, "empty", {0, 3}, float_value);
}

TEST(NpzArrays, ReadsEveryDtypeNumpyWritesAsFloatTypes) {
    for (const char* file : {"dtypes.npz", "dtypes_compressed.npz"}) {
        expect_numpy_dtypes<double>(file);
        expect_numpy_dtypes<float>(file);
    }
}

TEST(NpzArrays, ReadsIntegersAndBoolsExactly) {
    // integers.npz: int64, int32 (Fortran-ordered, big-endian), uint8, bool, and float64
    // and float16 arrays holding whole numbers; all fit int64 and int32.
    const auto expect_integers = [](auto tag) {
        using T = decltype(tag);
        const io::NamedArrays<T> arrays = io::load_npz<T>(data_file("integers.npz"));
        expect_array(arrays, "i8", {3}, int_value);
        expect_array(arrays, "i4_fortran", {2, 3}, int_value);
        expect_array(arrays, "i4_big_endian", {3}, int_value);
        expect_array(arrays, "u1", {4}, uint8_value);
        expect_array(arrays, "b1", {2, 3}, bool_value);
        expect_array(arrays, "f8_whole", {2, 2}, int_value);
        expect_array(arrays, "f2_whole", {3}, int_value);
    };
    expect_integers(std::int64_t{});
    expect_integers(std::int32_t{});
    // -5 is no uint8; 0.5 no int64; 148 (37·4) no bool. Each names the file and the array.
    const std::string integers = data_file("integers.npz");
    expect_message<IoError>(
        [&] { io::load_npz<std::uint8_t>(integers); },
        {"load_npz: '" + integers +
         "': array 'i8' holds -5 (element 0 in C "
         "order), which uint8 cannot hold exactly (whole numbers from 0 to 255)"});
    expect_message<IoError>([&] { io::load_npz<bool>(integers); },
                            {"array 'i8' holds -5", "which bool cannot hold exactly (0 or 1)"});
    expect_message<IoError>([] { io::load_npz<std::int64_t>(data_file("dtypes.npz")); },
                            {"array 'f8' holds 0.5 (element 0 in C order), which int64 cannot "
                             "hold exactly"});
}

/// save_npz then load_npz of arrays of T.
template <class T>
void expect_round_trip(const io::NamedArrays<T>& arrays, const std::string& file) {
    const std::string path = temp_path(file);
    io::save_npz(path, arrays);
    expect_same_arrays(arrays, io::load_npz<T>(path));
}

TEST(NpzArrays, EveryTypeRoundTrips) {
    const double inf = std::numeric_limits<double>::infinity();
    expect_round_trip<double>({{"w", Array<double>({{1.5, -inf}, {NAN, 1e-310}})},
                               {"0-d", Array<double>(2.0)},
                               {"empty", Array<double>(Shape{0, 4})}},
                              "double.npz");
    expect_round_trip<float>({{"a.b", Array<float>({0.1f, -0.0f, 3e38f})}}, "float.npz");
    expect_round_trip<std::int64_t>(
        {{"i", Array<std::int64_t>({std::numeric_limits<std::int64_t>::min(), -1,
                                    std::numeric_limits<std::int64_t>::max()})}},
        "int64.npz");
    expect_round_trip<std::int32_t>({{"i", Array<std::int32_t>({{-7, 0}, {1 << 30, 5}})}},
                                    "int32.npz");
    expect_round_trip<std::uint8_t>({{"u", Array<std::uint8_t>({0, 128, 255})}}, "uint8.npz");
    expect_round_trip<bool>({{"mask", Array<bool>({{true, false, true}})}}, "bool.npz");
    expect_round_trip<double>({}, "nothing.npz");
    // Written as int32, read as double: converted on reading.
    const std::string path = temp_path("int32_as_double.npz");
    io::save_npz<std::int32_t>(path, {{"i", Array<std::int32_t>({-3, 4})}});
    expect_array(io::load_npz<double>(path), "i", {2},
                 [](std::size_t i) { return i == 0 ? -3.0 : 4.0; });
}

TEST(NpzArrays, RefusesWhatItCannotRead) {
    const std::string complex = data_file("complex.npz"), strings = data_file("strings.npz");
    expect_message<IoError>([&] { io::load_npz<double>(complex); },
                            {"load_npz: '" + complex +
                             "': entry 'z.npy' holds dtype ('<c16'), "
                             "which tapegrad does not read (float64, float32, float16, int64, "
                             "int32, uint8, bool)"});
    expect_message<IoError>([&] { io::load_npz<double>(strings); }, {"'<U2'", "does not read"});
    // An entry whose name does not end in .npy; '|' (no byte order) for an 8-byte type;
    // a bool byte other than 0 or 1.
    const std::string other = write_file("other.npz", stored_zip({{"notes.txt", "hello"}}));
    expect_message<IoError>([&] { io::load_npz<double>(other); },
                            {"entry 'notes.txt' is not an array: numpy.savez names each entry "
                             "NAME.npy"});
    const std::string no_order =
        write_file("no_order.npz",
                   stored_zip({{"w.npy", npy_with_header("{'descr': '|f8', 'fortran_order': False, "
                                                         "'shape': (1,), }",
                                                         std::string(8, '\0'))}}));
    expect_message<IoError>([&] { io::load_npz<double>(no_order); },
                            {"entry 'w.npy' holds dtype float64 ('|f8'), which tapegrad does not "
                             "read"});
    const std::string bad_bool =
        write_file("bad_bool.npz",
                   stored_zip({{"b.npy", npy_with_header("{'descr': '|b1', 'fortran_order': False, "
                                                         "'shape': (2,), }",
                                                         std::string("\x01\x02", 2))}}));
    expect_message<IoError>([&] { io::load_npz<double>(bad_bool); },
                            {"array 'b' holds the byte 2 (element 1 in C order) in a bool array"});
    // The .npy header's shape against the entry's size, and the entry's declared size
    // against its compressed bytes: checked before anything of that size is allocated.
    const std::string header = "{'descr': '<f8', 'fortran_order': False, 'shape': (125000000,), }";
    const std::string npy = npy_with_header(header, std::string(16, '\0'));
    const std::string short_data = write_file("short_data.npz", stored_zip({{"w.npy", npy}}));
    expect_message<IoError>([&] { io::load_npz<double>(short_data); },
                            {"entry 'w.npy' holds 16 data bytes where shape (125000000) needs "
                             "1000000000"});
    ZipEntry lying{"w.npy", npy};
    const auto declared = static_cast<std::uint32_t>(npy.size() - 16 + 1000000000);
    lying.uncompressed = std::pair<std::uint32_t, std::uint32_t>{crc32(npy), declared};
    const std::string claims = write_file("claims.npz", stored_zip({lying}));
    expect_message<IoError>(
        [&] { io::load_npz<double>(claims); },
        {"load_npz: '" + claims + "': entry 'w.npy' claims " + std::to_string(declared) +
         " bytes from " + std::to_string(npy.size()) +
         " compressed ones, more than its compression can give"});
    // Only numpy's two methods: stored and deflated (12 is bzip2).
    ZipEntry bzip2{"w.npy", npy};
    bzip2.method = 12;
    const std::string other_method = write_file("bzip2.npz", stored_zip({bzip2}));
    expect_message<IoError>([&] { io::load_npz<double>(other_method); },
                            {"entry 'w.npy' is compressed with zip method 12; only stored and "
                             "deflated entries (numpy.savez, numpy.savez_compressed) are read"});
    // A directory that claims more compressed bytes than the archive holds (its central
    // record's compressed size, 20 bytes after the record's signature): libzip's
    // consistency check refuses it on opening.
    std::string archive = stored_zip({{"w.npy", npy}});
    const std::size_t record = archive.find(std::string("PK\x01\x02", 4));
    ASSERT_NE(record, std::string::npos);
    for (std::size_t b = 0; b < 4; ++b) archive[record + 20 + b] = b == 3 ? '\x10' : '\0';
    const std::string too_long = write_file("too_long.npz", archive);
    expect_message<IoError>([&] { io::load_npz<double>(too_long); },
                            {"load_npz: '" + too_long + "': is truncated or not a .npz archive"});
    // Errors of the archive itself carry the load_npz prefix too.
    const std::string empty = write_file("empty.npz", "");
    expect_message<IoError>([&] { io::load_npz<float>(empty); },
                            {"load_npz: '" + empty + "': is empty (0 bytes)"});
}

TEST(NpzArrays, SaveIsAtomic) {
    // Written at PATH.tmp, flushed and renamed: a temporary file a killed writer left is
    // replaced, and none is left after a save, good or failed.
    const std::string path = temp_path("atomic.npz");
    write_file("atomic.npz.tmp", "left by a killed save");
    io::save_npz<double>(path, {{"w", Array<double>({1.0, 2.0})}});
    EXPECT_FALSE(std::filesystem::exists(path + ".tmp"));
    expect_array(io::load_npz<double>(path), "w", {2}, one_based);
    io::save_npz<double>(path, {});  // an archive without entries, as numpy.savez() writes
    EXPECT_TRUE(io::load_npz<double>(path).empty());
    EXPECT_FALSE(std::filesystem::exists(path + ".tmp"));
    const std::string nowhere = temp_path("no/such/folder/w.npz");
    expect_message<IoError>([&] { io::save_npz<double>(nowhere, {}); },
                            {"save_npz: '" + nowhere + "': cannot be created",
                             "check that the directory exists and is writable"});
    const std::string folder = temp_path("");
    expect_message<IoError>([&] { io::save_npz<double>(folder, {}); },
                            {"is a directory; pass the path of a file"});
}

TEST(NpzArrays, SaveRefusesNamesWithoutAnEntry) {
    const std::string path = temp_path("unnamed.npz");
    expect_message<ValueError>(
        [&] {
            io::save_npz<double>(path, {{"", Array<double>({1.0})}});
        },
        {"save_npz: '" + path + "': the array name '' is empty"});
    expect_message<ValueError>(
        [&] {
            io::save_npz<double>(path, {{std::string("a\0b", 3), Array<double>({1.0})}});
        },
        {"the array name 'a\\x00b' holds a NUL byte"});
    EXPECT_FALSE(std::filesystem::exists(path));
}

}  // namespace
}  // namespace tg::test
