// SPDX-License-Identifier: MIT
// skystack-coadd: the command-line coadd. See docs/cli.md and `skystack-coadd --help`.
#include "coadd.hpp"
#include "options.hpp"

#include <skystack/error.hpp>

#include <exception>
#include <iostream>
#include <new>

int main(int argc, char** argv) {
    using namespace skystack::tool;
    install_interrupt_handlers();
    try {
        auto const opts = parse_options(argc, argv);
        if (!opts) return exit_ok; // --help, --version
        return run(*opts);
    } catch (ToolError const& e) {
        std::cerr << "skystack-coadd: error: " << e.what() << "\n";
        return e.code();
    } catch (std::bad_alloc const&) {
        std::cerr << "skystack-coadd: error: out of memory (try fewer or smaller inputs, or a smaller --bbox)\n";
        return exit_internal;
    } catch (skystack::IoError const& e) {
        std::cerr << "skystack-coadd: error: " << e.what() << "\n";
        return exit_output;
    } catch (std::exception const& e) {
        std::cerr << "skystack-coadd: internal error: " << e.what() << "\n";
        return exit_internal;
    }
}
