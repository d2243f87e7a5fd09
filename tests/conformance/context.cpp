#include "context.hpp"

#include <fmt/format.h>

#include <unistd.h>
#include <atomic>
#include <cctype>
#include <cstdio>

namespace anydb::conformance {

namespace {

std::unique_ptr<Context> current;

std::string replace_all(std::string text, std::string_view from, std::string_view to) {
  for (std::size_t pos = text.find(from); pos != std::string::npos;
       pos = text.find(from, pos + to.size()))
    text.replace(pos, from.size(), to);
  return text;
}

// The backend's name when it is a product's own; otherwise what the database answers.
std::string detect_product(std::string_view backend, Connection& connection) {
  if (backend == "sqlite" || backend == "postgresql") return std::string(backend);
  const auto ask = [&](std::string_view sql) -> std::optional<std::string> {
    try {
      const Result result = connection.execute(sql);
      if (!result.rows.empty() && result.rows.front().size() > 0) {
        std::string text = result.rows.front()[0].to_display_string();
        for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        return text;
      }
    } catch (const Error&) {
    }
    return std::nullopt;
  };
  if (const auto version = ask("SELECT version()")) {
    if (version->find("mariadb") != std::string::npos) return "mariadb";
    if (version->find("postgresql") != std::string::npos) return "postgresql";
    if (!version->empty() && std::isdigit(static_cast<unsigned char>(version->front())) != 0)
      return "mysql";
  }
  if (ask("SELECT sqlite_version()")) return "sqlite";
  return std::string(backend);
}

}  // namespace

Context::Context(std::shared_ptr<Backend> backend, Uri uri, std::optional<IsolationLevel> isolation,
                 PluginLoader& loader, bool trace)
    : backend_(std::move(backend)),
      uri_(std::move(uri)),
      isolation_(isolation),
      loader_(&loader),
      trace_(trace),
      dialect_(connect()->dialect()),
      product_(detect_product(backend_->name(), *connect())) {}

ConnectionPtr Context::connect() const {
  ConnectionPtr connection = anydb::connect(backend_, uri_);
  if (trace_) connection->set_trace_hook(trace_to_stderr());
  if (isolation_) connection->set_isolation_level(*isolation_);
  return connection;
}

std::string Context::unique_table_name(std::string_view purpose) {
  static std::atomic<int> counter{0};
  return fmt::format("cf_{}_{}_{}", purpose, ::getpid(), ++counter);
}

Context& context() {
  if (!current) std::abort();  // main() sets it before any test runs
  return *current;
}

void set_context(std::unique_ptr<Context> context) { current = std::move(context); }

ScratchTable::ScratchTable(std::string_view purpose, std::string_view columns_sql)
    : name_(context().unique_table_name(purpose)) {
  const Dialect& dialect = context().dialect();
  std::string columns = replace_all(std::string(columns_sql), "{id}", dialect.identity_column);
  columns = replace_all(std::move(columns), "{blob}", dialect.blob_type);
  columns = replace_all(std::move(columns), "{text}", dialect.text_type);
  context().connect()->execute_script(fmt::format("CREATE TABLE {} ({})", quoted(), columns));
}

ScratchTable::~ScratchTable() {
  try {
    context().connect()->execute_script(fmt::format("DROP TABLE {}", quoted()));
  } catch (const std::exception& error) {
    std::fprintf(stderr, "conformance: could not drop %s: %s\n", name_.c_str(), error.what());
  }
}

std::int64_t ScratchTable::count_rows() const {
  const Result result =
      context().connect()->execute(fmt::format("SELECT COUNT(*) FROM {}", quoted()));
  return result.rows.at(0)[0].as_int();
}

std::string param(int index) { return context().dialect().placeholder(index); }

}  // namespace anydb::conformance
