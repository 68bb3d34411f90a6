// Named arrays of any dtype in .npz archives: tg::io::load_npz / save_npz and the
// filtered reader behind them and tg::nn::load_state_dict. The archive and the .npy
// entries are read by npz.cpp and npy.cpp; this file maps dtypes and converts.

#include <tapegrad/io/npz.hpp>

#include <tapegrad/error.hpp>
#include <tapegrad/io/detail/arrays.hpp>
#include <tapegrad/io/detail/convert.hpp>
#include <tapegrad/io/detail/npy.hpp>
#include <tapegrad/io/detail/npz.hpp>

#include <cstring>
#include <optional>
#include <type_traits>

namespace tg::io {
namespace detail {
namespace {

/// The dtype of a .npy descr, when tapegrad reads it: '<' or '>' and f8, f4, f2, i8, i4;
/// '|', '<' or '>' and u1, b1.
std::optional<DType> npy_dtype(const std::string& descr) {
    if (descr.size() != 3) return std::nullopt;
    const std::string kind = descr.substr(1);
    const bool one_byte = kind == "u1" || kind == "b1";
    if (descr[0] != '<' && descr[0] != '>' && !(one_byte && descr[0] == '|')) return std::nullopt;
    if (kind == "f8") return DType::float64;
    if (kind == "f4") return DType::float32;
    if (kind == "f2") return DType::float16;
    if (kind == "i8") return DType::int64;
    if (kind == "i4") return DType::int32;
    if (kind == "u1") return DType::uint8;
    if (kind == "b1") return DType::boolean;
    return std::nullopt;
}

/// decode_npy_data (byte order, Fortran order) on `count` elements of `dtype` at `data`.
void decode_as(DType dtype, const NpyHeader& header, void* data) {
    switch (dtype) {
        case DType::float64: decode_npy_data(header, static_cast<double*>(data)); break;
        case DType::float32: decode_npy_data(header, static_cast<float*>(data)); break;
        case DType::float16:
        case DType::bfloat16: decode_npy_data(header, static_cast<std::uint16_t*>(data)); break;
        case DType::int64: decode_npy_data(header, static_cast<std::int64_t*>(data)); break;
        case DType::int32: decode_npy_data(header, static_cast<std::int32_t*>(data)); break;
        case DType::uint8:
        case DType::boolean: decode_npy_data(header, static_cast<std::uint8_t*>(data)); break;
    }
}

}  // namespace

template <class T>
void read_npz_arrays(const char* what, const std::string& path, const ArrayFilter& want,
                     const ArraySink<T>& take) {
    const NpzReader archive(what, path);
    for (std::size_t i = 0; i < archive.size(); ++i) {
        const std::optional<std::string> entry = archive.name(i);
        if (!entry) fail(what, path, "entry #" + std::to_string(i) + " has no readable name");
        const std::size_t suffix = std::strlen(kEntrySuffix);
        if (entry->size() <= suffix ||
            entry->compare(entry->size() - suffix, suffix, kEntrySuffix) != 0)
            fail(what, path,
                 "entry " + detail::quoted(*entry) +
                     " is not an array: numpy.savez names each entry NAME.npy (an archive of "
                     "other files is not a .npz)");
        ArrayInfo info{entry->substr(0, entry->size() - suffix), DType::float64, {}};

        // The data go straight into the result when they are T already; else into a
        // buffer of their own dtype, converted after.
        Array<T> value;
        std::vector<std::uint64_t> raw;  // 8-byte aligned for every dtype
        bool direct = false, wanted = false;
        const auto check = [&](const NpyHeader& header) -> std::optional<std::size_t> {
            const std::optional<DType> dtype = npy_dtype(header.descr);
            if (!dtype)
                throw NpyFormatError{"holds dtype " + dtype_name(header.descr) +
                                     ", which tapegrad does not read (float64, float32, "
                                     "float16, int64, int32, uint8, bool)"};
            info.dtype = *dtype;
            info.shape = header.shape;
            wanted = want(info);
            if (!wanted) return std::nullopt;
            direct = *dtype == dtype_of<T>() && !std::is_same_v<T, bool>;
            return header.count() * dtype_size(*dtype);
        };
        const auto destination = [&]() -> char* {
            if (direct) {
                value = Array<T>(Shape(info.shape));
                return reinterpret_cast<char*>(value.data());
            }
            std::size_t count = 1;
            for (std::size_t n : info.shape) count *= n;
            raw.resize((count * dtype_size(info.dtype) + 7) / 8);
            return reinterpret_cast<char*>(raw.data());
        };
        NpyHeader header;
        try {
            header = archive.read_entry(i, check, destination);
        } catch (const NpyFormatError& e) {
            fail(what, path, "entry " + detail::quoted(*entry) + " " + e.problem);
        }
        if (!wanted) continue;
        if (direct) {
            decode_npy_data(header, value.data());
        } else {
            decode_as(info.dtype, header, raw.data());
            value = Array<T>(Shape(info.shape));
            try {
                convert_from(info.dtype, raw.data(), header.count(), value.data());
            } catch (const ConversionError& e) {
                fail(what, path, "array " + detail::quoted(info.name) + " " + e.problem);
            }
            raw = {};
        }
        take(info, std::move(value));
    }
}

template <class T>
void write_npz_arrays(const char* what, const std::string& path, const ArrayRefs<T>& arrays) {
    std::vector<std::pair<std::string, std::string>> entries;
    for (const auto& [name, array] : arrays) {
        if (name.empty())
            throw ValueError(std::string(what) + ": " + detail::quoted(path) +
                             ": the array name '' is empty; a .npz entry needs a name");
        if (const std::size_t nul = name.find('\0'); nul != std::string::npos)
            throw ValueError(std::string(what) + ": " + detail::quoted(path) + ": the array name " +
                             detail::quoted(name.substr(0, nul) + "\\x00" + name.substr(nul + 1)) +
                             " holds a NUL byte, which a .npz entry's name cannot");
        entries.emplace_back(name, encode_npy<T>(Shape(array->shape()), array->data()));
    }
    write_npz(what, path, entries);
}

}  // namespace detail

template <class T>
NamedArrays<T> load_npz(const std::string& path) {
    NamedArrays<T> arrays;
    detail::read_npz_arrays<T>(
        "load_npz", path, [](const detail::ArrayInfo&) { return true; },
        [&](const detail::ArrayInfo& info, Array<T>&& value) {
            arrays.emplace(info.name, std::move(value));
        });
    return arrays;
}

template <class T>
void save_npz(const std::string& path, const NamedArrays<T>& arrays) {
    detail::write_npz_arrays("save_npz", path, detail::refs(arrays));
}

#define TG_IO_NPZ_INSTANTIATE(T)                                                                   \
    template void detail::read_npz_arrays<T>(                                                      \
        const char*, const std::string&, const detail::ArrayFilter&, const detail::ArraySink<T>&); \
    template void detail::write_npz_arrays<T>(const char*, const std::string&,                     \
                                              const detail::ArrayRefs<T>&);                        \
    template NamedArrays<T> load_npz<T>(const std::string&);                                       \
    template void save_npz<T>(const std::string&, const NamedArrays<T>&);
TG_IO_NPZ_INSTANTIATE(double)
TG_IO_NPZ_INSTANTIATE(float)
TG_IO_NPZ_INSTANTIATE(std::int64_t)
TG_IO_NPZ_INSTANTIATE(std::int32_t)
TG_IO_NPZ_INSTANTIATE(std::uint8_t)
TG_IO_NPZ_INSTANTIATE(bool)

}  // namespace tg::io
