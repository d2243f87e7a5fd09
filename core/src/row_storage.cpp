// The per-thread spare vectors behind recycled_values(), recycled_rows() and recycle() (see
// anydb/value.hpp): a hit's result costs two heap allocations otherwise (its row vector and its
// row's values), which were about a fifth of what anydb adds to a hit in client instructions.

#include <anydb/value.hpp>

#include <utility>
#include <vector>

namespace anydb {
namespace {

// One slot per kind and thread. This file is compiled with -ftls-model=initial-exec
// (core/CMakeLists.txt): the slot and the guard that registers its destructor are then read at a
// fixed offset from the thread pointer, not through a call to __tls_get_addr, which cost as much
// as the allocation saved. libanydb is linked by programs (or loaded with them); a late dlopen of
// it still works while the static TLS surplus has room for these 56 bytes.
struct Spares {
  std::vector<Value> values;
  std::vector<Row> rows;
};
thread_local Spares spares;

template <class Element>
void keep(std::vector<Element>& slot, std::vector<Element>& given) noexcept {
  if (given.capacity() == 0 || given.capacity() > recycle_capacity ||
      given.capacity() <= slot.capacity())
    return;  // the caller's vector frees its storage as usual
  given.clear();
  slot.swap(given);  // the caller's vector goes with the slot's former (smaller) storage
}

template <class Element>
std::vector<Element> take(std::vector<Element>& slot) noexcept {
  std::vector<Element> out;
  out.swap(slot);
  return out;
}

}  // namespace

std::vector<Value> recycled_values() noexcept { return take(spares.values); }

std::vector<Row> recycled_rows() noexcept { return take(spares.rows); }

void recycle(std::vector<Value>&& values) noexcept { keep(spares.values, values); }

void recycle(std::vector<Row>&& rows) noexcept { keep(spares.rows, rows); }

}  // namespace anydb
