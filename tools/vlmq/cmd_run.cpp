#include "commands.h"
#include "core/error.h"

namespace vlmq::cli {

void add_run_command(CLI::App& app, GlobalOptions& global) {
    auto* cmd = app.add_subcommand("run", "(not implemented yet)");
    cmd->callback([] { fail("'run' is not implemented yet"); });
}

}  // namespace vlmq::cli
