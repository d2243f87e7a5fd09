#pragma once

// The core is built with hidden visibility; ANYDB_API marks what it exports. Every polymorphic
// core class is exported and has an out-of-line key function, so its vtable and typeinfo exist
// once, in libanydb: an exception thrown inside a plugin is then caught by type in the host.
#define ANYDB_API __attribute__((visibility("default")))
