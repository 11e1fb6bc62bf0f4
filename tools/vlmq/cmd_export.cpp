#include "export_commands.h"

namespace vlmq::cli {

void add_export_command(CLI::App& app, GlobalOptions& global) {
    auto* cmd = app.add_subcommand("export", "Export a checkpoint or .vlmq package for Apple deployment (mlx, coreml)");
    cmd->require_subcommand(1);
    add_export_mlx(cmd, global);
    add_export_coreml(cmd, global);
}

}  // namespace vlmq::cli
