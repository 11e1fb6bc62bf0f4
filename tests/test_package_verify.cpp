// Packages are verified before use (package/package_verify.h): each class of corruption the manifest or the
// shards can carry is rejected with one line naming the package, the file and the tensor; a good package loads.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <fstream>
#include <functional>

#include "arch/fastvlm_arch.h"
#include "core/error.h"
#include "core/fs_util.h"
#include "io/checkpoint.h"
#include "package/hash_cache.h"
#include "package/integrity.h"
#include "package/package_reader.h"
#include "quant/quantizer.h"
#include "test_util.h"

using namespace vlmq;
namespace fs = std::filesystem;

namespace {

// Int4 with odd-length rows in the tower (row fallback), affine int4 in the decoder, int8 and fp16 elsewhere,
// in several shards.
const char* kConfig =
    R"({"vision_encoder":"int4","text_encoder":"int8","fusion_layers":"fp16","decoder":"int4_g32_aff"})";

fs::path write_package(const fs::path& out, uint64_t max_shard_bytes = 48 << 10) {
    ThreadPool pool(2);
    Compute c;
    c.pool = &pool;
    const io::Checkpoint ckpt(test::tiny_model_dir());
    quant::QuantizeOptions o;
    o.progress = false;
    o.max_shard_bytes = max_shard_bytes;
    quant::quantize_checkpoint(ckpt, quant::QuantConfig::parse(json::parse(kConfig), "cfg", arch::fastvlm_arch_table()),
                               out, c, o);
    return out;
}

ordered_json read_manifest(const fs::path& pkg) { return ordered_json::parse(read_text_file(pkg / "manifest.json")); }
void write_manifest(const fs::path& pkg, const ordered_json& m) {
    std::ofstream(pkg / "manifest.json", std::ios::binary | std::ios::trunc) << m.dump(2);
}

// The error of opening `pkg` (with hashes checked as `mode` says); "" when it opens.
std::string open_error(const fs::path& pkg, package::HashCheck mode = package::HashCheck::Full) {
    return test::error_of([&] { package::Package p(pkg, {.hashes = mode, .cache_file = {}}); });
}

void expect_error(const std::string& err, const std::vector<std::string>& needles) {
    ASSERT_FALSE(err.empty()) << "opened without error";
    EXPECT_EQ(err.find('\n'), std::string::npos) << err;
    for (const auto& n : needles) EXPECT_NE(err.find(n), std::string::npos) << "'" << n << "' not in: " << err;
}

// Where a stored tensor's bytes lie in its shard file.
uint64_t file_offset(const fs::path& shard, const std::string& stored) {
    const io::SafetensorsFile f(shard);
    const io::TensorInfo* t = f.find(stored);
    EXPECT_NE(t, nullptr) << stored;
    return f.header_bytes().size() + t->begin;
}

void poke(const fs::path& file, uint64_t offset, std::vector<uint8_t> bytes) {
    std::fstream f(file, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(std::streamoff(offset));
    f.write(reinterpret_cast<const char*>(bytes.data()), std::streamsize(bytes.size()));
}
uint8_t peek(const fs::path& file, uint64_t offset) {
    std::ifstream f(file, std::ios::binary);
    f.seekg(std::streamoff(offset));
    return uint8_t(f.get());
}

// A package shared by the tests (written once); each test corrupts its own copy.
class PackageVerify : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        base_ = new test::TempDir();
        write_package(base_->path() / "good.vlmq");
    }
    static void TearDownTestSuite() { delete base_; }

