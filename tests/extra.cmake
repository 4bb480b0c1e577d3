# SPDX-License-Identifier: MIT
# Per-area ctest registrations beyond the globbed doctest executables (interop scripts, end-to-end tool tests,
# compile-fail checks). Each area keeps its own file; a missing file is skipped.
include(${CMAKE_CURRENT_SOURCE_DIR}/statistics.cmake OPTIONAL)
include(${CMAKE_CURRENT_SOURCE_DIR}/fits.cmake OPTIONAL)
include(${CMAKE_CURRENT_SOURCE_DIR}/cli.cmake OPTIONAL)
include(${CMAKE_CURRENT_SOURCE_DIR}/compile_fail.cmake OPTIONAL)
include(${CMAKE_CURRENT_SOURCE_DIR}/dcr.cmake OPTIONAL)
include(${CMAKE_CURRENT_SOURCE_DIR}/stack.cmake OPTIONAL)

# The checked-in .clang-format is enforced on every tracked C++ file.
add_test(NAME format.clang_format COMMAND bash ${PROJECT_SOURCE_DIR}/tests/check_format.sh)
add_test(NAME docs.snippets COMMAND bash ${PROJECT_SOURCE_DIR}/tests/check_snippets.sh)
set_tests_properties(format.clang_format PROPERTIES LABELS format)
set_tests_properties(docs.snippets PROPERTIES LABELS format)
