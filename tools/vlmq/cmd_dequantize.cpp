#include "commands.h"
#include "core/error.h"

namespace vlmq::cli {

void add_dequantize_command(CLI::App& app, GlobalOptions& global) {
    auto* cmd = app.add_subcommand("dequantize", "(not implemented yet)");
    cmd->callback([] { fail("'dequantize' is not implemented yet"); });
}

}  // namespace vlmq::cli
