#include "commands.h"
#include "core/error.h"

namespace vlmq::cli {

void add_forward_command(CLI::App& app, GlobalOptions& global) {
    auto* cmd = app.add_subcommand("forward", "(not implemented yet)");
    cmd->callback([] { fail("'forward' is not implemented yet"); });
}

}  // namespace vlmq::cli
