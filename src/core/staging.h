#pragma once
// Outputs are built in a private directory next to their path and moved there in one step: the path holds
// the old output or the new one at every instant, never a partial one. Killed runs leave only marked
// staging directories, which later runs remove once their process is gone.
#include <filesystem>
#include <string_view>

#include "core/output_guard.h"

namespace vlmq {

// Every staging directory holds this file, so that nothing else is ever taken for one.
inline constexpr const char* kStagingMarker = ".vlmq-staging";

// "<out>.<tag>-<pid>-<random>" next to `resolved_out` (mkdtemp, mode 0700) with kStagingMarker inside; removed
// with everything in it by the destructor. Creating one first cleans stale ones of `resolved_out`.
class ScratchDir {
public:
    ScratchDir(const fs::path& resolved_out, std::string_view tag);
    ~ScratchDir();
    ScratchDir(const ScratchDir&) = delete;
    ScratchDir& operator=(const ScratchDir&) = delete;
    const fs::path& path() const { return dir_; }

private:
    fs::path dir_;
};

// Removes the staging directories of `resolved_out` ("<out>.tmp-<pid>-*", "<out>.candidates-<pid>-*") that carry
// kStagingMarker and whose process no longer exists; returns how many it removed.
int clean_stale_staging(const fs::path& resolved_out);

// One output under construction. The constructor applies check_replaceable (inputs are the caller's:
// check_output); commit() applies it again, then puts the output in place in one step.
class StagedOutput {
public:
    StagedOutput(const fs::path& out, OutputKind kind, bool force = false);
    StagedOutput(const StagedOutput&) = delete;
    StagedOutput& operator=(const StagedOutput&) = delete;

    // Where to write: a new directory (directory kinds; holding only the kind's marker, if it has one) or a file
    // name not yet taken (file kinds).
    const fs::path& path() const { return staged_; }
    const fs::path& final_path() const { return final_; }
    void commit();

private:
    OutputKind kind_;
    bool force_;
    fs::path final_;
    ScratchDir scratch_;
    fs::path staged_;
    bool committed_ = false;
};

}  // namespace vlmq