    void SetUp() override { fresh(); }
    void fresh() {
        pkg_ = tmp_ / "p.vlmq";
        fs::remove_all(pkg_);
        fs::copy(base_->path() / "good.vlmq", pkg_);
        m_ = read_manifest(pkg_);
    }
    // The first tensor (by name) whose manifest entry satisfies pred.
    std::string find_tensor(const std::function<bool(const ordered_json&)>& pred) const {
        for (auto it = m_["tensors"].begin(); it != m_["tensors"].end(); ++it)
            if (pred(*it)) return it.key();
        ADD_FAILURE() << "no such tensor";
        return "";
    }
    std::string int4_tensor() const {
        return find_tensor([](const ordered_json& t) { return t["format"] == "int4_g32_sym"; });
    }
    fs::path shard_of(const std::string& t) const { return pkg_ / m_["tensors"][t]["file"].get<std::string>(); }

    static test::TempDir* base_;
    test::TempDir tmp_;
    fs::path pkg_;
    ordered_json m_;
};
test::TempDir* PackageVerify::base_ = nullptr;

TEST_F(PackageVerify, GoodPackageOpensAndRecordsHashes) {
    ASSERT_GE(m_["files"].size(), 3u);  // several shards, so swaps and per-shard errors are exercised
    EXPECT_EQ(m_["version"], 2);
    const package::Package p(pkg_);
    EXPECT_EQ(p.verified().files, m_["files"].size() + m_["side_files"].size());
    EXPECT_EQ(p.verified().files_hashed, p.verified().files);
    uint64_t bytes = 0;
    for (const auto& f : m_["files"]) {
        bytes += f["bytes"].get<uint64_t>();
        const io::MappedFile whole(pkg_ / f["name"].get<std::string>());
        EXPECT_EQ(f["hash"], package::hash_bytes(whole.bytes()));  // plain XXH3-128 of the file, as xxh128sum
    }
    for (const auto& f : m_["side_files"]) bytes += f["bytes"].get<uint64_t>();
    EXPECT_EQ(p.verified().bytes_hashed, bytes);
    for (const auto& [name, t] : m_["tensors"].items()) EXPECT_EQ(t["hash"].get<std::string>().rfind("xxh3-128:", 0), 0u);
}

TEST_F(PackageVerify, SameInputsGiveByteIdenticalPackages) {
    write_package(tmp_ / "again.vlmq");
    for (const auto& e : fs::directory_iterator(pkg_))
        EXPECT_EQ(read_text_file(e.path()), read_text_file(tmp_ / "again.vlmq" / e.path().filename()))
            << e.path().filename();
}

TEST_F(PackageVerify, ManifestLiesAboutFormat) {
    const std::string t = int4_tensor();
    m_["tensors"][t]["format"] = "int8_g32_sym";  // same stored tensors, twice the code bytes
    write_manifest(pkg_, m_);
    expect_error(open_error(pkg_, package::HashCheck::Skip),
                 {pkg_.string(), "tensor '" + t + "'", "format int8_g32_sym of shape", "is stored as U8"});
    m_["tensors"][t]["format"] = "int4_g32_aff";  // implies biases that are not there
    write_manifest(pkg_, m_);
    expect_error(open_error(pkg_), {"tensor '" + t + "'", "lacks stored tensor '" + t + ".biases'"});
    m_["tensors"][t]["format"] = "keep";
    write_manifest(pkg_, m_);
    expect_error(open_error(pkg_), {"tensor '" + t + "'", "is stored as U8", "format keep"});
}

TEST_F(PackageVerify, ManifestLiesAboutShape) {
    const std::string t = int4_tensor();
    auto shape = m_["tensors"][t]["shape"].get<std::vector<int64_t>>();
    std::swap(shape[0], shape[1]);
    m_["tensors"][t]["shape"] = shape;
    write_manifest(pkg_, m_);
    expect_error(open_error(pkg_, package::HashCheck::Skip), {m_["tensors"][t]["file"].get<std::string>(),
                                                               "tensor '" + t + "'", "is stored as"});
}

