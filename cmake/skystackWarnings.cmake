# SPDX-License-Identifier: MIT
# skystack_warnings(target): the warning set used on skystack's own targets (never on the INTERFACE library).
function(skystack_warnings target)
  if(CMAKE_CXX_COMPILER_ID MATCHES "GNU|Clang")
    target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Werror)
  elseif(MSVC)
    target_compile_options(${target} PRIVATE /W4 /WX)
  endif()
endfunction()
