# `cmake --install` puts the switchcost binary in bin/, the engine's headers
# under include/switchcost/ (sim/, models/), its static libraries in lib/, and
# a CMake package, so that another project can write
#   find_package(switchcost 0.2 REQUIRED)
#   target_link_libraries(app PRIVATE switchcost::core)
# tests/consumer is such a project; CI builds it against an installed tree.
include(CMakePackageConfigHelpers)
set(SWITCHCOST_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/switchcost)

install(TARGETS switchcost RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(TARGETS switchcost_core switchcost_models EXPORT switchcostTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})
foreach(layer IN LISTS SWITCHCOST_LAYERS)
  install(TARGETS switchcost_${layer} EXPORT switchcostTargets ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})
endforeach()
install(DIRECTORY ${PROJECT_SOURCE_DIR}/models/ DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/switchcost/models
  FILES_MATCHING PATTERN "*.h")
foreach(layer IN LISTS SWITCHCOST_LAYERS)
  install(DIRECTORY ${PROJECT_SOURCE_DIR}/sim/${layer}/ DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/switchcost/sim/${layer}
    FILES_MATCHING PATTERN "*.h")
endforeach()
install(EXPORT switchcostTargets NAMESPACE switchcost:: DESTINATION ${SWITCHCOST_CMAKE_DIR})

configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/switchcostConfig.cmake.in
  ${PROJECT_BINARY_DIR}/switchcostConfig.cmake INSTALL_DESTINATION ${SWITCHCOST_CMAKE_DIR})
# Results may change between minor versions (each bump says so), so a
# consumer asking for 0.2 gets 0.2.x only.
write_basic_package_version_file(${PROJECT_BINARY_DIR}/switchcostConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/switchcostConfig.cmake ${PROJECT_BINARY_DIR}/switchcostConfigVersion.cmake
  DESTINATION ${SWITCHCOST_CMAKE_DIR})

# The man page and bash completion, generated from the help text (sim/CMakeLists.txt).
install(FILES ${SWITCHCOST_MAN_PAGE} DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
install(FILES ${SWITCHCOST_BASH_COMPLETION} DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions
  RENAME switchcost)
