// `vlmq verify PKG`: the full check of a .vlmq package (package/package_verify.h): structure, every scale, and
// every file and tensor hash, ignoring cached hashes. One line: OK, or the first failure (exit 1).
#include <fmt/format.h>

#include <memory>

#include "cli_common.h"
#include "core/error.h"
#include "package/package_reader.h"
#include "package/source.h"

namespace vlmq::cli {

void add_verify_command(CLI::App& app, GlobalOptions&) {
    struct Options {
        std::string package;
        bool json = false;
    };
    auto opt = std::make_shared<Options>();
    auto* cmd = app.add_subcommand("verify", "Check a .vlmq package completely: structure, scales, and the hash of "
                                             "every file and tensor");
    cmd->add_option("package", opt->package, ".vlmq package directory")->required();
    cmd->add_flag("--json", opt->json, "Print one JSON object {package, ok, ...} (and still exit 1 on a failure)");
    cmd->callback([opt] {
        ordered_json j;
        j["package"] = opt->package;
        try {
            if (package::source_kind(opt->package) != package::SourceKind::Package)
                fail("{}: not a .vlmq package (no manifest.json)", opt->package);
            const package::Package pkg(opt->package, {.hashes = package::HashCheck::Full,
                                                      .cache_file = package::default_cache_file()});
            const package::VerifyResult& r = pkg.verified();
            j["ok"] = true;
            j["files"] = r.files;
            j["tensors"] = r.tensors;
            j["bytes_hashed"] = r.bytes_hashed;
            if (opt->json)
                fmt::print("{}", json_dump(j));
            else
                fmt::print("{}: OK ({} files, {} tensors, {} bytes hashed)\n", opt->package, r.files, r.tensors,
                           r.bytes_hashed);
        } catch (const Error& e) {
            if (opt->json) {
                j["ok"] = false;
                j["error"] = e.what();
                fmt::print("{}", json_dump(j));
            }
            throw;
        }
    });
}

}  // namespace vlmq::cli
