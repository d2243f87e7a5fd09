// Not an anydb plugin: a shared library whose loading leaves the file "marker-plugin-was-loaded"
// in the current directory. Installed in a test's working directory as anydb-backend-sqlite.so,
// it shows whether anything dlopened (and so ran code from) the current directory.
#include <cstdio>

namespace {

struct LeaveMarker {
  LeaveMarker() {
    if (std::FILE* file = std::fopen("marker-plugin-was-loaded", "w")) std::fclose(file);
  }
};

const LeaveMarker leave_marker;

}  // namespace
