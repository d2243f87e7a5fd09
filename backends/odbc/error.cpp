#include "error.hpp"

#include "profile.hpp"

#include "common/text.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstddef>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

namespace anydb::odbc {
namespace {

// Every product, after its own rows: the SQLSTATEs of the ODBC standard.
constexpr std::array generic_rules{
    ErrorRule{"08", any_native, "", ErrorKind::connection_lost},  // 08S01, 08003, 08001, 08004, ...
    ErrorRule{"40001", any_native, "", ErrorKind::serialization_failure},
    ErrorRule{"23", any_native, "",
              ErrorKind::integrity_violation},  // 23000 with an unknown native
    ErrorRule{"42S02", any_native, "", ErrorKind::undefined_object},  // base table not found
    ErrorRule{"42S22", any_native, "", ErrorKind::undefined_object},  // column not found
    ErrorRule{"42000", any_native, "", ErrorKind::syntax_error},      // syntax error or access rule
    ErrorRule{"HYT00", any_native, "", ErrorKind::busy},              // timeout expired
    ErrorRule{"22", any_native, "", ErrorKind::data_error},  // data exception (too long, ...)
};

[[nodiscard]] bool matches(const ErrorRule& rule, const Diagnostic& record) noexcept {
  const std::string_view state = record.sqlstate;
  if (!rule.sqlstate.empty()) {
    if (rule.sqlstate.size() == 2 ? !state.starts_with(rule.sqlstate) : state != rule.sqlstate)
      return false;
  }
  if (rule.native != any_native && rule.native != record.native) return false;
  return rule.message.empty() || record.message.find(rule.message) != std::string::npos;
}

[[nodiscard]] const ErrorRule* find_rule(std::span<const ErrorRule> rules,
                                         const Diagnostic& record) {
  const auto found = std::find_if(rules.begin(), rules.end(),
                                  [&](const ErrorRule& rule) { return matches(rule, record); });
  return found == rules.end() ? nullptr : &*found;
}

}  // namespace

std::string_view to_string(Product product) noexcept {
  switch (product) {
    case Product::generic: return "generic";
    case Product::sqlite: return "SQLite";
    case Product::postgresql: return "PostgreSQL";
    case Product::mariadb: return "MariaDB";
  }
  return "unknown";
}

std::vector<Diagnostic> read_diagnostics(SQLSMALLINT handle_type, SQLHANDLE handle) {
  std::vector<Diagnostic> records;
  if (handle == SQLHANDLE{}) return records;
  for (SQLSMALLINT number = 1;; ++number) {
    SQLCHAR state[6] = {};
    SQLINTEGER native = 0;
    SQLSMALLINT length = 0;
    std::string message(512, '\0');
    SQLRETURN rc = SQLGetDiagRec(handle_type, handle, number, state, &native,
                                 reinterpret_cast<SQLCHAR*>(message.data()),
                                 static_cast<SQLSMALLINT>(message.size()), &length);
    if (rc == SQL_SUCCESS_WITH_INFO && length >= static_cast<SQLSMALLINT>(message.size())) {
      // The message was cut: ask again with room for all of it.
      message.assign(static_cast<std::size_t>(length) + 1, '\0');
      rc = SQLGetDiagRec(handle_type, handle, number, state, &native,
                         reinterpret_cast<SQLCHAR*>(message.data()),
                         static_cast<SQLSMALLINT>(message.size()), &length);
    }
    if (!SQL_SUCCEEDED(rc)) break;
    message.resize(
        std::min(static_cast<std::size_t>(std::max<SQLSMALLINT>(length, 0)), message.size() - 1));
    records.push_back(
        Diagnostic{std::string(reinterpret_cast<const char*>(state)), native, std::move(message)});
  }
  return records;
}

std::string join_diagnostics(const std::vector<Diagnostic>& records) {
  std::string joined;
  for (const Diagnostic& record : records) {
    if (!joined.empty()) joined += "; ";
    joined += fmt::format("[{}] {} (native {})", record.sqlstate, support::one_line(record.message),
                          record.native);
  }
  return joined;
}

const Diagnostic* primary_diagnostic(const std::vector<Diagnostic>& records) noexcept {
  for (const Diagnostic& record : records)
    if (!record.sqlstate.starts_with("01")) return &record;
  return records.empty() ? nullptr : &records.front();
}

ErrorInfo classify(const ProductProfile& profile, const std::vector<Diagnostic>& records) {
  ErrorInfo info;
  info.backend = std::string(backend_name);
  info.kind = ErrorKind::database_error;
  info.message = records.empty() ? "the driver reported an error without a diagnostic record"
                                 : join_diagnostics(records);
  const Diagnostic* primary = primary_diagnostic(records);
  if (primary == nullptr) return info;
  info.sqlstate = primary->sqlstate;
  info.native_code = primary->native;
  const ErrorRule* rule = find_rule(profile.error_rules(), *primary);
  if (rule == nullptr) rule = find_rule(generic_rules, *primary);
  if (rule != nullptr) info.kind = rule->kind;
  profile.add_error_details(info, primary->message);
  return info;
}

}  // namespace anydb::odbc
