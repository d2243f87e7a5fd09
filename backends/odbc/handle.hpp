#pragma once

// Owning handles for the three ODBC objects the backend keeps (environment, connection,
// statement), so that no path (an exception half-way through connecting, a statement evicted
// from the cache) can leak one, plus the few casts the ODBC API needs, in one place.

#include <sql.h>
#include <sqlext.h>

#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <utility>

namespace anydb::odbc {

// One ODBC handle of type `Type` (SQL_HANDLE_ENV, SQL_HANDLE_DBC or SQL_HANDLE_STMT), freed with
// SQLFreeHandle. Move-only.
template <SQLSMALLINT Type>
class Handle {
 public:
  Handle() noexcept = default;
  explicit Handle(SQLHANDLE handle) noexcept : handle_(handle) {}
  ~Handle() { reset(); }
  Handle(Handle&& other) noexcept : handle_(std::exchange(other.handle_, SQLHANDLE{})) {}
  Handle& operator=(Handle&& other) noexcept {
    if (this != &other) {
      reset();
      handle_ = std::exchange(other.handle_, SQLHANDLE{});
    }
    return *this;
  }
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;

  [[nodiscard]] SQLHANDLE get() const noexcept { return handle_; }
  [[nodiscard]] explicit operator bool() const noexcept { return handle_ != SQLHANDLE{}; }
  void reset() noexcept {
    if (handle_ != SQLHANDLE{}) SQLFreeHandle(Type, std::exchange(handle_, SQLHANDLE{}));
  }

 private:
  SQLHANDLE handle_{};
};

using EnvHandle = Handle<SQL_HANDLE_ENV>;
using StatementHandle = Handle<SQL_HANDLE_STMT>;

// A connection handle that also disconnects: SQLFreeHandle refuses (HY010) a DBC that is still
// connected, which would leak the session. The driver rolls back an open transaction.
class DbcHandle {
 public:
  DbcHandle() noexcept = default;
  explicit DbcHandle(SQLHANDLE handle) noexcept : handle_(handle) {}
  ~DbcHandle() { reset(); }
  DbcHandle(DbcHandle&& other) noexcept
      : handle_(std::move(other.handle_)), connected_(std::exchange(other.connected_, false)) {}
  DbcHandle& operator=(DbcHandle&& other) noexcept {
    if (this != &other) {
      reset();
      handle_ = std::move(other.handle_);
      connected_ = std::exchange(other.connected_, false);
    }
    return *this;
  }
  DbcHandle(const DbcHandle&) = delete;
  DbcHandle& operator=(const DbcHandle&) = delete;

  [[nodiscard]] SQLHANDLE get() const noexcept { return handle_.get(); }
  [[nodiscard]] bool connected() const noexcept { return connected_; }
  void set_connected(bool connected) noexcept { connected_ = connected; }
  void disconnect() noexcept {
    if (connected_) SQLDisconnect(handle_.get());
    connected_ = false;
  }
  void reset() noexcept {
    disconnect();
    handle_.reset();
  }

 private:
  Handle<SQL_HANDLE_DBC> handle_;
  bool connected_ = false;
};

// SQLSetConnectAttr and friends pass integer values through a pointer parameter.
[[nodiscard]] inline SQLPOINTER integer_attribute(std::uintptr_t value) noexcept {
  return reinterpret_cast<SQLPOINTER>(value);
}

// ODBC's narrow-character API takes unsigned char pointers; anydb keeps UTF-8 in std::string.
[[nodiscard]] inline SQLCHAR* sql_chars(const std::string& text) noexcept {
  return reinterpret_cast<SQLCHAR*>(const_cast<char*>(text.c_str()));
}

// ODBC lengths are SQLINTEGER; a text longer than that cannot be passed in one call.
[[nodiscard]] inline bool fits_sqlinteger(std::size_t size) noexcept {
  return size <= static_cast<std::size_t>(std::numeric_limits<SQLINTEGER>::max());
}

}  // namespace anydb::odbc