TEST_F(PackageVerify, ManifestLiesAboutBytes) {
    const std::string t = int4_tensor();
    const int64_t b = m_["tensors"][t]["bytes"];
    m_["tensors"][t]["bytes"] = b + 1;
    write_manifest(pkg_, m_);
    expect_error(open_error(pkg_, package::HashCheck::Skip),
                 {"tensor '" + t + "'", fmt::format("records {} bytes but its stored tensors hold {}", b + 1, b)});
    // A shard's recorded size is checked as well.
    m_["tensors"][t]["bytes"] = b;
    const uint64_t fb = m_["files"][0]["bytes"];
    m_["files"][0]["bytes"] = fb - 8;
    write_manifest(pkg_, m_);
    expect_error(open_error(pkg_, package::HashCheck::Skip),
                 {m_["files"][0]["name"].get<std::string>(), fmt::format("file is {} bytes but the manifest records {}", fb, fb - 8)});
}

TEST_F(PackageVerify, TruncatedShard) {
    const fs::path shard = pkg_ / m_["files"][1]["name"].get<std::string>();
    const uint64_t size = fs::file_size(shard);
    fs::resize_file(shard, size - 100);
    expect_error(open_error(pkg_, package::HashCheck::Skip),
                 {shard.filename().string(), fmt::format("file is {} bytes but the manifest records {}", size - 100, size),
                  "truncated"});
}

TEST_F(PackageVerify, SwappedShards) {
    const std::string a = m_["files"][0]["name"], b = m_["files"][1]["name"];
    fs::rename(pkg_ / a, tmp_ / "a");
    fs::rename(pkg_ / b, pkg_ / a);
    fs::rename(tmp_ / "a", pkg_ / b);
    expect_error(open_error(pkg_, package::HashCheck::Skip), {a, "manifest records", "swapped"});
    // With the sizes edited to match, the tensor lists still disagree.
    std::swap(m_["files"][0]["bytes"], m_["files"][1]["bytes"]);
    write_manifest(pkg_, m_);
    expect_error(open_error(pkg_, package::HashCheck::Skip), {a, "lacks stored tensor"});
}

TEST_F(PackageVerify, NanAndInfScalesAndBiases) {
    const std::string t = int4_tensor();
    const uint64_t at = file_offset(shard_of(t), t + ".scales");
    const uint64_t groups = m_["tensors"][t]["shape"][1].get<uint64_t>() / 32;
    poke(shard_of(t), at + 2 * groups, {0x00, 0x7e});  // row 1, group 0: quiet NaN
    for (auto mode : {package::HashCheck::Skip, package::HashCheck::Full})
        expect_error(open_error(pkg_, mode), {shard_of(t).filename().string(), "tensor '" + t + "'",
                                              "scale [row 1, group 0] is NaN"});
    poke(shard_of(t), at + 2 * groups, {0x00, 0xfc});  // -inf
    expect_error(open_error(pkg_, package::HashCheck::Skip), {"tensor '" + t + "'", "scale [row 1, group 0] is infinite"});

    fresh();  // an affine tensor's bias
    const std::string aff = find_tensor([](const ordered_json& e) { return e["format"] == "int4_g32_aff"; });
    poke(shard_of(aff), file_offset(shard_of(aff), aff + ".biases") + 2, {0x00, 0x7c});  // row 0, group 1: +inf
    expect_error(open_error(pkg_, package::HashCheck::Skip), {"tensor '" + aff + "'", "bias [row 0, group 1] is infinite"});
}

TEST_F(PackageVerify, FlippedCodeByte) {
    const std::string t = int4_tensor();
    const uint64_t at = file_offset(shard_of(t), t) + 5;
    poke(shard_of(t), at, {uint8_t(peek(shard_of(t), at) ^ 0x10)});
    expect_error(open_error(pkg_), {pkg_.string(), shard_of(t).filename().string(), "tensor '" + t + "'",
                                    "do not match the recorded hash"});
    expect_error(open_error(pkg_, package::HashCheck::Cached), {"tensor '" + t + "'", "recorded hash"});
    EXPECT_EQ(open_error(pkg_, package::HashCheck::Skip), "");  // --no-verify: structure only
}

