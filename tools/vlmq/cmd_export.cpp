#include "commands.h"
#include "core/error.h"

namespace vlmq::cli {

void add_export_command(CLI::App& app, GlobalOptions& global) {
    auto* cmd = app.add_subcommand("export", "(not implemented yet)");
    cmd->callback([] { fail("'export' is not implemented yet"); });
}

}  // namespace vlmq::cli
