// Writes the seed corpora of the fuzz targets from the bundled test data (nothing is committed):
//   vlmq_fuzz_seeds TESTS_DATA REPO_CONFIGS OUT   ->   OUT/<target>/<seed>
// Seeds stay small (a few KB to a few hundred KB) so that libFuzzer's -max_len can cover them whole.
#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "core/error.h"
#include "core/fs_util.h"
#include "core/json_util.h"
#include "core/thread_pool.h"
#include "arch/fastvlm_arch.h"
#include "export/coreml/export.h"
#include "fuzz_util.h"
#include "io/checkpoint.h"
#include "io/safetensors.h"
#include "quant/quant_config.h"
#include "quant/quantizer.h"

#pragma clang diagnostic push
#pragma clang diagnostic ignored "-Wmissing-field-initializers"
#define STB_IMAGE_WRITE_IMPLEMENTATION
#include <stb_image_write.h>
#pragma clang diagnostic pop

namespace vlmq::fuzz {
namespace {

namespace fs = std::filesystem;

struct Seeds {
    fs::path out;
    void put(const std::string& target, const std::string& name, const std::string& bytes) const {
        fs::create_directories(out / target);
        std::ofstream(out / target / name, std::ios::binary) << bytes;
    }
};

std::string first_lines(const fs::path& file, int n) {
    std::istringstream in(read_text_file(file));
    std::string line, out;
    for (int i = 0; i < n && std::getline(in, line); ++i) out += line + "\n";
    return out;
}

// A JSON document with each top-level array cut to its first n elements.
std::string first_entries(const fs::path& file, size_t n) {
    json j = read_json_file(file);
    for (auto& [k, v] : j.items())
        if (v.is_array() && v.size() > n) v.erase(v.begin() + std::ptrdiff_t(n), v.end());
    return j.dump(1);
}

// Up to `count` of a file's smallest tensors, with their bytes, as a new file.
std::string small_safetensors(const fs::path& file, size_t count, const fs::path& scratch) {
    const io::SafetensorsFile f(file);
    std::vector<const io::TensorInfo*> by_size;
    for (const auto& t : f.tensors()) by_size.push_back(&t);
    std::stable_sort(by_size.begin(), by_size.end(),
                     [](auto* a, auto* b) { return a->nbytes() < b->nbytes(); });
    std::vector<io::OwnedTensor> ts;
    for (size_t i = 0; i < by_size.size() && i < count && by_size[i]->nbytes() <= 4096; ++i) {
        const auto d = f.data(*by_size[i]);
        ts.push_back({{by_size[i]->name, by_size[i]->dtype, by_size[i]->shape}, {d.begin(), d.end()}});
    }
    const fs::path p = scratch / "small.safetensors";
    io::write_safetensors(p, ts, f.metadata());
    return read_text_file(p);
}

void safetensors_seeds(const Seeds& s, const fs::path& data, const fs::path& scratch) {
    int k = 0;
    for (const char* m : {"tiny-fastvlm-a", "shapes-fastvlm"}) {
        s.put("safetensors", fmt::format("model{}", k++), small_safetensors(data / m / "model" / "model.safetensors", 12, scratch));
    }
    // Every dtype, a scalar, an empty tensor and metadata.
    std::vector<io::OwnedTensor> ts;
    int i = 0;
    for (DType dt : {DType::F32, DType::F16, DType::BF16, DType::I64, DType::I32, DType::U8}) {
        const std::vector<int64_t> shape = i % 3 == 0 ? std::vector<int64_t>{} : std::vector<int64_t>{2, i};
        io::OwnedTensor t{{fmt::format("t{}", i), dt, shape}, {}};
        t.bytes.resize(size_t(numel(shape)) * dtype_size(dt), std::byte(i));
        ts.push_back(t);
        ++i;
    }
    ts.push_back({{"empty", DType::F32, {0, 4}}, {}});
    io::write_safetensors(scratch / "dtypes.safetensors", ts, {{"format", "pt"}, {"k", "v"}});
    s.put("safetensors", "dtypes", read_text_file(scratch / "dtypes.safetensors"));
}

void json_seeds(const Seeds& s, const fs::path& data, const fs::path& configs) {
    for (const char* m : {"tiny-fastvlm-a", "shapes-fastvlm"}) {
        const fs::path model = data / m / "model";
        const std::string config = read_text_file(model / "config.json");
        s.put("model_config", m, config);
        json j = json::parse(config);
        j.erase("vision_tower_config");  // FastViTHD named by mm_vision_tower only
        s.put("model_config", std::string(m) + "-named-tower", j.dump());

        const fs::path golden = data / m / "golden" / "tokenizer_cases.jsonl";
        std::string text = "What is in the image?\n<|im_end|> caf\xc3\xa9 123";
        if (fs::exists(golden)) text = json::parse(first_lines(golden, 1)).at("text").get<std::string>();
        s.put("tokenizer", m, join_parts({read_text_file(model / "tokenizer.json"), text}));

        for (const char* split : {"calib", "val"}) {
            const fs::path d = data / m / "data" / split;
            const std::string name = std::string(m) + "-" + split;
            s.put("dataset_llava", name, join_parts({first_lines(d / "questions.jsonl", 8), first_lines(d / "answers.jsonl", 8)}));
            if (fs::exists(d / "vqa_questions.json"))
                s.put("dataset_vqav2", name,
                      join_parts({first_entries(d / "vqa_questions.json", 6), first_entries(d / "vqa_annotations.json", 6)}));
        }
        for (const auto& e : fs::directory_iterator(data / m / "golden"))
            if (e.path().extension() == ".png") s.put("image", std::string(m) + "-" + e.path().stem().string(), read_text_file(e.path()));
    }
    const fs::path vqa = data / "vqa";
    s.put("dataset_llava", "mixed", join_parts({"", read_text_file(vqa / "mixed_answers.jsonl")}));
    s.put("dataset_vqav2", "mixed",
          join_parts({read_text_file(vqa / "mixed_questions.json"), read_text_file(vqa / "mixed_annotations.json")}));
    std::vector<std::string> coco;
    for (const char* f : {"questions.txt", "answers.txt", "img_ids.txt", "types.txt"})
        coco.push_back(read_text_file(vqa / "cocoqa" / f));
    s.put("dataset_cocoqa", "cocoqa", join_parts(coco));
    s.put("dataset_cocoqa", "unlabeled", join_parts({coco[0], "", coco[2], ""}));

    for (const auto& e : fs::directory_iterator(configs))
        if (e.path().extension() == ".json") s.put("quant_config", e.path().stem().string(), read_text_file(e.path()));
    for (const char* f : {"algorithms.json", "fallback.json"})
        s.put("quant_config", fs::path(f).stem().string(), read_text_file(data / "output-hashes" / f));
}

void image_seeds(const Seeds& s) {
    // Small images in every container stb_image_write writes: grey, grey+alpha, RGB, RGBA.
    auto sink = [](void* ctx, void* bytes, int n) { static_cast<std::string*>(ctx)->append(static_cast<char*>(bytes), size_t(n)); };
    for (int comp = 1; comp <= 4; ++comp) {
        const int w = 5 + comp, h = 3 + 2 * comp;
        std::vector<uint8_t> px(size_t(w * h * comp));
        for (size_t i = 0; i < px.size(); ++i) px[i] = uint8_t(i * 37 + comp);
        std::string png, bmp, tga, jpg;
        stbi_write_png_to_func(sink, &png, w, h, comp, px.data(), w * comp);
        stbi_write_bmp_to_func(sink, &bmp, w, h, comp, px.data());
        stbi_write_tga_to_func(sink, &tga, w, h, comp, px.data());
        stbi_write_jpg_to_func(sink, &jpg, w, h, comp, px.data(), 80);
        s.put("image", fmt::format("c{}.png", comp), png);
        s.put("image", fmt::format("c{}.bmp", comp), bmp);
        s.put("image", fmt::format("c{}.tga", comp), tga);
        s.put("image", fmt::format("c{}.jpg", comp), jpg);
    }
}

// A package cut down to `count` small tensors in one shard (manifest NUL config NUL shard).
std::string small_package(const fs::path& pkg, size_t count, const fs::path& scratch) {
    json manifest = read_json_file(pkg / "manifest.json");
    std::map<std::string, std::unique_ptr<io::SafetensorsFile>> shards;
    for (const auto& f : manifest.at("files")) shards[f] = std::make_unique<io::SafetensorsFile>(pkg / f.get<std::string>());
    std::vector<std::pair<int64_t, std::string>> by_size;
    for (const auto& [name, t] : manifest.at("tensors").items()) by_size.emplace_back(t.at("bytes").get<int64_t>(), name);
    std::sort(by_size.begin(), by_size.end());
    // One tensor of each format first, then the smallest others.
    std::vector<std::string> keep;
    std::set<std::string> formats;
    for (const auto& [bytes, name] : by_size)
        if (formats.insert(manifest["tensors"][name].at("format").get<std::string>()).second && bytes <= 16384) keep.push_back(name);
    for (const auto& [bytes, name] : by_size)
        if (keep.size() < count && std::find(keep.begin(), keep.end(), name) == keep.end()) keep.push_back(name);
    json tensors = json::object();
    std::vector<io::OwnedTensor> stored;
    for (const auto& name : keep) {
        json t = manifest["tensors"][name];
        const io::SafetensorsFile& f = *shards.at(t.at("file").get<std::string>());
        for (const std::string& part : {name, name + ".scales", name + ".biases"}) {
            const io::TensorInfo* info = f.find(part);
            if (!info) continue;
            const auto d = f.data(*info);
            stored.push_back({{info->name, info->dtype, info->shape}, {d.begin(), d.end()}});
        }
        t["file"] = "model.safetensors";
        tensors[name] = t;
    }
    manifest["tensors"] = tensors;
    manifest["files"] = json::array({"model.safetensors"});
    io::write_safetensors(scratch / "shard.safetensors", stored, {{"format", "pt"}});
    return join_parts({manifest.dump(1), read_text_file(pkg / "config.json"), read_text_file(scratch / "shard.safetensors")});
}

void package_seeds(const Seeds& s, const fs::path& data, const fs::path& scratch) {
    ThreadPool pool(2);
    Compute c;
    c.pool = &pool;
    quant::QuantizeOptions o;
    o.progress = false;
    const fs::path model = data / "shapes-fastvlm" / "model";
    const std::pair<const char*, const char*> mixes[] = {
        {"adr", R"({"vision_encoder":"int4","text_encoder":"int8","fusion_layers":"fp16","decoder":"int4"})"},
        {"affine", R"({"vision_encoder":"int4_g64_aff","text_encoder":"bf16","fusion_layers":"int8_row_sym","decoder":"int3_g32_aff"})"},
    };
    for (const auto& [name, config] : mixes) {
        const fs::path pkg = scratch / (std::string(name) + ".vlmq");
        quant::quantize_checkpoint(io::Checkpoint(model),
                                   quant::QuantConfig::parse(json::parse(config), name, arch::fastvlm_arch_table()), pkg, c, o);
        s.put("manifest", name, small_package(pkg, 12, scratch));
        if (std::string(name) == "adr") {
            exporters::coreml::ExportOptions e;
            e.model = pkg;
            e.out = scratch / "adr.mlpackage";
            exporters::coreml::export_coreml(e);
            s.put("coreml", "shapes-adr", read_text_file(e.out / "Data" / "com.apple.CoreML" / "model.mlmodel"));
        }
    }
}

}  // namespace
}  // namespace vlmq::fuzz

int main(int argc, char** argv) {
    using namespace vlmq::fuzz;
    if (argc != 4) {
        fmt::print(stderr, "usage: vlmq_fuzz_seeds TESTS_DATA CONFIGS OUT\n");
        return 2;
    }
    try {
        const fs::path data = argv[1], configs = argv[2];
        const Seeds s{argv[3]};
        const fs::path scratch = Scratch::get().dir();
        safetensors_seeds(s, data, scratch);
        json_seeds(s, data, configs);
        image_seeds(s);
        package_seeds(s, data, scratch);
    } catch (const std::exception& e) {
        fmt::print(stderr, "vlmq_fuzz_seeds: {}\n", e.what());
        return 1;
    }
    return 0;
}
