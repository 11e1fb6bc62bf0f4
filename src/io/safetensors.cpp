#include "io/safetensors.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <limits>

#include "core/error.h"
#include "core/json_util.h"
#include "core/fs_util.h"
#include "core/shape.h"

namespace vlmq::io {

int64_t TensorInfo::numel() const {
    return vlmq::numel(shape);
}

namespace {

// Returns the byte offset of the first invalid UTF-8 sequence, or -1.
int64_t first_invalid_utf8(std::span<const std::byte> s) {
    size_t i = 0;
    while (i < s.size()) {
        const auto c = uint8_t(s[i]);
        size_t len;
        uint32_t cp;
        if (c < 0x80) {
            ++i;
            continue;
        } else if ((c & 0xe0) == 0xc0) {
            len = 2;
            cp = c & 0x1f;
        } else if ((c & 0xf0) == 0xe0) {
            len = 3;
            cp = c & 0x0f;
        } else if ((c & 0xf8) == 0xf0) {
            len = 4;
            cp = c & 0x07;
        } else {
            return int64_t(i);
        }
        if (i + len > s.size()) return int64_t(i);
        for (size_t k = 1; k < len; ++k) {
            const auto cc = uint8_t(s[i + k]);
            if ((cc & 0xc0) != 0x80) return int64_t(i);
            cp = (cp << 6) | (cc & 0x3f);
        }
        const bool overlong = (len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000);
        if (overlong || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return int64_t(i);
        i += len;
    }
    return -1;
}

uint64_t read_u64_le(std::span<const std::byte> s) {
    uint64_t v = 0;
    for (int i = 7; i >= 0; --i) v = (v << 8) | uint64_t(uint8_t(s[size_t(i)]));
    return v;
}

TensorInfo parse_entry(const std::string& name, const json& e, const std::string& where) {
    const std::string at = fmt::format("{}: tensor '{}'", where, name);
    if (!e.is_object()) fail("{}: header entry must be an object", at);
    for (auto it = e.begin(); it != e.end(); ++it)
        if (it.key() != "dtype" && it.key() != "shape" && it.key() != "data_offsets")
            fail("{}: unknown header field '{}'", at, it.key());
    TensorInfo t;
    t.name = name;
    auto dt = e.find("dtype");
    if (dt == e.end() || !dt->is_string()) fail("{}: missing or non-string 'dtype'", at);
    auto parsed = parse_dtype(dt->get<std::string>());
    if (!parsed) fail("{}: unsupported dtype '{}' (supported: F32 F16 BF16 I64 I32 U8 I8 U32)", at, dt->get<std::string>());
    t.dtype = *parsed;
    auto sh = e.find("shape");
    if (sh == e.end() || !sh->is_array()) fail("{}: missing or non-array 'shape'", at);
    if (sh->size() > 8) fail("{}: shape has {} dimensions (at most 8 supported)", at, sh->size());
    uint64_t numel = 1;
    for (const auto& d : *sh) {
        if (!d.is_number_unsigned()) fail("{}: shape entries must be non-negative integers, got {}", at, d.dump());
        const uint64_t v = d.get<uint64_t>();
        if (v > uint64_t(std::numeric_limits<int64_t>::max()) ||
            (v != 0 && numel > std::numeric_limits<uint64_t>::max() / 16 / v))
            fail("{}: shape {} overflows", at, sh->dump());
        numel *= v;
        t.shape.push_back(int64_t(v));
    }
    auto off = e.find("data_offsets");
    if (off == e.end() || !off->is_array() || off->size() != 2 || !(*off)[0].is_number_unsigned() ||
        !(*off)[1].is_number_unsigned())
        fail("{}: 'data_offsets' must be two non-negative integers", at);
    t.begin = (*off)[0].get<uint64_t>();
    t.end = (*off)[1].get<uint64_t>();
    if (t.end < t.begin) fail("{}: data_offsets [{}, {}] end before begin", at, t.begin, t.end);
    const uint64_t expected = numel * dtype_size(t.dtype);
    if (t.end - t.begin != expected)
        fail("{}: shape {} x {} needs {} bytes but data_offsets span {} bytes", at, sh->dump(),
             dtype_name(t.dtype), expected, t.end - t.begin);
    return t;
}

}  // namespace

SafetensorsHeader parse_safetensors(std::span<const std::byte> file, const std::string& where) {
    if (file.size() < 8)
        fail("{}: file is {} bytes, too short for a safetensors header (incomplete download?)", where, file.size());
    const uint64_t n = read_u64_le(file.first(8));
    if (n == 0) fail("{}: header length is 0", where);
    if (n > kMaxHeaderBytes) fail("{}: header length {} exceeds the {} byte limit", where, n, kMaxHeaderBytes);
    if (n > file.size() - 8)
        fail("{}: header length {} exceeds the file size {} (incomplete download or corrupt file?)", where, n,
             file.size());
    const auto header = file.subspan(8, n);
    if (int64_t bad = first_invalid_utf8(header); bad >= 0)
        fail("{}: header is not valid UTF-8 (at header byte {})", where, bad);

    // Duplicate keys are rejected: plain parsing would silently keep the last one.
    const json j = parse_json(std::string_view(reinterpret_cast<const char*>(header.data()), n), where + ": header",
                              {.reject_duplicate_keys = true});
    if (!j.is_object()) fail("{}: header must be a JSON object", where);
    if (const size_t count = j.size() - j.count("__metadata__"); count > kMaxHeaderTensors)
        fail("{}: header lists {} tensors, more than the {} limit", where, count, kMaxHeaderTensors);

    SafetensorsHeader h;
    h.data_offset = 8 + n;
    const uint64_t data_size = file.size() - h.data_offset;
    for (auto it = j.begin(); it != j.end(); ++it) {
        if (it.key() == "__metadata__") {
            if (!it->is_object()) fail("{}: __metadata__ must be an object of strings", where);
            for (auto m = it->begin(); m != it->end(); ++m) {
                if (!m->is_string()) fail("{}: __metadata__ value for '{}' must be a string", where, m.key());
                h.metadata[m.key()] = m->get<std::string>();
            }
            continue;
        }
        h.tensors.push_back(parse_entry(it.key(), *it, where));
    }
    std::sort(h.tensors.begin(), h.tensors.end(), [](const TensorInfo& a, const TensorInfo& b) {
        return a.begin != b.begin ? a.begin < b.begin : a.end < b.end;
    });
    uint64_t cursor = 0;
    for (const auto& t : h.tensors) {
        if (t.end > data_size)
            fail("{}: tensor '{}' data_offsets [{}, {}] lie outside the {}-byte data section (truncated file?)",
                 where, t.name, t.begin, t.end, data_size);
        if (t.begin < cursor) fail("{}: tensor '{}' overlaps the previous tensor (offset {} < {})", where, t.name, t.begin, cursor);
        if (t.begin > cursor) fail("{}: gap of {} unused bytes before tensor '{}'", where, t.begin - cursor, t.name);
        cursor = t.end;
    }
    if (cursor != data_size)
        fail("{}: {} trailing bytes after the last tensor (data section {} bytes, tensors cover {})", where,
             data_size - cursor, data_size, cursor);
    return h;
}

SafetensorsFile::SafetensorsFile(const std::filesystem::path& path) : file_(path) {
    header_ = parse_safetensors(file_.bytes(), path.string());
    for (size_t i = 0; i < header_.tensors.size(); ++i) index_[header_.tensors[i].name] = i;
}

const TensorInfo* SafetensorsFile::find(const std::string& name) const {
    auto it = index_.find(name);
    return it == index_.end() ? nullptr : &header_.tensors[it->second];
}

std::span<const std::byte> SafetensorsFile::data(const TensorInfo& t) const {
    return file_.bytes().subspan(header_.data_offset + t.begin, t.nbytes());
}

// ---------------------------------------------------------------------------------------------
// Writer

SafetensorsWriter::SafetensorsWriter(std::filesystem::path path, std::vector<TensorDecl> decls,
                                     std::map<std::string, std::string> metadata)
    : path_(std::move(path)) {
    // Larger elements first, then by name: every tensor starts aligned to its element size.
    std::sort(decls.begin(), decls.end(), [](const TensorDecl& a, const TensorDecl& b) {
        const size_t sa = dtype_size(a.dtype), sb = dtype_size(b.dtype);
        return sa != sb ? sa > sb : a.name < b.name;
    });
    json header = json::object();
    uint64_t offset = 0;
    for (auto& d : decls) {
        if (d.name == "__metadata__" || d.name.empty()) fail("{}: invalid tensor name '{}'", path_.string(), d.name);
        auto [it, inserted] = slots_.try_emplace(d.name);
        if (!inserted) fail("{}: duplicate tensor '{}'", path_.string(), d.name);
        TensorInfo& t = it->second.info;
        t.name = d.name;
        t.dtype = d.dtype;
        t.shape = d.shape;
        t.begin = offset;
        t.end = offset + uint64_t(t.numel()) * dtype_size(d.dtype);
        offset = t.end;
        header[d.name] = {{"dtype", std::string(dtype_name(d.dtype))}, {"shape", d.shape},
                          {"data_offsets", {t.begin, t.end}}};
    }
    if (!metadata.empty()) header["__metadata__"] = metadata;
    std::string text = header.dump();
    while ((text.size() + 8) % 8 != 0) text.push_back(' ');
    data_offset_ = 8 + text.size();
    data_size_ = offset;

    TempFile tmp = create_temp_file(path_, 0644);
    fd_ = tmp.fd;
    tmp_path_ = tmp.path;
    std::string prefix(8, '\0');
    const uint64_t n = text.size();
    for (int i = 0; i < 8; ++i) prefix[size_t(i)] = char((n >> (8 * i)) & 0xff);
    prefix += text;
    if (::pwrite(fd_, prefix.data(), prefix.size(), 0) != ssize_t(prefix.size()))
        fail("{}: write failed: {}", tmp_path_.string(), std::strerror(errno));
    if (data_size_ > 0 && ::ftruncate(fd_, off_t(data_offset_ + data_size_)) != 0)
        fail("{}: cannot size file: {}", tmp_path_.string(), std::strerror(errno));
}

SafetensorsWriter::~SafetensorsWriter() {
    if (fd_ >= 0) ::close(fd_);
    if (!finished_) {
        std::error_code ec;
        std::filesystem::remove(tmp_path_, ec);
    }
}

SafetensorsWriter::Slot& SafetensorsWriter::slot(const std::string& name) {
    auto it = slots_.find(name);
    if (it == slots_.end()) fail("{}: tensor '{}' was not declared", path_.string(), name);
    return it->second;
}

uint64_t SafetensorsWriter::tensor_bytes(const std::string& name) const {
    auto it = slots_.find(name);
    return it == slots_.end() ? 0 : it->second.info.nbytes();
}

void SafetensorsWriter::write(const std::string& name, std::span<const std::byte> bytes) {
    Slot& s = slot(name);
    if (bytes.size() != s.info.nbytes())
        fail("{}: tensor '{}' expects {} bytes, got {}", path_.string(), name, s.info.nbytes(), bytes.size());
    write_chunk(name, 0, bytes);
}

void SafetensorsWriter::write_chunk(const std::string& name, uint64_t offset, std::span<const std::byte> bytes) {
    Slot& s = slot(name);
    if (offset + bytes.size() > s.info.nbytes())
        fail("{}: write past the end of tensor '{}'", path_.string(), name);
    uint64_t done = 0;
    while (done < bytes.size()) {
        const ssize_t w = ::pwrite(fd_, bytes.data() + done, bytes.size() - done,
                                   off_t(data_offset_ + s.info.begin + offset + done));
        if (w <= 0) fail("{}: write failed (disk full?): {}", tmp_path_.string(), std::strerror(errno));
        done += uint64_t(w);
    }
    s.written += bytes.size();
}

void SafetensorsWriter::finish() {
    for (const auto& [name, s] : slots_)
        if (s.written.load() != s.info.nbytes())
            fail("{}: tensor '{}' received {} of {} bytes", path_.string(), name, s.written.load(), s.info.nbytes());
    if (::close(fd_) != 0) {
        fd_ = -1;
        fail("{}: close failed: {}", tmp_path_.string(), std::strerror(errno));
    }
    fd_ = -1;
    std::error_code ec;
    std::filesystem::rename(tmp_path_, path_, ec);
    if (ec) fail("{}: cannot rename into place: {}", path_.string(), ec.message());
    finished_ = true;
}

void write_safetensors(const std::filesystem::path& path, const std::vector<OwnedTensor>& tensors,
                       const std::map<std::string, std::string>& metadata) {
    std::vector<TensorDecl> decls;
    for (const auto& t : tensors) decls.push_back(t.decl);
    SafetensorsWriter w(path, decls, metadata);
    for (const auto& t : tensors) w.write(t.decl.name, t.bytes);
    w.finish();
}

}  // namespace vlmq::io
