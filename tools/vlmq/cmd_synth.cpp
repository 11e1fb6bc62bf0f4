#include "commands.h"
#include "core/error.h"

namespace vlmq::cli {

void add_synth_command(CLI::App& app, GlobalOptions& global) {
    auto* cmd = app.add_subcommand("synth", "(not implemented yet)");
    cmd->callback([] { fail("'synth' is not implemented yet"); });
}

}  // namespace vlmq::cli
