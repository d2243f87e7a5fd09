# Sanitizers apply to every target of the build (core, plugins, CLI, tests): mixing an
# instrumented host with an uninstrumented or differently instrumented plugin aborts at load.
if(ANYDB_SANITIZE STREQUAL "address")
  add_compile_options(-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer)
  add_link_options(-fsanitize=address,undefined -fno-sanitize-recover=all)
elseif(ANYDB_SANITIZE STREQUAL "thread")
  add_compile_options(-fsanitize=thread -fno-omit-frame-pointer)
  add_link_options(-fsanitize=thread)
elseif(NOT ANYDB_SANITIZE STREQUAL "")
  message(FATAL_ERROR "ANYDB_SANITIZE must be empty, 'address' or 'thread', not '${ANYDB_SANITIZE}'")
endif()
