// The one file that exports the plugin: its ABI version and its factory.
#include "trace_backend.hpp"

#include <anydb/plugin.hpp>

ANYDB_DEFINE_PLUGIN(anydb_example::TraceBackend)
