// The plugin's only exported symbols: the ABI version and the backend factory.
#include "backend.hpp"

#include <anydb/plugin.hpp>

ANYDB_DEFINE_PLUGIN(anydb::odbc::OdbcBackend)
