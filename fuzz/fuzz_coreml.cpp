// The Core ML model reader (decode_model: the protobuf bytes of Data/com.apple.CoreML/model.mlmodel, as
// MlPackage reads them). Whatever decodes must re-encode to bytes that decode to the same model.
#include <cstdlib>

#include "export/coreml/mil_proto.h"
#include "fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace vlmq::exporters::coreml;
    vlmq::fuzz::run_input([&] {
        const ModelSpec m = decode_model(vlmq::fuzz::as_text(data, size), "fuzz.mlmodel");
        const std::string once = encode_model(m);
        if (encode_model(decode_model(once, "re-encoded")) != once) std::abort();
    });
    return 0;
}
