# Installation of the CMake package, the pkg-config file, and CPack settings for a .deb.
include(CMakePackageConfigHelpers)

set(ANYDB_INSTALL_CMAKEDIR "${CMAKE_INSTALL_LIBDIR}/cmake/anydb")

install(EXPORT anydbTargets NAMESPACE anydb:: DESTINATION "${ANYDB_INSTALL_CMAKEDIR}" COMPONENT development)
configure_package_config_file(cmake/anydbConfig.cmake.in "${PROJECT_BINARY_DIR}/anydbConfig.cmake"
  INSTALL_DESTINATION "${ANYDB_INSTALL_CMAKEDIR}"
  PATH_VARS ANYDB_INSTALL_PLUGINDIR)
write_basic_package_version_file("${PROJECT_BINARY_DIR}/anydbConfigVersion.cmake"
  COMPATIBILITY SameMajorVersion)
install(FILES "${PROJECT_BINARY_DIR}/anydbConfig.cmake" "${PROJECT_BINARY_DIR}/anydbConfigVersion.cmake"
              cmake/AnydbAddBackend.cmake
  DESTINATION "${ANYDB_INSTALL_CMAKEDIR}" COMPONENT development)

# anydb.pc. Installed into /usr (a distribution package) it names absolute paths, as Debian's own
# .pc files do. Anywhere else it names them relative to its own folder (${pcfiledir}), so that an
# installation made with `cmake --install --prefix` or moved later stays correct. The way up from
# <libdir>/pkgconfig depends on the libdir: lib/ is two levels, Debian's lib/<multiarch>/ three.
if(CMAKE_INSTALL_PREFIX STREQUAL "/usr" OR IS_ABSOLUTE "${CMAKE_INSTALL_LIBDIR}")
  set(ANYDB_PC_PREFIX "${CMAKE_INSTALL_PREFIX}")
else()
  file(RELATIVE_PATH anydb_pc_up "/${CMAKE_INSTALL_LIBDIR}/pkgconfig" "/")
  string(REGEX REPLACE "/$" "" anydb_pc_up "${anydb_pc_up}")
  set(ANYDB_PC_PREFIX "\${pcfiledir}/${anydb_pc_up}")
endif()
foreach(kind LIBDIR INCLUDEDIR PLUGINDIR)
  if(kind STREQUAL "PLUGINDIR")
    set(dir "${ANYDB_INSTALL_PLUGINDIR}")
  else()
    set(dir "${CMAKE_INSTALL_${kind}}")
  endif()
  if(IS_ABSOLUTE "${dir}")
    set(ANYDB_PC_${kind} "${dir}")
  else()
    set(ANYDB_PC_${kind} "\${prefix}/${dir}")
  endif()
endforeach()
configure_file(cmake/anydb.pc.in "${PROJECT_BINARY_DIR}/anydb.pc" @ONLY)
configure_file(cmake/anydb-plugin.pc.in "${PROJECT_BINARY_DIR}/anydb-plugin.pc" @ONLY)
install(FILES "${PROJECT_BINARY_DIR}/anydb.pc" "${PROJECT_BINARY_DIR}/anydb-plugin.pc"
  DESTINATION "${CMAKE_INSTALL_LIBDIR}/pkgconfig" COMPONENT development)

# CPack: split .deb packages in Debian's shape (`cpack -G DEB` in a build configured with
# -DCMAKE_INSTALL_PREFIX=/usr; tests/packages builds, installs and removes them):
#   libanydb<abi>          the runtime library (its name follows the SONAME, as Debian's do)
#   libanydb-dev           headers, libanydb.so, the CMake package, anydb.pc and anydb-plugin.pc,
#                          and anydb-conformance when tests were built
#   anydb                  the command
#   anydb-backend-<name>   one per plugin, depending on its client library (found by
#                          dpkg-shlibdeps: libsqlite3-0, libpq5, libodbc2, libmariadb3)
set(CPACK_PACKAGE_NAME anydb)
set(CPACK_PACKAGE_VENDOR "anydb")
set(CPACK_PACKAGE_CONTACT "anydb maintainers <anydb@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "${PROJECT_DESCRIPTION}")
set(CPACK_GENERATOR DEB)
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION libs)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# libanydb.so.<abi> is not installed from a package yet when its users are packed: dpkg-shlibdeps
# finds it in the build tree, and the dependency on it comes from the component dependencies.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS_PRIVATE_DIRS "${CMAKE_BINARY_DIR}/lib")
set(CPACK_DEBIAN_ENABLE_COMPONENT_DEPENDS ON)

set(anydb_runtime_package "libanydb${ANYDB_ABI_VERSION}")
set(CPACK_DEBIAN_RUNTIME_PACKAGE_NAME "${anydb_runtime_package}")
set(CPACK_DEBIAN_RUNTIME_PACKAGE_GENERATE_SHLIBS ON)
set(CPACK_COMPONENT_RUNTIME_DESCRIPTION "anydb core library (plugin ABI ${ANYDB_ABI_VERSION})")
set(CPACK_DEBIAN_DEVELOPMENT_PACKAGE_NAME "libanydb-dev")
set(CPACK_DEBIAN_DEVELOPMENT_PACKAGE_SECTION libdevel)
# Applications need no Boost; plugin authors (anydb::plugin, anydb-plugin.pc) do.
set(CPACK_DEBIAN_DEVELOPMENT_PACKAGE_RECOMMENDS "libboost-dev (>= 1.74)")
set(CPACK_COMPONENT_DEVELOPMENT_DESCRIPTION "anydb development files (headers, CMake package, pkg-config)")
set(CPACK_COMPONENT_DEVELOPMENT_DEPENDS runtime)
set(CPACK_DEBIAN_CLI_PACKAGE_NAME "anydb")
set(CPACK_DEBIAN_CLI_PACKAGE_SECTION database)
set(CPACK_COMPONENT_CLI_DESCRIPTION "anydb command: race-safe get-or-create against any backend")
set(CPACK_COMPONENT_CLI_DEPENDS runtime)
set(CPACK_COMPONENTS_ALL runtime development cli)
foreach(backend sqlite postgresql odbc mariadb)
  if(TARGET anydb-backend-${backend})
    string(TOUPPER "BACKEND-${backend}" component)
    set(CPACK_DEBIAN_${component}_PACKAGE_NAME "anydb-backend-${backend}")
    set(CPACK_DEBIAN_${component}_PACKAGE_SECTION database)
    set(CPACK_COMPONENT_${component}_DESCRIPTION "anydb backend plugin: ${backend}")
    set(CPACK_COMPONENT_${component}_DEPENDS runtime)
    list(APPEND CPACK_COMPONENTS_ALL backend-${backend})
  endif()
endforeach()
include(CPack)
