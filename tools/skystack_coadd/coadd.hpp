// SPDX-License-Identifier: MIT
#pragma once

#include "options.hpp"

#include <filesystem>
#include <string>
#include <vector>

namespace skystack::tool {

/// All-or-nothing output: files are written into a hidden staging directory inside the output directory and
/// renamed into place by commit(). Destroyed without commit, it removes the staging directory, and the output
/// directory too when it created it.
class OutputStage {
    std::filesystem::path m_dir, m_stage;
    std::vector<std::filesystem::path> m_created; // directories created, innermost last
    std::vector<std::string> m_files;
    bool m_committed = false;

public:
    /// Create (if needed) and check the output directory. @throws ToolError(exit_output) naming it.
    explicit OutputStage(std::string const& dir);
    OutputStage(OutputStage const&) = delete;
    OutputStage& operator=(OutputStage const&) = delete;
    ~OutputStage();
    /// Where to write file `name` now (inside the staging directory).
    std::string staged(std::string const& name);
    /// Final path of file `name`.
    [[nodiscard]] std::string final_path(std::string const& name) const { return (m_dir / name).string(); }
    /// Move every staged file into the output directory. @throws ToolError(exit_output)
    void commit();
};

/// Run the whole job for parsed options; returns the exit code. @throws ToolError
int run(Options const& o);

/// SIGINT and SIGTERM set a flag (a second signal ends the process at once); the run checks it between phases and
/// after every stacked tile, and stops with ToolError(exit_interrupted) so that the output stage cleans up.
void install_interrupt_handlers();

} // namespace skystack::tool
