#pragma once
// Reads a .vlmq package (manifest.json + safetensors shards) as a WeightSource.
#include <filesystem>
#include <memory>

#include "model/weights.h"

namespace vlmq::package {

std::unique_ptr<model::WeightSource> open_package_weights(const std::filesystem::path& dir);

}  // namespace vlmq::package
