# FindMariaDBClient: MariaDB Connector/C (Debian: libmariadb-dev), found through its pkg-config
# file libmariadb.pc. Defines MariaDBClient_FOUND, MariaDBClient_VERSION and the imported target
# MariaDBClient::MariaDBClient. CMake ships no module for it, and mariadb_config is not always
# installed beside the headers; pkg-config is.
find_package(PkgConfig QUIET)
if(PkgConfig_FOUND)
  pkg_check_modules(PC_MariaDBClient QUIET IMPORTED_TARGET libmariadb)
endif()

include(FindPackageHandleStandardArgs)
find_package_handle_standard_args(MariaDBClient
  REQUIRED_VARS PC_MariaDBClient_LINK_LIBRARIES
  VERSION_VAR PC_MariaDBClient_VERSION)

if(MariaDBClient_FOUND AND NOT TARGET MariaDBClient::MariaDBClient)
  set(MariaDBClient_VERSION ${PC_MariaDBClient_VERSION})
  add_library(MariaDBClient::MariaDBClient INTERFACE IMPORTED)
  target_link_libraries(MariaDBClient::MariaDBClient INTERFACE PkgConfig::PC_MariaDBClient)
endif()
