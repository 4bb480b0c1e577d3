// SPDX-License-Identifier: MIT
#include "staging.hpp"

#include "options.hpp"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <csignal>
#include <string_view>
#include <sys/types.h>
#include <unistd.h>

namespace skystack::tool {

namespace fs = std::filesystem;

int remove_dead_staging(fs::path const& dir) {
    int removed = 0;
    std::error_code ec;
    for (auto it = fs::directory_iterator(dir, ec); !ec && it != fs::directory_iterator(); it.increment(ec)) {
        std::string const name = it->path().filename().string();
        if (!name.starts_with(staging_prefix)) continue;
        std::string_view const digits = std::string_view(name).substr(std::string_view(staging_prefix).size());
        long pid = 0;
        auto const [end, err] = std::from_chars(digits.data(), digits.data() + digits.size(), pid);
        if (err != std::errc{} || end != digits.data() + digits.size() || pid <= 0 || pid == long(::getpid())) continue;
        if (::kill(pid_t(pid), 0) == 0 || errno != ESRCH) continue; // alive (or not ours to judge)
        std::error_code rc;
        if (fs::remove_all(it->path(), rc) > 0 && !rc) ++removed;
    }
    return removed;
}

bool is_tool_output(std::string const& name) {
    for (char const* f :
         {"coadd.fits", "coadd_nimage.fits", "coadd_cells.fits", "coadd.png", "report.json", "report.txt"})
        if (name == f) return true;
    constexpr std::string_view dcr = "coadd_dcr_";
    if (name.starts_with(dcr) && name.ends_with(".fits")) {
        auto const mid = std::string_view(name).substr(dcr.size(), name.size() - dcr.size() - 5);
        return !mid.empty() && std::all_of(mid.begin(), mid.end(), [](char c) { return c >= '0' && c <= '9'; });
    }
    return false;
}

void remove_stale_outputs(fs::path const& dir, std::vector<std::string> const& produced) {
    std::error_code ec;
    std::vector<fs::path> stale;
    for (auto it = fs::directory_iterator(dir, ec); !ec && it != fs::directory_iterator(); it.increment(ec)) {
        std::string const name = it->path().filename().string();
        if (is_tool_output(name) && std::find(produced.begin(), produced.end(), name) == produced.end())
            stale.push_back(it->path());
    }
    for (auto const& p : stale) {
        std::error_code rc;
        fs::remove(p, rc);
        if (rc)
            throw ToolError(exit_output, "cannot remove " + p.string() + " left by an earlier run: " + rc.message());
    }
}

} // namespace skystack::tool
