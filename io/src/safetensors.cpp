// safetensors files: tg::io::load_safetensors / save_safetensors and the filtered reader
// behind them and tg::nn::load_state_dict. The header is parsed by safetensors_header.cpp.

#include <tapegrad/io/safetensors.hpp>

#include <tapegrad/error.hpp>
#include <tapegrad/io/detail/arrays.hpp>
#include <tapegrad/io/detail/atomic_file.hpp>
#include <tapegrad/io/detail/convert.hpp>
#include <tapegrad/io/detail/npz.hpp>
#include <tapegrad/io/detail/safetensors_header.hpp>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <type_traits>

namespace tg::io {
namespace detail {
namespace {

/// Bytes converted per step when saving in another dtype (the buffer stays small).
constexpr std::size_t kChunk = 1 << 16;

/// Reads `size` bytes at `offset`; false when the file ends first.
bool read_at(std::ifstream& in, std::uint64_t offset, char* out, std::uint64_t size) {
    if (size == 0) return true;
    in.seekg(static_cast<std::streamoff>(offset));
    in.read(out, static_cast<std::streamsize>(size));
    return in && static_cast<std::uint64_t>(in.gcount()) == size;
}

}  // namespace

template <class T>
std::map<std::string, std::string> read_safetensors_arrays(const char* what,
                                                           const std::string& path,
                                                           const ArrayFilter& want,
                                                           const ArraySink<T>& take) {
    std::error_code ignored;
    if (std::filesystem::is_directory(path, ignored))
        fail(what, path, "is a directory; pass the path of a .safetensors file");
    std::ifstream in(path, std::ios::binary | std::ios::ate);
    if (!in) fail(what, path, "cannot be opened (no such file, or not readable)");
    const auto size = static_cast<std::uint64_t>(in.tellg());
    if (size == 0) fail(what, path, "is empty (0 bytes): truncated or not a safetensors file");
    if (size < 8)
        fail(what, path,
             "is truncated (" + std::to_string(size) +
                 " bytes): a safetensors file starts with an 8-byte header length");
    unsigned char length_bytes[8];
    if (!read_at(in, 0, reinterpret_cast<char*>(length_bytes), 8))
        fail(what, path, "cannot be read");
    std::uint64_t length = 0;
    for (int k = 7; k >= 0; --k) length = length << 8 | length_bytes[k];  // little-endian
    if (length > kMaxSafetensorsHeader)
        fail(what, path,
             "declares a JSON header of " + std::to_string(length) + " bytes; at most " +
                 std::to_string(kMaxSafetensorsHeader) +
                 " are accepted (the safetensors library's limit): not a safetensors file, or a "
                 "damaged one");
    if (length > size - 8)
        fail(what, path,
             "declares a JSON header of " + std::to_string(length) + " bytes but only " +
                 std::to_string(size - 8) +
                 " follow the length: truncated, or not a safetensors file");
    std::string text(length, '\0');
    if (!read_at(in, 8, text.data(), length)) fail(what, path, "cannot be read");
    const std::uint64_t data_start = 8 + length;
    SafetensorsHeader header;
    try {
        header = parse_safetensors_header(text.data(), text.size(), size - data_start);
    } catch (const SafetensorsFormatError& e) {
        fail(what, path, "has a malformed safetensors header (" + e.problem + ")");
    }
    text = {};

    for (const SafetensorsEntry& entry : header.tensors) {
        const ArrayInfo info{entry.name, entry.dtype, entry.shape};
        if (!want(info)) continue;
        const std::uint64_t bytes = entry.end - entry.begin;
        const std::size_t count = bytes / dtype_size(entry.dtype);
        Array<T> value(Shape(entry.shape));
        if (entry.dtype == dtype_of<T>() && !std::is_same_v<T, bool> && little_endian_machine()) {
            if (!read_at(in, data_start + entry.begin, reinterpret_cast<char*>(value.data()),
                         bytes))
                fail(what, path,
                     "is truncated inside the data of tensor " + detail::quoted(entry.name));
        } else {
            std::vector<std::uint64_t> raw((bytes + 7) / 8);  // 8-byte aligned for every dtype
            if (!read_at(in, data_start + entry.begin, reinterpret_cast<char*>(raw.data()), bytes))
                fail(what, path,
                     "is truncated inside the data of tensor " + detail::quoted(entry.name));
            if (!little_endian_machine()) swap_bytes(raw.data(), count, dtype_size(entry.dtype));
            try {
                convert_from(entry.dtype, raw.data(), count, value.data());
            } catch (const ConversionError& e) {
                fail(what, path, "tensor " + detail::quoted(entry.name) + " " + e.problem);
            }
        }
        take(info, std::move(value));
    }
    return std::move(header.metadata);
}

template <class T>
void write_safetensors_arrays(const char* what, const std::string& path,
                              const ArrayRefs<T>& tensors, const SafetensorsOptions& options) {
    const auto refuse = [&](const std::string& problem) {
        throw ValueError(std::string(what) + ": " + detail::quoted(path) + ": " + problem);
    };
    const DType stored = options.dtype.value_or(dtype_of<T>());
    if constexpr (std::is_floating_point_v<T>) {
        if (!is_floating(stored))
            refuse("float arrays cannot be stored as " + to_string(stored) +
                   "; options.dtype is float64, float32, float16 or bfloat16");
    } else {
        if (stored != dtype_of<T>())
            refuse(to_string(dtype_of<T>()) + " arrays are stored as " + to_string(dtype_of<T>()) +
                   "; options.dtype (" + to_string(stored) + ") is for float and double arrays");
    }
    SafetensorsHeader header;
    for (const auto& [key, value] : options.metadata)
        if (!valid_utf8(key) || !valid_utf8(value))
            refuse("the metadata entry " + detail::quoted(key) + " is not valid UTF-8");
    header.metadata = options.metadata;
    std::uint64_t offset = 0;
    std::set<std::string> names;
    for (const auto& [name, array] : tensors) {
        if (name.empty() || name == "__metadata__" || !valid_utf8(name))
            refuse("the tensor name " + detail::quoted(name) +
                   " is empty, \"__metadata__\" or not valid UTF-8");
        if (!names.insert(name).second)
            refuse("the tensor name " + detail::quoted(name) + " is given twice");
        SafetensorsEntry entry;
        entry.name = name;
        entry.dtype = stored;
        entry.shape.assign(array->shape().begin(), array->shape().end());
        entry.begin = offset;
        offset += array->size() * dtype_size(stored);
        entry.end = offset;
        header.tensors.push_back(std::move(entry));
    }
    const std::string json = encode_safetensors_header(header);

    AtomicFile file(what, path);
    unsigned char length[8];
    for (int k = 0; k < 8; ++k) length[k] = static_cast<unsigned char>(json.size() >> (8 * k));
    file.write(length, 8);
    file.write(json.data(), json.size());
    const bool swap = !little_endian_machine();
    std::vector<unsigned char> chunk;
    for (const auto& [name, array] : tensors) {
        if (stored == dtype_of<T>() && !swap) {
            file.write(array->data(), array->size() * sizeof(T));
            continue;
        }
        const std::size_t width = dtype_size(stored);
        for (std::size_t start = 0; start < array->size(); start += kChunk) {
            const std::size_t n = std::min(kChunk, array->size() - start);
            chunk.resize(n * width);
            if constexpr (std::is_floating_point_v<T>) {
                try {
                    convert_to(stored, array->data() + start, n, chunk.data());
                } catch (const ConversionError& e) {
                    refuse("array " + detail::quoted(name) + " " + e.problem);
                }
            } else {
                std::memcpy(chunk.data(), array->data() + start, n * width);
            }
            if (swap) swap_bytes(chunk.data(), n, width);
            file.write(chunk.data(), chunk.size());
        }
    }
    file.commit();
}

}  // namespace detail

template <class T>
void save_safetensors(const std::string& path, const NamedArrays<T>& tensors,
                      const SafetensorsOptions& options) {
    detail::write_safetensors_arrays("save_safetensors", path, detail::refs(tensors), options);
}

template <class T>
Safetensors<T> load_safetensors(const std::string& path) {
    Safetensors<T> file;
    file.metadata = detail::read_safetensors_arrays<T>(
        "load_safetensors", path, [](const detail::ArrayInfo&) { return true; },
        [&](const detail::ArrayInfo& info, Array<T>&& value) {
            file.tensors.emplace(info.name, std::move(value));
        });
    return file;
}

#define TG_IO_SAFETENSORS_INSTANTIATE(T)                                                           \
    template std::map<std::string, std::string> detail::read_safetensors_arrays<T>(                \
        const char*, const std::string&, const detail::ArrayFilter&, const detail::ArraySink<T>&); \
    template void detail::write_safetensors_arrays<T>(                                             \
        const char*, const std::string&, const detail::ArrayRefs<T>&, const SafetensorsOptions&);  \
    template Safetensors<T> load_safetensors<T>(const std::string&);                               \
    template void save_safetensors<T>(const std::string&, const NamedArrays<T>&,                   \
                                      const SafetensorsOptions&);
TG_IO_SAFETENSORS_INSTANTIATE(double)
TG_IO_SAFETENSORS_INSTANTIATE(float)
TG_IO_SAFETENSORS_INSTANTIATE(std::int64_t)
TG_IO_SAFETENSORS_INSTANTIATE(std::int32_t)
TG_IO_SAFETENSORS_INSTANTIATE(std::uint8_t)
TG_IO_SAFETENSORS_INSTANTIATE(bool)

}  // namespace tg::io
