# anydb_add_backend(<name> SOURCES <file>... [LINK_LIBRARIES <lib>...] [NO_INSTALL])
#
# Builds the backend plugin `anydb-backend-<name>.so` as a MODULE library: hidden visibility (the
# only exported symbols are the two that ANYDB_DEFINE_PLUGIN creates), linked against anydb::plugin
# (the core plus the Boost.DLL headers plugin.hpp needs) with --no-undefined so that a missing symbol fails the link instead of the later dlopen, placed
# next to the other plugins of the build tree and installed into anydb's plugin folder, as the
# install component backend-<name> (one package per plugin with CPack). The same function serves
# in-tree backends and out-of-tree plugin authors.
function(anydb_add_backend name)
  cmake_parse_arguments(PARSE_ARGV 1 ARG "NO_INSTALL" "" "SOURCES;LINK_LIBRARIES")
  string(LENGTH "${name}" name_length)
  if(NOT name MATCHES "^[a-z][a-z0-9_]*$" OR name_length GREATER 64)
    message(FATAL_ERROR "anydb_add_backend: backend name '${name}' must match [a-z][a-z0-9_]* (64 at most)")
  endif()
  if(NOT ARG_SOURCES)
    message(FATAL_ERROR "anydb_add_backend(${name}): SOURCES is required")
  endif()

  set(target anydb-backend-${name})
  add_library(${target} MODULE ${ARG_SOURCES})
  if(NOT TARGET Boost::headers)
    message(FATAL_ERROR "anydb_add_backend(${name}): plugins need the Boost headers (Boost >= 1.74; "
                        "Debian: libboost-dev), and find_package(Boost) did not find them")
  endif()
  target_link_libraries(${target} PRIVATE anydb::plugin ${ARG_LINK_LIBRARIES})
  # Export exactly the two plugin symbols; template instantiations and everything else stay
  # inside the plugin even where visibility attributes would leak them as weak symbols.
  set(version_script "${CMAKE_CURRENT_BINARY_DIR}/${target}.map")
  file(WRITE "${version_script}" "{\n  global: anydb_abi_version; anydb_create_backend;\n  local: *;\n};\n")
  # -z now: the plugin's own symbols are bound when it is loaded, so a symbol missing at run time
  # fails the load even though the loader opens such a plugin RTLD_LAZY (src/plugin_binding.hpp).
  target_link_options(${target} PRIVATE LINKER:--no-undefined LINKER:--version-script=${version_script}
                      LINKER:-z,now)
  set_property(TARGET ${target} APPEND PROPERTY LINK_DEPENDS "${version_script}")
  set_target_properties(${target} PROPERTIES
    PREFIX ""
    OUTPUT_NAME "anydb-backend-${name}"
    CXX_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON
    INSTALL_RPATH "$ORIGIN/../..")
  if(DEFINED ANYDB_BUILD_PLUGIN_DIR)
    set_target_properties(${target} PROPERTIES LIBRARY_OUTPUT_DIRECTORY "${ANYDB_BUILD_PLUGIN_DIR}")
  endif()
  if(COMMAND anydb_set_warnings)
    anydb_set_warnings(${target})
  endif()
  if(NOT ARG_NO_INSTALL AND DEFINED ANYDB_INSTALL_PLUGINDIR)
    install(TARGETS ${target} LIBRARY DESTINATION "${ANYDB_INSTALL_PLUGINDIR}"
            COMPONENT backend-${name})
  endif()
endfunction()
