#include "support.hpp"

#include <fmt/format.h>

#include <unistd.h>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>

namespace anydb::odbc_test {

std::string uri_from(const char* name) {
  const char* value = std::getenv(name);
  if (value == nullptr || *value == '\0')
    throw std::runtime_error(
        fmt::format("{} is not set: run the tests through "
                    "scripts/with-databases.sh",
                    name));
  return value;
}

std::string driver_of(const std::string& uri) {
  const auto start = uri.find("DRIVER=");
  if (start == std::string::npos) throw std::runtime_error("no DRIVER= in the URI");
  const auto end = uri.find(';', start);
  return uri.substr(start + 7, end == std::string::npos ? std::string::npos : end - start - 7);
}

std::shared_ptr<Backend> odbc_backend() {
  static PluginLoader loader;
  static const std::shared_ptr<Backend> backend = loader.load("odbc");
  return backend;
}

ConnectionPtr connect(const std::string& uri) {
  return anydb::connect(odbc_backend(), Uri::parse(uri));
}

std::string unique_name(std::string_view purpose) {
  static std::atomic<int> counter{0};
  return fmt::format("odbc_{}_{}_{}", purpose, ::getpid(), ++counter);
}

namespace {

std::string replace_all(std::string text, std::string_view from, std::string_view to) {
  for (std::size_t pos = text.find(from); pos != std::string::npos;
       pos = text.find(from, pos + to.size()))
    text.replace(pos, from.size(), to);
  return text;
}

}  // namespace

Table::Table(const std::string& uri, std::string_view purpose, std::string_view columns)
    : uri_(uri), name_(unique_name(purpose)) {
  const ConnectionPtr connection = connect(uri_);
  const Dialect& dialect = connection->dialect();
  quoted_ = dialect.quote_identifier(name_);
  std::string definition = replace_all(std::string(columns), "{id}", dialect.identity_column);
  definition = replace_all(std::move(definition), "{blob}", dialect.blob_type);
  connection->execute_script(fmt::format("CREATE TABLE {} ({})", quoted_, definition));
}

Table::~Table() {
  try {
    connect(uri_)->execute_script(fmt::format("DROP TABLE {}", quoted_));
  } catch (const std::exception& error) {
    std::fprintf(stderr, "odbc test: could not drop %s: %s\n", name_.c_str(), error.what());
  }
}

std::int64_t Table::count() const {
  return connect(uri_)
      ->execute(fmt::format("SELECT COUNT(*) FROM {}", quoted_))
      .rows.at(0)[0]
      .as_int();
}

std::optional<Error> expect_error(std::string_view label, const Expected& expected,
                                  const std::function<void()>& action) {
  try {
    action();
  } catch (const Error& error) {
    std::printf("[ driver   ] %.*s: kind=%s sqlstate=%s native=%lld: %s\n",
                static_cast<int>(label.size()), label.data(),
                std::string(to_string(error.kind())).c_str(), error.sqlstate().c_str(),
                static_cast<long long>(error.native_code().value_or(0)), error.what());
    EXPECT_EQ(error.kind(), expected.kind) << error.what();
    if (!expected.sqlstate.empty()) {
      EXPECT_EQ(error.sqlstate(), expected.sqlstate) << error.what();
    }
    if (expected.native) {
      EXPECT_EQ(error.native_code(), expected.native) << error.what();
    }
    EXPECT_NE(std::string_view(error.what()).find(expected.message_part), std::string_view::npos)
        << "'" << expected.message_part << "' not in: " << error.what();
    EXPECT_EQ(error.backend(), "odbc");
    EXPECT_EQ(std::string_view(error.what()).find('\n'), std::string_view::npos) << "not one line";
    return error;
  }
  ADD_FAILURE() << label << ": no error was raised";
  return std::nullopt;
}

}  // namespace anydb::odbc_test
