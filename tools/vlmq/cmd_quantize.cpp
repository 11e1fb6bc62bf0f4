#include "commands.h"
#include "core/error.h"

namespace vlmq::cli {

void add_quantize_command(CLI::App& app, GlobalOptions& global) {
    auto* cmd = app.add_subcommand("quantize", "(not implemented yet)");
    cmd->callback([] { fail("'quantize' is not implemented yet"); });
}

}  // namespace vlmq::cli
