# SPDX-License-Identifier: MIT
# FITS interoperability test: skystack <-> astropy (python3-astropy), registered when cfitsio and astropy exist.
if(NOT SKYSTACK_HAS_CFITSIO)
  return()
endif()

add_executable(fits_interop_helper ${CMAKE_CURRENT_SOURCE_DIR}/interop/fits_interop_helper.cpp)
target_link_libraries(fits_interop_helper PRIVATE skystack::skystack)
skystack_warnings(fits_interop_helper)

# Debian's python3 carries astropy and numpy; a python3 earlier on PATH (pyenv) may not.
if(EXISTS /usr/bin/python3)
  set(SKYSTACK_FITS_PYTHON /usr/bin/python3)
else()
  find_program(SKYSTACK_FITS_PYTHON python3)
endif()
if(SKYSTACK_FITS_PYTHON)
  execute_process(COMMAND ${SKYSTACK_FITS_PYTHON} -c "import astropy.io.fits, numpy"
                  RESULT_VARIABLE skystack_astropy_rc OUTPUT_QUIET ERROR_QUIET)
endif()
if(SKYSTACK_FITS_PYTHON AND skystack_astropy_rc EQUAL 0)
  add_test(NAME fits.interop.astropy
           COMMAND ${SKYSTACK_FITS_PYTHON} ${CMAKE_CURRENT_SOURCE_DIR}/interop/fits_interop.py
                   $<TARGET_FILE:fits_interop_helper> ${CMAKE_CURRENT_BINARY_DIR}/tmp/fits_interop)
  set_tests_properties(fits.interop.astropy PROPERTIES LABELS "interop" TIMEOUT 120)
else()
  message(STATUS "skystack: astropy not found, FITS interop test not registered")
endif()

# Cell coadds read by astropy alone (tests/interop/cells_interop.py).
add_executable(cells_interop_helper ${CMAKE_CURRENT_SOURCE_DIR}/interop/cells_interop_helper.cpp)
target_link_libraries(cells_interop_helper PRIVATE skystack::skystack)
skystack_warnings(cells_interop_helper)
if(SKYSTACK_FITS_PYTHON AND skystack_astropy_rc EQUAL 0)
  add_test(NAME cells.interop.astropy
           COMMAND ${SKYSTACK_FITS_PYTHON} ${CMAKE_CURRENT_SOURCE_DIR}/interop/cells_interop.py
                   $<TARGET_FILE:cells_interop_helper> ${CMAKE_CURRENT_BINARY_DIR}/tmp/cells_interop)
  set_tests_properties(cells.interop.astropy PROPERTIES LABELS "interop" TIMEOUT 120)
endif()
