#include "commands.h"
#include "core/error.h"

namespace vlmq::cli {

void add_eval_command(CLI::App& app, GlobalOptions& global) {
    auto* cmd = app.add_subcommand("eval", "(not implemented yet)");
    cmd->callback([] { fail("'eval' is not implemented yet"); });
}

}  // namespace vlmq::cli
