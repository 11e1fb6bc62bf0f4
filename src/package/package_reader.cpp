#include "package/package_reader.h"

#include "core/error.h"

namespace vlmq::package {

std::unique_ptr<model::WeightSource> open_package_weights(const std::filesystem::path& dir) {
    fail("{}: reading packages is not implemented yet", dir.string());
}

}  // namespace vlmq::package
