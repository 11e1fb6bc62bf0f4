#include "commands.h"
#include "core/error.h"

namespace vlmq::cli {

void add_inspect_command(CLI::App& app, GlobalOptions& global) {
    auto* cmd = app.add_subcommand("inspect", "(not implemented yet)");
    cmd->callback([] { fail("'inspect' is not implemented yet"); });
}

}  // namespace vlmq::cli
