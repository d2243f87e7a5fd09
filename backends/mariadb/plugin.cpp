// The plugin's only exported surface: the ABI number and the factory.
#include "backend.hpp"

#include <anydb/plugin.hpp>

ANYDB_DEFINE_PLUGIN(anydb::mariadb::MariaDbBackend)
