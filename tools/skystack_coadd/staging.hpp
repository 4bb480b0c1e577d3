// SPDX-License-Identifier: MIT
// Housekeeping of the output directory: staging directories of dead runs, stale outputs of earlier runs.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace skystack::tool {

/// Prefix of the hidden staging directories, followed by the writing process's id.
inline constexpr char const* staging_prefix = ".skystack-coadd-staging-";

/// Remove the staging directories in `dir` whose process is gone (a run killed with SIGKILL or a crash):
/// `.skystack-coadd-staging-PID` where PID is not this process and kill(PID, 0) says no such process.
/// Returns how many were removed; errors are ignored (the directory belongs to nobody alive).
int remove_dead_staging(std::filesystem::path const& dir);

/// Whether `name` is a file this tool writes into an output directory (coadd.fits, coadd_nimage.fits,
/// coadd_dcr_N.fits, coadd.png, report.json, report.txt).
bool is_tool_output(std::string const& name);

/// Remove from `dir` the tool's outputs (is_tool_output) not in `produced`, so that the directory holds exactly
/// this run's outputs. @throws ToolError(exit_output) when one cannot be removed.
void remove_stale_outputs(std::filesystem::path const& dir, std::vector<std::string> const& produced);

} // namespace skystack::tool
