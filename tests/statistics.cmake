# SPDX-License-Identifier: MIT
# statistics interop: a small driver executable, checked by a Python script against numpy / astropy and against
# afw's clipping rules written out in numpy (astropy's sigma_clip clips differently; see docs/statistics.md).
add_executable(statistics_driver ${CMAKE_CURRENT_SOURCE_DIR}/interop/statistics_driver.cpp)
target_link_libraries(statistics_driver PRIVATE skystack::skystack)
skystack_warnings(statistics_driver)
find_program(SKYSTACK_SYSTEM_PYTHON NAMES python3 PATHS /usr/bin NO_DEFAULT_PATH)
if(NOT SKYSTACK_SYSTEM_PYTHON)
  find_program(SKYSTACK_SYSTEM_PYTHON NAMES python3)
endif()
add_test(NAME interop.statistics
         COMMAND ${SKYSTACK_SYSTEM_PYTHON} ${CMAKE_CURRENT_SOURCE_DIR}/interop/statistics_interop.py
                 $<TARGET_FILE:statistics_driver> ${CMAKE_CURRENT_BINARY_DIR}/tmp)
set_tests_properties(interop.statistics PROPERTIES LABELS interop TIMEOUT 120 SKIP_RETURN_CODE 77)