TEST_F(PackageVerify, TensorInShardNotInManifest) {
    const std::string t = int4_tensor();
    const std::string file = m_["tensors"][t]["file"];
    m_["tensors"].erase(t);
    write_manifest(pkg_, m_);
    expect_error(open_error(pkg_, package::HashCheck::Skip),
                 {pkg_.string(), file, "tensor '" + t + "' is stored in the shard but not listed in the manifest"});
}

TEST_F(PackageVerify, TensorInManifestNotInShard) {
    const std::string t = int4_tensor();
    ordered_json extra = m_["tensors"][t];
    m_["tensors"]["model.extra.weight"] = extra;
    write_manifest(pkg_, m_);
    expect_error(open_error(pkg_, package::HashCheck::Skip),
                 {"tensor 'model.extra.weight'", "lacks stored tensor 'model.extra.weight'"});
}

// Constructed members of the classes above.

TEST_F(PackageVerify, ModifiedSideFile) {
    std::string tok = read_text_file(pkg_ / "tokenizer.json");
    const size_t at = tok.find("\"<|im_end|>\"");
    ASSERT_NE(at, std::string::npos);
    tok[at + 3] = 'X';  // same size: only the hash sees it
    std::ofstream(pkg_ / "tokenizer.json", std::ios::binary | std::ios::trunc) << tok;
    expect_error(open_error(pkg_), {pkg_.string(), "tokenizer.json: content hash", "does not match the recorded"});
    EXPECT_EQ(open_error(pkg_, package::HashCheck::Skip), "");
}

TEST_F(PackageVerify, NonZeroPadBitsOfOddRows) {
    // An int4 row of odd length leaves four unused bits in its last byte, which must stay zero.
    const std::string t = find_tensor([](const ordered_json& e) {
        const std::string f = e["format"];
        return f.rfind("int4_row", 0) == 0 && (e["bytes"].get<int64_t>() > 0) && [&] {
            int64_t cols = 1;
            for (size_t i = 1; i < e["shape"].size(); ++i) cols *= e["shape"][i].get<int64_t>();
            return cols % 2 == 1;
        }();
    });
    int64_t cols = 1;
    for (size_t i = 1; i < m_["tensors"][t]["shape"].size(); ++i) cols *= m_["tensors"][t]["shape"][i].get<int64_t>();
    const uint64_t row_bytes = uint64_t(cols + 1) / 2;
    const uint64_t at = file_offset(shard_of(t), t) + 2 * row_bytes + row_bytes - 1;  // row 2's last byte
    poke(shard_of(t), at, {uint8_t(peek(shard_of(t), at) | 0x80)});
    expect_error(open_error(pkg_, package::HashCheck::Skip),
                 {"tensor '" + t + "'", "row 2: the unused high bits of its last code byte are not zero"});
}

TEST_F(PackageVerify, ShardHeaderChangedKeepingItsSize) {
    const fs::path shard = pkg_ / m_["files"][0]["name"].get<std::string>();
    std::string bytes = read_text_file(shard);
    const size_t at = bytes.find("\"vlmq\"");
    ASSERT_NE(at, std::string::npos);
    bytes[at + 1] = 'V';
    std::ofstream(shard, std::ios::binary | std::ios::trunc) << bytes;
    expect_error(open_error(pkg_), {shard.filename().string(), "every tensor matches its own, so the header differs"});
}

TEST_F(PackageVerify, EditedTensorHashAndUnknownAlgorithm) {
    const std::string t = int4_tensor();
    std::string h = m_["tensors"][t]["hash"];
    h.back() = h.back() == '0' ? '1' : '0';
    m_["tensors"][t]["hash"] = h;
    write_manifest(pkg_, m_);
    expect_error(open_error(pkg_), {"tensor '" + t + "'", "the manifest was edited"});  // `vlmq verify`
    EXPECT_EQ(open_error(pkg_, package::HashCheck::Cached), "");  // shard hashes only: the data is intact
    m_["files"][0]["hash"] = "sha256:00";
    write_manifest(pkg_, m_);
    expect_error(open_error(pkg_, package::HashCheck::Skip),
                 {m_["files"][0]["name"].get<std::string>(), "hash algorithm 'sha256' is not supported"});
}

