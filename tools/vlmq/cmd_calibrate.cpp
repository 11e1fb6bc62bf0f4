#include "commands.h"
#include "core/error.h"

namespace vlmq::cli {

void add_calibrate_command(CLI::App& app, GlobalOptions& global) {
    auto* cmd = app.add_subcommand("calibrate", "(not implemented yet)");
    cmd->callback([] { fail("'calibrate' is not implemented yet"); });
}

}  // namespace vlmq::cli
