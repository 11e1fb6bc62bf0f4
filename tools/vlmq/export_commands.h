#pragma once
// `vlmq export <target>`: one file per target (cmd_export_<target>.cpp) registers its subcommand on the
// parent `export` command created in cmd_export.cpp.
#include "commands.h"

namespace vlmq::cli {

void add_export_mlx(CLI::App* export_cmd, GlobalOptions& global);
void add_export_coreml(CLI::App* export_cmd, GlobalOptions& global);

}  // namespace vlmq::cli
