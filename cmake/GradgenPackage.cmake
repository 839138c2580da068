# Install rules and the CMake package (find_package(gradgen) + gradgen_add_network), the same
# function for add_subdirectory users, and the in-tree XOR example.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

add_library(gradgen::runtime ALIAS gradgen_runtime)
set_target_properties(gradgen_runtime PROPERTIES EXPORT_NAME runtime)
include(${CMAKE_CURRENT_LIST_DIR}/GradgenAddNetwork.cmake)

set(gradgen_cmake_dir ${CMAKE_INSTALL_LIBDIR}/cmake/gradgen)
install(TARGETS gradgen EXPORT gradgenTargets RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(TARGETS gradgen_runtime EXPORT gradgenTargets)
install(DIRECTORY ${PROJECT_SOURCE_DIR}/runtime/include/gradgen DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(EXPORT gradgenTargets NAMESPACE gradgen:: DESTINATION ${gradgen_cmake_dir})
configure_package_config_file(${CMAKE_CURRENT_LIST_DIR}/gradgenConfig.cmake.in
  ${PROJECT_BINARY_DIR}/gradgenConfig.cmake INSTALL_DESTINATION ${gradgen_cmake_dir})
write_basic_package_version_file(${PROJECT_BINARY_DIR}/gradgenConfigVersion.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY SameMajorVersion)
install(FILES ${PROJECT_BINARY_DIR}/gradgenConfig.cmake ${PROJECT_BINARY_DIR}/gradgenConfigVersion.cmake
  ${CMAKE_CURRENT_LIST_DIR}/GradgenAddNetwork.cmake DESTINATION ${gradgen_cmake_dir})

option(GRADGEN_EXAMPLES "Build examples/xor (trains the seed network on XOR with generated code)" ${GRADGEN_TOP_LEVEL})
if(GRADGEN_EXAMPLES)
  add_subdirectory(${PROJECT_SOURCE_DIR}/examples/xor ${PROJECT_BINARY_DIR}/examples/xor)
endif()
