# Installation of the CMake package, the pkg-config file, and CPack settings for a .deb.
include(CMakePackageConfigHelpers)

set(ANYDB_INSTALL_CMAKEDIR "${CMAKE_INSTALL_LIBDIR}/cmake/anydb")
file(STRINGS "${PROJECT_SOURCE_DIR}/core/version.hpp.in" abi_line REGEX "abi_version = [0-9]+")
string(REGEX MATCH "abi_version = [0-9]+" abi_assignment "${abi_line}")
string(REGEX MATCH "[0-9]+$" ANYDB_ABI_VERSION "${abi_assignment}")

install(EXPORT anydbTargets NAMESPACE anydb:: DESTINATION "${ANYDB_INSTALL_CMAKEDIR}" COMPONENT development)
configure_package_config_file(cmake/anydbConfig.cmake.in "${PROJECT_BINARY_DIR}/anydbConfig.cmake"
  INSTALL_DESTINATION "${ANYDB_INSTALL_CMAKEDIR}"
  PATH_VARS ANYDB_INSTALL_PLUGINDIR)
write_basic_package_version_file("${PROJECT_BINARY_DIR}/anydbConfigVersion.cmake"
  COMPATIBILITY SameMajorVersion)
install(FILES "${PROJECT_BINARY_DIR}/anydbConfig.cmake" "${PROJECT_BINARY_DIR}/anydbConfigVersion.cmake"
              cmake/AnydbAddBackend.cmake
  DESTINATION "${ANYDB_INSTALL_CMAKEDIR}" COMPONENT development)

configure_file(cmake/anydb.pc.in "${PROJECT_BINARY_DIR}/anydb.pc" @ONLY)
install(FILES "${PROJECT_BINARY_DIR}/anydb.pc" DESTINATION "${CMAKE_INSTALL_LIBDIR}/pkgconfig"
  COMPONENT development)

set(CPACK_PACKAGE_NAME anydb)
set(CPACK_PACKAGE_VENDOR "anydb")
set(CPACK_PACKAGE_CONTACT "anydb maintainers")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "${PROJECT_DESCRIPTION}")
set(CPACK_GENERATOR DEB)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "libboost-dev (>= 1.74)")
include(CPack)
