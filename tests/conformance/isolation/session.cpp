// One step of a session: SQL (one statement through execute(), several as one script on
// PostgreSQL) or an anydb directive, run on the session's worker thread.

#include "session.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace anydb::conformance::isolation {

using std::chrono::milliseconds;

std::string one_line(std::string text) {
  std::replace(text.begin(), text.end(), '\n', ' ');
  std::replace(text.begin(), text.end(), '\r', ' ');
  return text;
}

std::string render_rows(const std::vector<Row>& rows) {
  std::string out;
  for (const auto& row : rows) {
    if (!out.empty()) out += ';';
    for (std::size_t c = 0; c < row.size(); ++c) {
      if (c > 0) out += '|';
      out += row[c].to_display_string();
    }
  }
  return out;
}

StepPlan make_plan(std::string_view body, const Dialect& dialect, std::string_view suffix) {
  StepPlan plan;
  plan.text = substitute(body, dialect, suffix);
  plan.directive = parse_directive(plan.text);
  if (!plan.directive) plan.statements = split_statements(plan.text);
  return plan;
}

namespace {

Table make_table(const Result& result) {
  Table table;
  table.columns = *result.columns;
  for (const auto& row : result.rows) {
    auto& out = table.rows.emplace_back();
    for (const auto& value : row.values())
      out.push_back(value.is_null() ? std::nullopt
                                    : std::optional<std::string>(value.to_display_string()));
  }
  return table;
}

void run_directive(Connection& connection, const Directive& directive, SessionLocal& local,
                   Observed& observed) {
  const auto ending = [&](auto&& end) {
    try {
      end();
    } catch (...) {
      if (local.restore && !connection.in_transaction()) {
        try {
          connection.set_isolation_level(*local.restore);
        } catch (const std::exception&) {
        }
        local.restore.reset();
      }
      throw;
    }
    if (local.restore) {
      connection.set_isolation_level(*local.restore);
      local.restore.reset();
    }
  };
  switch (directive.kind) {
    case Directive::Kind::begin:
      if (directive.level) {
        connection.set_isolation_level(*directive.level);
        if (local.run_level && *local.run_level != *directive.level)
          local.restore = local.run_level;
      }
      connection.begin(directive.mode);
      return;
    case Directive::Kind::commit: ending([&] { connection.commit(); }); return;
    case Directive::Kind::rollback: ending([&] { connection.rollback(); }); return;
    case Directive::Kind::savepoint: connection.savepoint(directive.name); return;
    case Directive::Kind::release: connection.release(directive.name); return;
    case Directive::Kind::rollback_to: connection.rollback_to(directive.name); return;
    case Directive::Kind::sleep:
      std::this_thread::sleep_for(milliseconds(directive.milliseconds));
      return;
    case Directive::Kind::get_or_create: {
      const GetOrCreate operation(connection.dialect(), directive.get_or_create);
      const GetOrCreateResult result = operation(connection, directive.key, directive.defaults);
      observed.result = result.created ? Observed::Result::created : Observed::Result::existing;
      const auto& spec = directive.get_or_create;
      const auto& shown = !directive.show.empty()        ? directive.show
                          : spec.default_columns.empty() ? spec.key_columns
                                                         : spec.default_columns;
      for (const auto& item : shown) {
        if (!observed.value.empty()) observed.value += '|';
        if (item == "created")
          observed.value += fmt::format("created={}", result.created ? 1 : 0);
        else if (item == "attempts")
          observed.value += fmt::format("attempts={}", result.attempts);
        else if (item == "conflicts")
          observed.value += fmt::format("conflicts={}", result.conflicts);
        else if (item == "retries")
          observed.value += fmt::format("retries={}", result.transient_retries);
        else
          observed.value += result.row.at(item).to_display_string();
      }
      observed.detail = fmt::format("attempts={} conflicts={} retries={}", result.attempts,
                                    result.conflicts, result.transient_retries);
      return;
    }
  }
}

}  // namespace

Observed execute(Connection& connection, const StepPlan& plan, SessionLocal& local) {
  Observed observed;
  try {
    if (plan.directive) {
      run_directive(connection, *plan.directive, local, observed);
    } else {
      if (plan.as_script) {
        connection.execute_script(plan.text);
      } else {
        for (const auto& statement : plan.statements) {
          const Result result = connection.execute(statement);
          if (result.columns && !result.columns->empty())
            observed.tables.push_back(make_table(result));
          const std::string rows = render_rows(result.rows);
          if (!rows.empty()) observed.value += observed.value.empty() ? rows : ";" + rows;
        }
      }
    }
  } catch (const Error& error) {
    observed.result = Observed::Result::error;
    observed.kind = error.kind();
    observed.message = one_line(error.what());
    observed.primary = error.info().primary_message;
    observed.sqlstate = error.info().sqlstate;
  } catch (const std::exception& error) {
    observed.result = Observed::Result::error;
    observed.message = one_line(error.what());
  }
  observed.in_transaction = connection.in_transaction();
  observed.completed = true;
  return observed;
}

}  // namespace anydb::conformance::isolation
