// tg::io::load_safetensors / save_safetensors (<tapegrad/io/safetensors.hpp>): the files
// of a writer written from the format's specification (tests/data/formats/
// make_formats.py) read back, every type round-trips, float16 and bfloat16 widen and
// narrow, writes are atomic, and every malformed header is an IoError saying what is
// wrong.

#include <tapegrad/io/safetensors.hpp>

#include <sys/resource.h>

#include <cmath>
#include <csignal>
#include <cstdint>
#include <fstream>
#include <iterator>
#include <limits>

#include "nn/expect_message.hpp"
#include "nn/nn_test_util.hpp"
#include "same_arrays.hpp"

namespace tg::test {
namespace {

std::string data_file(const std::string& name) {
    return std::string(TAPEGRAD_TEST_DATA_DIR) + "/formats/" + name;
}

std::string read_bytes(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

std::string write_file(const std::string& name, const std::string& bytes) {
    const std::string path = temp_path(name);
    std::ofstream(path, std::ios::binary) << bytes;
    return path;
}

/// A safetensors file: the 8-byte little-endian length of `header`, `header`, `data`.
std::string safetensors(const std::string& header, const std::string& data = "") {
    std::string out;
    for (int k = 0; k < 8; ++k) out += static_cast<char>((header.size() >> (8 * k)) & 0xFF);
    return out + header + data;
}

double float_value(std::size_t i) { return i + 0.5; }
double int_value(std::size_t i) { return 7.0 * i - 5; }
double uint8_value(std::size_t i) { return (37 * i) % 256; }
double bool_value(std::size_t i) { return i % 3 == 0; }

template <class T>
void expect_tensor(const io::NamedArrays<T>& tensors, const std::string& name,
                   const std::vector<std::size_t>& shape, double (*value)(std::size_t)) {
    SCOPED_TRACE(name);
    ASSERT_EQ(tensors.count(name), 1u);
    const Array<T>& a = tensors.at(name);
    ASSERT_EQ(Shape(a.shape()), Shape(shape));
    for (std::size_t i = 0; i < a.size(); ++i)
        EXPECT_EQ(static_cast<double>(a.data()[i]), value(i)) << "element " << i;
}

template <class T>
void expect_spec_file() {
    const io::Safetensors<T> file = io::load_safetensors<T>(data_file("dtypes.safetensors"));
    EXPECT_EQ(file.tensors.size(), 10u);
    expect_tensor(file.tensors, "f64", {2, 3}, float_value);
    expect_tensor(file.tensors, "f32", {5}, float_value);
    expect_tensor(file.tensors, "f16", {2, 2}, float_value);
    expect_tensor(file.tensors, "bf16", {4}, float_value);
    expect_tensor(file.tensors, "i64", {3}, int_value);
    expect_tensor(file.tensors, "i32", {2, 2}, int_value);
    expect_tensor(file.tensors, "u8", {4}, uint8_value);
    expect_tensor(file.tensors, "bool", {2, 3}, bool_value);
    expect_tensor(file.tensors, "zero_d", {}, float_value);
    expect_tensor(file.tensors, "empty", {0, 3}, float_value);
    // The JSON escapes \u00fc, \", \\, \t and the surrogate pair \ud835\udcb3 decoded.
    const std::map<std::string, std::string> metadata = {
        {"format", "pt"},
        {"note",
         "\xc3\xbcn\xc3\xaf"
         "code \"quoted\" \\ /\t\xf0\x9d\x92\xb3"}};
    EXPECT_EQ(file.metadata, metadata);
}

TEST(Safetensors, ReadsTheSpecWritersFiles) {
    expect_spec_file<double>();
    expect_spec_file<float>();
    // Names in raw UTF-8.
    const auto unicode = io::load_safetensors<double>(data_file("unicode.safetensors"));
    expect_tensor(unicode.tensors, "\xc3\xa9t\xc3\xa9.weight", {2}, float_value);
    expect_tensor(unicode.tensors, "\xe6\xbc\xa2\xe5\xad\x97", {1}, int_value);
    EXPECT_TRUE(unicode.metadata.empty());
    // Integers: the float tensors hold 0.5, which no integer type holds.
    const std::string path = data_file("dtypes.safetensors");
    expect_message<IoError>([&] { io::load_safetensors<std::int32_t>(path); },
                            {"load_safetensors: '" + path +
                             "': tensor 'f64' holds 0.5 (element 0 "
                             "in C order), which int32 cannot hold exactly"});
}

TEST(Safetensors, WritesWhatTheLibraryWrites) {
    // The safetensors library's layout for {"a": float32 [1, 2]} with metadata: compact
    // JSON, "__metadata__" first, padded with spaces to a multiple of 8, then the data.
    const std::string path = temp_path("layout.safetensors");
    io::save_safetensors<float>(path, {{"a", Array<float>({1.0f, 2.0f})}},
                                {{{"format", "pt"}}, std::nullopt});
    const std::string json =
        "{\"__metadata__\":{\"format\":\"pt\"},\"a\":{\"dtype\":\"F32\",\"shape\":[2],"
        "\"data_offsets\":[0,8]}}";
    const float data[2] = {1.0f, 2.0f};
    EXPECT_EQ(read_bytes(path), safetensors(json + std::string((8 - json.size() % 8) % 8, ' '),
                                            std::string(reinterpret_cast<const char*>(data), 8)));
    // Names and metadata that need escapes come back as they were.
    const std::string odd = "q\"uote\\back\nline\x01\xc3\xa9";
    io::save_safetensors<double>(path, {{odd, Array<double>({3.0})}}, {{{odd, odd}}, {}});
    const auto back = io::load_safetensors<double>(path);
    EXPECT_EQ(back.tensors.count(odd), 1u);
    EXPECT_EQ(back.metadata.at(odd), odd);
}

template <class T>
void expect_round_trip(const io::NamedArrays<T>& tensors, const std::string& file) {
    const std::string path = temp_path(file);
    io::save_safetensors(path, tensors);
    expect_same_arrays(tensors, io::load_safetensors<T>(path).tensors);
}

TEST(Safetensors, EveryTypeRoundTrips) {
    const double inf = std::numeric_limits<double>::infinity();
    expect_round_trip<double>({{"w", Array<double>({{1.5, -inf}, {NAN, 1e-310}})},
                               {"0-d", Array<double>(2.0)},
                               {"empty", Array<double>(Shape{0, 4})}},
                              "double.safetensors");
    expect_round_trip<float>({{"a.b", Array<float>({0.1f, -0.0f, 3e38f})}}, "float.safetensors");
    expect_round_trip<std::int64_t>(
        {{"i", Array<std::int64_t>({std::numeric_limits<std::int64_t>::min(), -1,
                                    std::numeric_limits<std::int64_t>::max()})}},
        "int64.safetensors");
    expect_round_trip<std::int32_t>({{"i", Array<std::int32_t>({{-7, 0}, {1 << 30, 5}})}},
                                    "int32.safetensors");
    expect_round_trip<std::uint8_t>({{"u", Array<std::uint8_t>({0, 128, 255})}},
                                    "uint8.safetensors");
    expect_round_trip<bool>({{"mask", Array<bool>({{true, false, true}})}}, "bool.safetensors");
    expect_round_trip<double>({}, "nothing.safetensors");
}

TEST(Safetensors, NarrowsToHalfTypesOnSaveAndWidensOnLoad) {
    // 1/3 to float16 is 0x3555 (0.333251953125), to bfloat16 0x3EAB (0.333984375);
    // 65504 is float16's largest; 1e30 fits bfloat16 only.
    const std::string path = temp_path("narrow.safetensors");
    const io::NamedArrays<double> x = {{"x", Array<double>({1.0 / 3, -2.0, 65504.0})}};
    io::save_safetensors(path, x, {{}, io::DType::float16});
    EXPECT_NE(read_bytes(path).find("\"dtype\":\"F16\""), std::string::npos);
    const auto half = io::load_safetensors<double>(path).tensors.at("x");
    EXPECT_EQ(half(0), 0.333251953125);
    EXPECT_EQ(half(1), -2.0);
    EXPECT_EQ(half(2), 65504.0);
    io::save_safetensors(path, x, {{}, io::DType::bfloat16});
    const auto bf = io::load_safetensors<float>(path).tensors.at("x");
    EXPECT_EQ(bf(0), 0.333984375f);
    EXPECT_EQ(bf(2), 65536.0f);  // 65504 to 8 significant bits
    // float32 from double: rounded to nearest.
    io::save_safetensors(path, x, {{}, io::DType::float32});
    EXPECT_EQ(io::load_safetensors<double>(path).tensors.at("x")(0),
              static_cast<double>(static_cast<float>(1.0 / 3)));
    // A value beyond float16: ValueError, and the file from before is left as it was.
    const std::string before = read_bytes(path);
    const io::NamedArrays<double> big = {{"big", Array<double>({1.0, 1e30})}};
    expect_message<ValueError>(
        [&] {
            io::save_safetensors(path, big, {{}, io::DType::float16});
        },
        {"save_safetensors: '" + path +
         "': array 'big' holds 1e+30 "
         "(element 1 in C order), beyond float16's largest finite value "
         "65504"});
    EXPECT_EQ(read_bytes(path), before);
    EXPECT_FALSE(std::filesystem::exists(path + ".tmp"));
    io::save_safetensors(path, big, {{}, io::DType::bfloat16});
    EXPECT_EQ(io::load_safetensors<double>(path).tensors.at("big")(1), 1.0002555517425873e30);
}

TEST(Safetensors, SaveIsAtomic) {
    const std::string path = temp_path("atomic.safetensors");
    // A temporary file a killed writer left is replaced, and gone after the save.
    write_file("atomic.safetensors.tmp", "left by a killed save");
    io::save_safetensors<double>(path, {{"w", Array<double>({1.0})}});
    EXPECT_FALSE(std::filesystem::exists(path + ".tmp"));
    EXPECT_EQ(io::load_safetensors<double>(path).tensors.at("w")(0), 1.0);
    // A folder that does not exist; a path that is a folder.
    const std::string nowhere = temp_path("no/such/folder/w.safetensors");
    expect_message<IoError>([&] { io::save_safetensors<double>(nowhere, {}); },
                            {"save_safetensors: '" + nowhere +
                                 "': cannot be created (No such "
                                 "file or directory",
                             "check that the directory exists"});
    const std::string folder = temp_path("");
    expect_message<IoError>([&] { io::save_safetensors<double>(folder, {}); },
                            {"is a directory; pass the path of a file"});
}

TEST(Safetensors, AFullDiskLeavesTheOldFile) {
    // A file-size limit (RLIMIT_FSIZE, with SIGXFSZ ignored) makes write() fail as a full
    // disk does: the error says so, the old file is intact and no PATH.tmp is left.
    const std::string path = temp_path("full.safetensors");
    io::save_safetensors<double>(path, {{"w", Array<double>({1.0})}});
    rlimit before{};
    ASSERT_EQ(getrlimit(RLIMIT_FSIZE, &before), 0);
    rlimit small = before;
    small.rlim_cur = 4096;
    void (*const handler)(int) = std::signal(SIGXFSZ, SIG_IGN);
    ASSERT_EQ(setrlimit(RLIMIT_FSIZE, &small), 0);
    const Array<double> big = xt::ones<double>({10000});
    std::string message;
    try {
        io::save_safetensors<double>(path, {{"w", big}});
    } catch (const IoError& e) {
        message = e.what();
    }
    setrlimit(RLIMIT_FSIZE, &before);
    std::signal(SIGXFSZ, handler);
    EXPECT_NE(message.find("save_safetensors: '" + path + "': cannot be written ("),
              std::string::npos)
        << message;
    EXPECT_NE(message.find(" while writing '" + path +
                           ".tmp'); free some space or check the disk; an existing file is "
                           "left as it was"),
              std::string::npos)
        << message;
    EXPECT_FALSE(std::filesystem::exists(path + ".tmp"));
    EXPECT_EQ(io::load_safetensors<double>(path).tensors.at("w").size(), 1u);
}

TEST(Safetensors, SaveRefusesWhatTheFormatCannotHold) {
    const std::string path = temp_path("refused.safetensors");
    const Array<double> one({1.0});
    for (const std::string& name : {std::string(), std::string("__metadata__"),
                                    std::string("\xff\xfe"), std::string("\xc0\x80")})
        expect_message<ValueError>(
            [&] {
                io::save_safetensors<double>(path, {{name, one}});
            },
            {"save_safetensors: '" + path + "': the tensor name",
             "is empty, \"__metadata__\" or not valid UTF-8"});
    expect_message<ValueError>(
        [&] {
            io::save_safetensors<double>(path, {{"w", one}}, {{{"k", "\xed\xa0\x80"}}, {}});
        },
        {"the metadata entry 'k' is not valid UTF-8"});
    expect_message<ValueError>(
        [&] {
            io::save_safetensors<double>(path, {{"w", one}}, {{}, io::DType::int64});
        },
        {"float arrays cannot be stored as int64"});
    expect_message<ValueError>(
        [&] {
            io::save_safetensors<std::int32_t>(path, {{"i", Array<std::int32_t>({1})}},
                                               {{}, io::DType::float16});
        },
        {"int32 arrays are stored as int32; options.dtype (float16) is for float and double"});
    EXPECT_FALSE(std::filesystem::exists(path));
}

/// The message of loading `bytes` as a file; "(loaded)" when it loads.
std::string load_problem(const std::string& bytes) {
    const std::string path = write_file("malformed.safetensors", bytes);
    try {
        io::load_safetensors<double>(path);
    } catch (const IoError& e) {
        const std::string prefix = "load_safetensors: '" + path + "': ";
        const std::string message = e.what();
        return message.rfind(prefix, 0) == 0 ? message.substr(prefix.size())
                                             : "(no file name) " + message;
    }
    return "(loaded)";
}

TEST(Safetensors, MalformedFilesSayWhatIsWrong) {
    const std::string w = "\"w\":{\"dtype\":\"F64\",\"shape\":[2],\"data_offsets\":[0,16]}";
    const std::string data(16, '\0');
    const auto file = [&](const std::string& header) { return safetensors(header, data); };
    std::string huge = safetensors("{}"), long_header = safetensors("{}");
    huge[0] = '\x01', huge[1] = '\xe1', huge[2] = '\xf5', huge[3] = '\x05';  // 100000001
    long_header[0] = '\x40';
    const std::vector<std::pair<std::string, std::string>> cases = {
        // The length and the file.
        {"", "is empty (0 bytes): truncated or not a safetensors file"},
        {std::string("\x02\0\0\0", 4),
         "is truncated (4 bytes): a safetensors file starts with an 8-byte header"},
        {huge, "declares a JSON header of 100000001 bytes; at most 100000000 are accepted"},
        {long_header, "declares a JSON header of 64 bytes but only 2 follow the length"},
        {safetensors(""), "has a malformed safetensors header (the header is empty)"},
        // JSON.
        {file(" {" + w + "}"),
         "does not start with '{' (a JSON object); it starts with ' ' at byte 0"},
        {file("[" + w + "]"), "does not start with '{'"},
        {file("{" + w + "}x"), "unexpected 'x' at byte " + std::to_string(w.size() + 2) +
                                   " of the header after the header's closing '}'"},
        {file("{" + w + ",}"), "expected a tensor name (a string in double quotes), found '}'"},
        {file("{" + w), "expected ',' or '}' between the header's members, found the end"},
        {file("{\"w\" {}}"), "expected ':' after the name 'w', found '{' at byte 5"},
        {file("{\"w}"),
         "a tensor name starting at '\"' at byte 1 of the header has no closing quote"},
        {file("{\"w\\x\":{}}"), "a tensor name holds an unknown escape \\'x' at byte 4"},
        {file("{\"w\\u12G4\":{}}"), "has a \\u escape with 'G' at byte 7 of the header, not a hex"},
        {file("{\"\\udc00\":{}}"), "a low surrogate \\uDC00 without a high one before it"},
        {file("{\"\\ud800x\":{}}"), "a high surrogate \\uD800 not followed by a low one"},
        {file("{\"\\ud800\\u0041\":{}}"), "followed by \\u0041, not a low surrogate"},
        {file("{\"w\xff\":{}}"),
         "a tensor name holds byte \\xff at byte 3 of the header, which is "
         "not valid UTF-8"},
        {file("{\"\xc0\x80\":{}}"), "not valid UTF-8"},          // overlong NUL
        {file("{\"\xed\xa0\x80\":{}}"), "not valid UTF-8"},      // an encoded surrogate
        {file("{\"\xf4\x90\x80\x80\":{}}"), "not valid UTF-8"},  // above U+10FFFF
        {file("{\"w\x01\":{}}"), "holds the control character byte \\x01 at byte 3"},
        // The tensors.
        {file("{\"w\":5}"), "expected '{' to open tensor 'w' (an object with \"dtype\""},
        {file("{\"w\":{}}"), "expected a key of tensor 'w' (a string in double quotes), found '}'"},
        {file("{\"w\":{\"dtype\":\"F64\",\"shape\":[2]}}"), "tensor 'w' has no \"data_offsets\""},
        {file("{\"w\":{\"shape\":[2],\"data_offsets\":[0,16]}}"), "tensor 'w' has no \"dtype\""},
        {file("{\"w\":{\"dtype\":\"F64\",\"data_offsets\":[0,16]}}"),
         "tensor 'w' has no \"shape\""},
        {file("{\"w\":{\"dtype\":\"F64\",\"dtype\":\"F64\"}}"),
         "tensor 'w' has the key 'dtype' twice"},
        {file("{\"w\":{\"dtype\":\"F64\",\"offsets\":[0,16]}}"),
         "tensor 'w' has the key 'offsets' (a tensor holds exactly \"dtype\", \"shape\" and "
         "\"data_offsets\")"},
        {file("{\"w\":{\"dtype\":\"I8\",\"shape\":[16],\"data_offsets\":[0,16]}}"),
         "tensor 'w' has dtype 'I8', which tapegrad does not read (it reads F64, F32, F16, BF16, "
         "I64, I32, U8 and BOOL)"},
        {file("{\"w\":{\"dtype\":\"f64\",\"shape\":[2],\"data_offsets\":[0,16]}}"), "dtype 'f64'"},
        {file("{\"w\":{\"dtype\":64,\"shape\":[2],\"data_offsets\":[0,16]}}"),
         "expected the dtype of tensor 'w' (a string in double quotes), found '6'"},
        {file("{\"w\":{\"dtype\":\"F64\",\"shape\":[-2],\"data_offsets\":[0,16]}}"),
         "expected a whole number >= 0 in the shape of tensor 'w', found '-'"},
        {file("{\"w\":{\"dtype\":\"F64\",\"shape\":[2.0],\"data_offsets\":[0,16]}}"),
         "a number in the shape of tensor 'w' is not a whole number ('.' at byte"},
        {file("{\"w\":{\"dtype\":\"F64\",\"shape\":[2e0],\"data_offsets\":[0,16]}}"),
         "is not a whole number ('e'"},
        {file("{\"w\":{\"dtype\":\"F64\",\"shape\":[02],\"data_offsets\":[0,16]}}"),
         "leading zero"},
        {file("{\"w\":{\"dtype\":\"F64\",\"shape\":[18446744073709551616],\"data_offsets\":[0,16]}"
              "}"),
         "a number in the shape of tensor 'w' does not fit in 64 bits"},
        {file("{\"w\":{\"dtype\":\"F64\",\"shape\":[2,],\"data_offsets\":[0,16]}}"),
         "expected a whole number >= 0 in the shape of tensor 'w', found ']'"},
        {file("{\"w\":{\"dtype\":\"F64\",\"shape\":2,\"data_offsets\":[0,16]}}"),
         "expected '[' to open the shape of tensor 'w', found '2'"},
        {file("{\"w\":{\"dtype\":\"F64\",\"shape\":[2],\"data_offsets\":[0,8,16]}}"),
         "the data_offsets of tensor 'w' hold 3 numbers, not 2 ([begin, end])"},
        {file("{\"w\":{\"dtype\":\"F64\",\"shape\":[2],\"data_offsets\":[16,0]}}"),
         "the data_offsets of tensor 'w' are [16, 0]: the end comes before the begin"},
        {file("{" + w + "," + w + "}"), "the tensor 'w' appears twice"},
        // __metadata__.
        {file("{\"__metadata__\":{\"a\":1}," + w + "}"),
         "the metadata value of 'a' is not a string (found '1' at byte 21 of the header)"},
        {file("{\"__metadata__\":[]," + w + "}"), "expected '{' to open \"__metadata__\""},
        {file("{\"__metadata__\":{\"a\":\"b\",\"a\":\"c\"}," + w + "}"),
         "the metadata key 'a' appears twice"},
        {file("{\"__metadata__\":{},\"__metadata__\":{}," + w + "}"),
         "\"__metadata__\" appears twice"},
        // data_offsets against the shapes and the data section.
        {file("{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,16]}}"),
         "tensor 'w' has shape [2] of F32 (8 bytes) but its data_offsets [0, 16) hold 16"},
        {file("{\"w\":{\"dtype\":\"F64\",\"shape\":[4294967296,4294967296],\"data_offsets\":[0,16]}"
              "}"),
         "tensor 'w' has shape [4294967296, 4294967296], more bytes than 64 bits count"},
        {file("{\"w\":{\"dtype\":\"F64\",\"shape\":[4],\"data_offsets\":[0,32]}}"),
         "tensor 'w' has data_offsets [0, 32) past the end of the data section (16 bytes after "
         "the header)"},
        {file("{\"w\":{\"dtype\":\"F64\",\"shape\":[1099511627776],\"data_offsets\":[0,"
              "8796093022208]}}"),
         "past the end of the data section"},
        {file("{\"a\":{\"dtype\":\"F64\",\"shape\":[2],\"data_offsets\":[0,16]},"
              "\"b\":{\"dtype\":\"F64\",\"shape\":[1],\"data_offsets\":[8,16]}}"),
         "tensors 'a' [0, 16) and 'b' [8, 16) overlap"},
        {file("{\"a\":{\"dtype\":\"F64\",\"shape\":[1],\"data_offsets\":[8,16]}}"),
         "bytes [0, 8) of the data section belong to no tensor (a hole before 'a')"},
        {file("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
              "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[12,16]}}"),
         "bytes [4, 12) of the data section belong to no tensor (a hole between 'a' and 'b')"},
        {file("{\"w\":{\"dtype\":\"F64\",\"shape\":[1],\"data_offsets\":[0,8]}}"),
         "the tensors' data end at byte 8 of the data section, but it holds 16"},
        {file("{}"), "the tensors' data end at byte 0 of the data section, but it holds 16"},
        // Values.
        {safetensors("{\"b\":{\"dtype\":\"BOOL\",\"shape\":[8],\"data_offsets\":[0,8]}}",
                     std::string("\0\0\0\x05\0\0\0\0", 8)),
         "tensor 'b' holds the byte 5 (element 3 in C order) in a bool array"},
    };
    for (const auto& [bytes, problem] : cases) {
        const std::string message = load_problem(bytes);
        EXPECT_NE(message.find(problem), std::string::npos)
            << "gave: " << message << "\n  expected: " << problem;
    }
    // Files that are fine: no tensors, empty tensors anywhere, any key order, spaces.
    const std::vector<std::string> fine = {
        safetensors("{}"),
        safetensors("{\"__metadata__\":{}}   "),
        safetensors("{ }\t\n\r"),
        safetensors("{\"e\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[0,0]}," + w +
                        ",\"z\":{\"data_offsets\":[16,16],\"shape\":[3,0],\"dtype\":\"U8\"}}",
                    data),
    };
    for (const std::string& bytes : fine) EXPECT_EQ(load_problem(bytes), "(loaded)") << bytes;
}

}  // namespace
}  // namespace tg::test
