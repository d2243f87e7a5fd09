#pragma once

// The whole public API of anydb for applications. Plugin authors also include
// <anydb/plugin.hpp> in the one file that exports their backend.
#include <anydb/backend.hpp>
#include <anydb/connection.hpp>
#include <anydb/dialect.hpp>
#include <anydb/error.hpp>
#include <anydb/get_or_create.hpp>
#include <anydb/loader.hpp>
#include <anydb/placeholders.hpp>
#include <anydb/retry.hpp>
#include <anydb/trace.hpp>
#include <anydb/transaction.hpp>
#include <anydb/uri.hpp>
#include <anydb/value.hpp>
#include <anydb/version.hpp>
