# SPDX-License-Identifier: MIT
# Compile-fail checks (STYLE §5, like Eigen's failtest/): every tests/compile_fail/<name>_ko.cpp must fail to
# compile with a diagnostic matching its regular expression, and its <name>_ok.cpp twin must build, so a ko test
# cannot pass because of an unrelated error. The targets are EXCLUDE_FROM_ALL; ctest builds them on demand.
set(SKYSTACK_COMPILE_FAIL_CASES
    # name | regex the compiler's diagnostic must match (GCC or clang wording)
    "point_plus_point|no match for [^ ]*operator\\+|invalid operands to binary expression"
    "const_view_write|read-only|not assignable|const-qualified"
    "const_view_arithmetic|MutablePixel|no match for [^ ]*operator\\+=|no viable overloaded")
foreach(entry IN LISTS SKYSTACK_COMPILE_FAIL_CASES)
  string(FIND "${entry}" "|" bar)
  string(SUBSTRING "${entry}" 0 ${bar} name)
  math(EXPR rest "${bar} + 1")
  string(SUBSTRING "${entry}" ${rest} -1 regex)
  foreach(kind ok ko)
    set(target compile_fail_${name}_${kind})
    add_executable(${target} EXCLUDE_FROM_ALL ${CMAKE_CURRENT_SOURCE_DIR}/compile_fail/${name}_${kind}.cpp)
    target_link_libraries(${target} PRIVATE skystack::skystack)
    skystack_warnings(${target})
    add_test(NAME compile_fail.${name}_${kind}
             COMMAND ${CMAKE_COMMAND} --build ${PROJECT_BINARY_DIR} --target ${target} --config $<CONFIG>)
    # builds share the build tree: never two at once
    set_tests_properties(compile_fail.${name}_${kind} PROPERTIES LABELS compile_fail RESOURCE_LOCK skystack_build_tree
                                                                 TIMEOUT 300)
  endforeach()
  set_tests_properties(compile_fail.${name}_ko PROPERTIES PASS_REGULAR_EXPRESSION "${regex}")
endforeach()
