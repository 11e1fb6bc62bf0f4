#pragma once
// "Checkpoint or package?", decided in one place for every consumer (engine, inspect, dequantize, exporters):
// a directory with a package manifest is a .vlmq package, any other directory a Hugging Face checkpoint.
// open_source lists its tensors the same way for both, and gives views of their bytes.
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/dtype.h"
#include "core/json_util.h"
#include "io/checkpoint.h"
#include "package/package_reader.h"
#include "package/weights.h"
#include "qformat/format.h"

namespace vlmq::package {

enum class SourceKind { Checkpoint, Package };

// Fails naming the path when it is not a directory.
SourceKind source_kind(const std::filesystem::path& path);
std::string source_kind_name(SourceKind k);  // "checkpoint" | "vlmq-package"

struct SourceTensor {
    std::string name, component;
    std::vector<int64_t> shape;
    DType source_dtype = DType::F32;  // as in the original checkpoint
    bool keep = true;                 // stored as in the source (always, for a checkpoint)
    qformat::Format format;           // current storage format (the source dtype's when keep)
    int64_t bytes = 0;                // stored bytes
    double rel_error = 0.0;           // quantization error recorded in the manifest (0 when keep)
};

struct Source {
    SourceKind kind = SourceKind::Checkpoint;
    std::filesystem::path dir;
    json config;
    std::string architecture;             // the architecture table's name
    std::vector<std::string> components;  // its component names, in report order
    std::vector<SourceTensor> tensors;    // sorted by name
    std::unique_ptr<WeightSource> weights;

    std::shared_ptr<const io::Checkpoint> checkpoint;  // kind Checkpoint
    std::shared_ptr<const Package> package;            // kind Package

    // Stored bytes of a "keep" tensor (e.g. an I64 counter, which has no weight view).
    std::span<const std::byte> raw(const std::string& name) const;
};

// A package is verified first as `verify` says (package_verify.h).
Source open_source(const std::filesystem::path& path, const VerifyOptions& verify = {});

}  // namespace vlmq::package
