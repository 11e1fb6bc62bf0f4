#include "qformat/format_traits.h"

namespace vlmq::qformat {

static_assert([] {
    for (size_t i = 0; i < kEncodingTraits.size(); ++i)
        if (static_cast<size_t>(kEncodingTraits[i].encoding) != i) return false;
    return true;
}(), "kEncodingTraits rows must be in Encoding order");

std::optional<Format> float_format_of(DType t) {
    for (const EncodingTraits& e : kEncodingTraits)
        if (e.float_format && e.element_dtype == t) return e.float_format();
    return std::nullopt;
}

std::vector<StoredTensor> stored_tensors(const Format& f, int64_t rows, int64_t cols, const std::vector<int64_t>& shape) {
    using Part = StoredTensor::Part;
    if (traits_of(f).storage == Storage::Elements) return {{Part::Elements, stored_dtype(f), shape}};
    const Layout l = layout_of(f, rows, cols);
    std::vector<StoredTensor> out{{Part::Elements, stored_dtype(f), {rows, l.row_bytes}},
                                  {Part::Scales, DType::F16, {rows, l.groups_per_row}}};
    if (!f.symmetric) out.push_back({Part::Biases, DType::F16, {rows, l.groups_per_row}});
    return out;
}

}  // namespace vlmq::qformat