TEST_F(PackageVerify, ManifestListsAFileTwiceOrOutsideOrOldVersion) {
    ordered_json m = m_;
    m["side_files"].push_back(m["side_files"][0]);
    write_manifest(pkg_, m);
    expect_error(open_error(pkg_, package::HashCheck::Skip), {"file 'config.json' is listed twice"});
    m = m_;
    m["side_files"][0]["name"] = "../config.json";
    write_manifest(pkg_, m);
    expect_error(open_error(pkg_, package::HashCheck::Skip), {"file '../config.json' lies outside the package"});
    m = m_;
    m["version"] = 1;
    write_manifest(pkg_, m);
    expect_error(open_error(pkg_, package::HashCheck::Skip), {"version 1 is not supported", "quantize the model again"});
}

TEST_F(PackageVerify, CachedHashesAreReusedUntilTheFileChanges) {
    const fs::path cache = tmp_ / "cache" / "hashes.json";
    const auto old = fs::file_time_type::clock::now() - std::chrono::hours(1);  // outside the racy window
    for (const auto& e : fs::directory_iterator(pkg_)) fs::last_write_time(e.path(), old);
    const package::VerifyOptions cached{.hashes = package::HashCheck::Cached, .cache_file = cache};
    {
        const package::Package p(pkg_, cached);
        EXPECT_EQ(p.verified().files_hashed, p.verified().files);
        EXPECT_EQ(p.verified().cache_hits, 0u);
    }
    ASSERT_TRUE(fs::exists(cache));
    const package::Package again(pkg_, cached);
    EXPECT_EQ(again.verified().files_hashed, 0u);
    EXPECT_EQ(again.verified().cache_hits, again.verified().files);

    // A flipped byte changes the file's mtime: the cached hash no longer applies and the damage is found.
    const std::string t = int4_tensor();
    const uint64_t at = file_offset(shard_of(t), t);
    poke(shard_of(t), at, {uint8_t(peek(shard_of(t), at) ^ 1)});
    expect_error(test::error_of([&] { package::Package p(pkg_, cached); }), {"tensor '" + t + "'", "recorded hash"});
    // Even with the mtime set back, the ctime (which cannot be set) differs from the cached stamp.
    fs::last_write_time(shard_of(t), old);
    expect_error(test::error_of([&] { package::Package p(pkg_, cached); }), {"tensor '" + t + "'", "recorded hash"});
}

TEST(HashCache, MalformedCacheIsEmptyAndFreshFilesAreNotCached) {
    test::TempDir tmp;
    const fs::path cache = tmp / "hashes.json";
    std::ofstream(cache) << "{not json";
    std::ofstream(tmp / "f") << "data";
    const auto s = package::stamp_of(tmp / "f");
    ASSERT_TRUE(s);
    package::HashCache c(cache);
    EXPECT_FALSE(c.find(*s));
    c.put(*s, "xxh3-128:0", package::wall_clock_ns());  // mtime within the racy window: not kept
    EXPECT_FALSE(c.find(*s));
    c.put(*s, "xxh3-128:1", s->mtime_ns + package::HashCache::kRacyNs);
    EXPECT_EQ(c.find(*s), "xxh3-128:1");
    c.save();
    EXPECT_EQ(package::HashCache(cache).find(*s), "xxh3-128:1");
    package::FileStamp moved = *s;
    moved.inode += 1;
    EXPECT_FALSE(package::HashCache(cache).find(moved));
}

}  // namespace
