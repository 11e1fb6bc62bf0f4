#include "commands.h"
#include "core/error.h"

namespace vlmq::cli {

void add_score_command(CLI::App& app, GlobalOptions& global) {
    auto* cmd = app.add_subcommand("score", "(not implemented yet)");
    cmd->callback([] { fail("'score' is not implemented yet"); });
}

}  // namespace vlmq::cli
