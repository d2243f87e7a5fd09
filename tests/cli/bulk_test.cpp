// Bulk mode: `anydb get-or-create --keys-from FILE|-`, with and without --batch.

#include "cli_fixture.hpp"
#include "spawned.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <stdexcept>
#include <thread>

#include <unistd.h>

namespace anydb::test {
namespace {

using namespace std::chrono_literals;

class BulkTest : public CliTest {
 protected:
  std::string write_file(const std::string& name, const std::string& content) const {
    const auto path = directory.path() / name;
    std::ofstream(path, std::ios::binary) << content;
    return path.string();
  }

  ProcessResult bulk(const std::string& file, std::vector<std::string> flags = {}) const {
    std::vector<std::string> args{"get-or-create", "--backend",   "sqlite", "--db",
                                  db_path(),       "--keys-from", file};
    args.insert(args.end(), flags.begin(), flags.end());
    return anydb(args);
  }

  std::vector<std::string> bulk_argv(std::vector<std::string> flags) const {
    std::vector<std::string> args{ANYDB_CLI_PATH, "get-or-create", "--backend",
                                  "sqlite",       "--db",          db_path()};
    args.insert(args.end(), flags.begin(), flags.end());
    return args;
  }

  // A run with stderr on a terminal, long enough (200000 keys) for the progress line to be drawn.
  ProcessResult run_with_progress(const std::string& file) const {
    Spawned child(bulk_argv({"--keys-from", file}), directory.path(), /*pty_stderr=*/true);
    child.close_stdin();
    return child.finish();
  }

  void create_people() const {
    ASSERT_EQ(get_or_create({"0"}).exit_code, 0);  // creates the file
    SqliteFile file(db_path());
    file.exec(
        "CREATE TABLE people (id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE, name TEXT, "
        "visits INTEGER DEFAULT 0, source TEXT, badge TEXT UNIQUE)");
    file.exec("INSERT INTO people (email, name) VALUES ('old@example.org', 'Old')");
  }
};

std::string numbered_keys(int first, int last, int repeat = 1) {
  std::string text;
  for (int r = 0; r < repeat; ++r)
    for (int key = first; key <= last; ++key) text += std::to_string(key) + "\n";
  return text;
}

TEST_F(BulkTest, KeysFromAFileGiveASummaryAndNoPerKeyLines) {
  const std::string file = write_file("keys.txt", numbered_keys(1, 500, 2));
  const ProcessResult result = bulk(file, {"--threads", "3"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.out, "");
  const auto lines = result.err_lines();
  ASSERT_EQ(lines.size(), 2u) << result.err;
  EXPECT_TRUE(lines[0].starts_with("anydb: 1000 keys in ")) << lines[0];
  EXPECT_NE(lines[0].find("500 created, 500 existing"), std::string::npos) << lines[0];
  EXPECT_NE(lines[1].find("0 errors"), std::string::npos) << lines[1];
  EXPECT_NE(lines[1].find("3 threads"), std::string::npos) << lines[1];
  EXPECT_NE(lines[1].find("max RSS"), std::string::npos) << lines[1];
  EXPECT_EQ(result.err.find('\r'), std::string::npos)
      << "no progress line when stderr is not a terminal";
  EXPECT_EQ(rows(), 500);
}

// Keys spelt as integers are sent as integers to an integer key column (always for the demo
// table): each spelling still names the row the database makes of it, and the per-key lines
// show the keys as written.
TEST_F(BulkTest, IntegerSpelledKeysGoToTheDemoTableAsIntegers) {
  const std::string file = write_file("keys.txt", "5\n05\n-7\n0\n9223372036854775807\nabc\n5\n");
  for (const std::string batch : {"1", "10"}) {
    std::filesystem::remove(db_path());
    const ProcessResult result = bulk(file, {"--per-key", "--batch", batch, "--threads", "1"});
    ASSERT_EQ(result.exit_code, 0) << result.err;
    const auto lines = result.out_lines();
    EXPECT_EQ(count_equal(lines, "5 True"), 1) << result.out;
    EXPECT_EQ(count_equal(lines, "5 False"), 1) << result.out;
    EXPECT_EQ(count_equal(lines, "05 False"), 1) << "'05' is row 5 in an INTEGER column";
    EXPECT_EQ(count_equal(lines, "-7 True"), 1) << result.out;
    EXPECT_EQ(count_equal(lines, "0 True"), 1) << result.out;
    EXPECT_EQ(count_equal(lines, "9223372036854775807 True"), 1) << result.out;
    EXPECT_EQ(count_equal(lines, "abc True"), 1) << result.out;
    EXPECT_EQ(rows(), 5);
  }
}

// In a column without a type SQLite stores what it is given: there --integer-keys decides
// whether a key is stored as an integer or as text, which makes the typing visible.
TEST_F(BulkTest, IntegerKeysFlagSendsIntegersToAnUntypedColumn) {
  ASSERT_EQ(get_or_create({"0"}).exit_code, 0);  // creates the file
  SqliteFile(db_path()).exec("CREATE TABLE loose (id INTEGER PRIMARY KEY, k UNIQUE)");
  const std::string file = write_file("keys.txt", "12\n012\n");
  for (const bool integer_keys : {false, true}) {
    SqliteFile(db_path()).exec("DELETE FROM loose");
    std::vector<std::string> flags{"--table", "loose", "--key", "k", "--batch", "10"};
    if (integer_keys) flags.emplace_back("--integer-keys");
    const ProcessResult result = bulk(file, flags);
    ASSERT_EQ(result.exit_code, 0) << result.err;
    SqliteFile check(db_path());
    EXPECT_EQ(check.scalar("SELECT COUNT(*) FROM loose"), 2);
    EXPECT_EQ(check.text("SELECT typeof(k) FROM loose WHERE k = 12 OR k = '12'"),
              integer_keys ? "integer" : "text");
    EXPECT_EQ(check.text("SELECT typeof(k) FROM loose WHERE k = '012'"), "text")
        << "a spelling that is not an integer's stays text";
  }
  const ProcessResult refused = get_or_create({"1"}, {"--integer-keys"});
  EXPECT_EQ(refused.exit_code, 2);
  EXPECT_NE(refused.err.find("--integer-keys needs --keys-from"), std::string::npos) << refused.err;
}

TEST_F(BulkTest, JsonSummaryIsOneObject) {
  const std::string file = write_file("keys.txt", numbered_keys(1, 300) + numbered_keys(1, 100));
  for (const std::string batch : {"1", "64"}) {
    std::filesystem::remove(db_path());
    const ProcessResult result =
        bulk(file, {"--format", "json", "--batch", batch, "--threads", "2"});
    ASSERT_EQ(result.exit_code, 0) << result.err;
    EXPECT_EQ(result.err, "");
    const auto lines = result.out_lines();
    ASSERT_EQ(lines.size(), 1u) << result.out;
    const auto summary = nlohmann::json::parse(lines[0]);
    EXPECT_EQ(summary.at("summary"), true);
    EXPECT_EQ(summary.at("keys"), 400);
    EXPECT_EQ(summary.at("created"), 300);
    EXPECT_EQ(summary.at("existing"), 100);
    EXPECT_EQ(summary.at("errors"), 0);
    EXPECT_EQ(summary.at("interrupted"), false);
    EXPECT_EQ(summary.at("input_complete"), true);
    EXPECT_EQ(summary.at("batch"), std::stoi(batch));
    EXPECT_EQ(summary.at("threads"), 2);
    EXPECT_GT(summary.at("max_rss_kib").get<long long>(), 0);
    EXPECT_GE(summary.at("seconds").get<double>(), 0.0);
    EXPECT_GT(summary.at("keys_per_second").get<double>(), 0.0);
    EXPECT_EQ(rows(), 300);
  }
}

TEST_F(BulkTest, PerKeyLinesAsWithoutKeysFrom) {
  const std::string file = write_file("keys.txt", numbered_keys(1, 50, 3));
  for (const std::string batch : {"1", "7"}) {
    std::filesystem::remove(db_path());
    const ProcessResult result = bulk(file, {"--per-key", "--batch", batch});
    ASSERT_EQ(result.exit_code, 0) << result.err;
    const auto lines = result.out_lines();
    ASSERT_EQ(lines.size(), 150u);
    for (int key = 1; key <= 50; ++key) {
      EXPECT_EQ(count_equal(lines, fmt::format("{} True", key)), 1) << key << " batch " << batch;
      EXPECT_EQ(count_equal(lines, fmt::format("{} False", key)), 2) << key << " batch " << batch;
    }
    EXPECT_EQ(rows(), 50);

    const ProcessResult json = bulk(file, {"--per-key", "--batch", batch, "--format", "json"});
    ASSERT_EQ(json.exit_code, 0) << json.err;
    const auto objects = json.out_lines();
    ASSERT_EQ(objects.size(), 151u) << "one object per key, then the summary";
    for (std::size_t i = 0; i < 150; ++i) {
      const auto object = nlohmann::json::parse(objects[i]);
      EXPECT_EQ(object.at("created"), false);
      EXPECT_EQ(object.at("row").at("my_id").get<long long>(),
                std::stoll(object.at("key").get<std::string>()));
    }
    EXPECT_EQ(nlohmann::json::parse(objects.back()).at("existing"), 150);
  }
}

TEST_F(BulkTest, BatchedAndUnbatchedAgreeOnMixedInput) {
  ASSERT_EQ(get_or_create({"10", "20", "30"}).exit_code, 0);
  // Pre-existing keys, new ones, duplicates inside one batch and across batches.
  std::string text;
  for (int key = 1; key <= 40; ++key)
    text += fmt::format("{}\n{}\n", key, key % 3 == 0 ? key : 100 + key);
  const std::string file = write_file("keys.txt", text);
  const ProcessResult result = bulk(file, {"--batch", "16", "--format", "json", "--threads", "2"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const auto summary = nlohmann::json::parse(result.out);
  EXPECT_EQ(summary.at("keys"), 80);
  // Distinct keys: 1..40 and 100+k for the 27 k not divisible by 3 → 67; 3 existed before.
  EXPECT_EQ(summary.at("created"), 64);
  EXPECT_EQ(summary.at("existing"), 16);
  EXPECT_EQ(rows(), 67);
}

TEST_F(BulkTest, KeysFromStdin) {
  Spawned child(bulk_argv({"--keys-from", "-", "--batch", "10"}), directory.path());
  child.write(numbered_keys(1, 25) + numbered_keys(20, 30));
  child.close_stdin();
  const ProcessResult result = child.finish();
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_NE(result.err.find("36 keys"), std::string::npos) << result.err;
  EXPECT_NE(result.err.find("30 created, 6 existing"), std::string::npos) << result.err;
  EXPECT_EQ(rows(), 30);
}

TEST_F(BulkTest, TabSeparatedFieldsFillBareSetColumns) {
  create_people();
  const std::string file =
      write_file("people.tsv",
                 "a@example.org\tAlice\t3\n"
                 "b@example.org\t\\N\t0\r\n"  // NULL name, CRLF line end
                 "\n"                         // blank: skipped
                 "old@example.org\tNew\t9\n"  // exists: defaults untouched
                 "c@example.org\tOnly two\n"  // wrong number of fields: rejected
                 "\\N\tNobody\t1\n"           // NULL key: rejected
                 "a@example.org\tAgain\t4");  // duplicate, no final newline
  const ProcessResult result =
      bulk(file, {"--table", "people", "--key", "email", "--set", "name", "--set", "visits",
                  "--set", "source=import", "--per-key", "--threads", "1"});
  EXPECT_EQ(result.exit_code, 1) << "rejected lines make the run fail: " << result.err;
  const auto lines = result.out_lines();
  EXPECT_EQ(count_equal(lines, "a@example.org True"), 1);
  EXPECT_EQ(count_equal(lines, "a@example.org False"), 1);
  EXPECT_EQ(count_equal(lines, "b@example.org True"), 1);
  EXPECT_EQ(count_equal(lines, "old@example.org False"), 1);
  EXPECT_NE(result.err.find("line 5: 2 tab-separated fields, expected 3"), std::string::npos)
      << result.err;
  EXPECT_NE(result.err.find("line 6: the key is \\N"), std::string::npos) << result.err;
  EXPECT_NE(result.err.find("2 errors (0 failed keys, 2 rejected lines)"), std::string::npos)
      << result.err;
  SqliteFile db(db_path());
  EXPECT_EQ(db.scalar("SELECT COUNT(*) FROM people"), 3);
  EXPECT_EQ(db.text("SELECT name FROM people WHERE email = 'a@example.org'"), "Alice");
  EXPECT_EQ(db.scalar("SELECT visits FROM people WHERE email = 'a@example.org'"), 3);
  EXPECT_EQ(db.text("SELECT source FROM people WHERE email = 'a@example.org'"), "import");
  EXPECT_EQ(db.scalar("SELECT name IS NULL FROM people WHERE email = 'b@example.org'"), 1);
  EXPECT_EQ(db.text("SELECT name FROM people WHERE email = 'old@example.org'"), "Old");
}

TEST_F(BulkTest, AFailedBatchIsRedoneKeyByKey) {
  create_people();
  // badge is UNIQUE too: the third key's badge collides with the first's. Only that key fails.
  const std::string file = write_file("people.tsv", "p1@x\tB1\np2@x\tB2\np3@x\tB1\np4@x\tB4\n");
  const ProcessResult result =
      bulk(file, {"--table", "people", "--key", "email", "--set", "badge", "--batch", "4",
                  "--threads", "1", "--format", "json", "--per-key"});
  EXPECT_EQ(result.exit_code, 1) << result.err;
  const auto lines = result.out_lines();
  ASSERT_EQ(lines.size(), 5u) << result.out;
  std::map<std::string, nlohmann::json> by_key;
  for (std::size_t i = 0; i < 4; ++i) {
    auto object = nlohmann::json::parse(lines[i]);
    by_key[object.at("key").get<std::string>()] = object;
  }
  EXPECT_EQ(by_key.at("p1@x").at("created"), true);
  EXPECT_EQ(by_key.at("p2@x").at("created"), true);
  EXPECT_EQ(by_key.at("p4@x").at("created"), true);
  EXPECT_EQ(by_key.at("p3@x").at("error").at("kind"), "unique_violation");
  const auto summary = nlohmann::json::parse(lines[4]);
  EXPECT_EQ(summary.at("failed_keys"), 1);
  SqliteFile db(db_path());
  EXPECT_EQ(db.scalar("SELECT COUNT(*) FROM people"), 4);
}

TEST_F(BulkTest, ErrorsWithoutPerKeyAreShownUpToALimit) {
  create_people();
  std::string text;
  for (int i = 0; i < 40; ++i)
    text += fmt::format("dup{}@x\tSAME\n", i);  // all but one collide on badge
  const std::string file = write_file("people.tsv", text);
  const ProcessResult result =
      bulk(file, {"--table", "people", "--key", "email", "--set", "badge", "--threads", "1"});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_EQ(result.out, "");
  const auto lines = result.err_lines();
  long long error_lines = 0;
  for (const auto& line : lines)
    error_lines += line.find(" Error: unique_violation") != std::string::npos;
  EXPECT_EQ(error_lines, 20);
  EXPECT_NE(result.err.find("further errors are counted but not shown"), std::string::npos)
      << result.err;
  EXPECT_NE(result.err.find("39 errors"), std::string::npos) << result.err;
}

TEST_F(BulkTest, BadFlagsAndInputsExitWithTwo) {
  const std::string file = write_file("keys.txt", "1\n");
  const auto one_line = [](const ProcessResult& result, const std::string& fragment) {
    EXPECT_EQ(result.exit_code, 2) << result.err;
    EXPECT_EQ(result.err_lines().size(), 1u) << result.err;
    EXPECT_NE(result.err.find(fragment), std::string::npos) << result.err;
  };
  one_line(get_or_create({"1"}, {"--keys-from", file}), "not both");
  one_line(get_or_create({"1"}, {"--batch", "5"}), "--batch needs --keys-from");
  one_line(get_or_create({"1"}, {"--per-key"}), "--per-key needs --keys-from");
  one_line(bulk((directory.path() / "missing.txt").string()), "cannot open");
  one_line(bulk(directory.path().string()), "is a directory");
  one_line(bulk(file, {"--batch", "5", "--strategy", "naive"}), "no naive strategy");
  one_line(bulk(file, {"--set", "nosuchcolumn"}), "nosuchcolumn");
  one_line(get_or_create({"1"}, {"--set", "name"}), "--set expects COL=VALUE");
  EXPECT_EQ(bulk(file, {"--batch", "0"}).exit_code, 2);
  EXPECT_EQ(anydb({"get-or-create", "--db", db_path()}).exit_code, 2) << "no keys at all";
}

TEST_F(BulkTest, CtrlCStopsCleanlyWithStatus130) {
  // Keys trickle in through a pipe that stays open: the run is interrupted while the reader waits.
  Spawned child(bulk_argv({"--keys-from", "-", "--per-key", "--threads", "2"}), directory.path());
  child.write(numbered_keys(1, 30));
  ASSERT_TRUE(child.wait_for_stdout_lines(30, 30s)) << "the keys written so far were not processed";
  child.signal(SIGINT);
  const ProcessResult result = child.finish();
  EXPECT_EQ(result.exit_code, 130) << result.err;
  EXPECT_EQ(result.out_lines().size(), 30u);
  EXPECT_NE(result.err.find("30 keys in"), std::string::npos) << result.err;
  EXPECT_NE(result.err.find(
                "interrupted: 0 keys read but not processed; the rest of the input was not read"),
            std::string::npos)
      << result.err;
  // Nothing half-written: every reported creation is a row, and no lock is left behind.
  EXPECT_EQ(rows(), 30);
  SqliteFile db(db_path());
  db.exec("INSERT INTO mymodel (my_id) VALUES (-1)");
}

TEST_F(BulkTest, CtrlCDuringALargeBatchedRunKeepsWholeBatches) {
  std::string text;
  for (int key = 0; key < 1'500'000; ++key) text += std::to_string(key) + "\n";
  const std::string file = write_file("many.txt", text);
  Spawned child(
      bulk_argv({"--keys-from", file, "--batch", "100", "--threads", "2", "--format", "json"}),
      directory.path());
  std::this_thread::sleep_for(300ms);
  child.signal(SIGINT);
  const ProcessResult result = child.finish();
  EXPECT_EQ(result.exit_code, 130) << result.err;
  const auto summary = nlohmann::json::parse(result.out);
  EXPECT_EQ(summary.at("interrupted"), true);
  EXPECT_EQ(summary.at("terminated"), false);
  EXPECT_EQ(summary.at("input_complete"), false);
  const long long created = summary.at("created").get<long long>();
  EXPECT_EQ(rows(), created) << "every created key is stored, nothing else";
  EXPECT_EQ(created % 100, 0) << "batches commit whole or not at all";
}

// Sets an environment variable for the children spawned while it lives.
class ScopedEnvironment {
 public:
  ScopedEnvironment(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    ::setenv(name, value, 1);
  }
  ~ScopedEnvironment() {
    if (old_)
      ::setenv(name_, old_->c_str(), 1);
    else
      ::unsetenv(name_);
  }
  ScopedEnvironment(const ScopedEnvironment&) = delete;
  ScopedEnvironment& operator=(const ScopedEnvironment&) = delete;

 private:
  const char* name_;
  std::optional<std::string> old_;
};

std::string progress_keys() {
  std::string text;
  for (int key = 0; key < 200'000; ++key) text += std::to_string(key % 1000) + "\n";
  return text;
}

TEST_F(BulkTest, ProgressLineOnlyOnATerminal) {
  const std::string file = write_file("keys.txt", progress_keys());
  const ScopedEnvironment term("TERM", "xterm");
  const ProcessResult result = run_with_progress(file);
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_NE(result.err.find("200000 keys in"), std::string::npos) << result.err;
  // The line is redrawn in place, with the total counted up front and the time left, and erased
  // at the end.
  EXPECT_NE(result.err.find("\r\x1b[Kanydb: "), std::string::npos) << result.err;
  EXPECT_NE(result.err.find("/200000 keys ("), std::string::npos) << result.err;
  EXPECT_NE(result.err.find(" ETA "), std::string::npos) << result.err;
  EXPECT_EQ(rows(), 1000);
}

TEST_F(BulkTest, ProgressLineOnADumbTerminalHasNoEscapeSequences) {
  const std::string file = write_file("keys.txt", progress_keys());
  const ScopedEnvironment term("TERM", "dumb");
  const ProcessResult result = run_with_progress(file);
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_NE(result.err.find("\ranydb: "), std::string::npos) << "no progress line: " << result.err;
  EXPECT_NE(result.err.find(" ETA "), std::string::npos) << result.err;
  EXPECT_EQ(result.err.find('\x1b'), std::string::npos) << result.err;
  EXPECT_NE(result.err.find("200000 keys in"), std::string::npos) << result.err;
}

TEST_F(BulkTest, EmptyKeysAreRejectedNotStored) {
  create_people();
  const std::string file = write_file("keys.txt", "a@x\tA\n\tNobody\nb@x\tB\n");
  const ProcessResult result = bulk(file, {"--table", "people", "--key", "email", "--set", "name"});
  EXPECT_EQ(result.exit_code, 1) << result.err;
  const auto lines = result.err_lines();
  EXPECT_EQ(std::count(lines.begin(), lines.end(), "anydb: line 2: the key is empty; skipped"), 1)
      << result.err;
  SqliteFile db(db_path());
  EXPECT_EQ(db.scalar("SELECT COUNT(*) FROM people WHERE email = ''"), 0);
  EXPECT_EQ(db.scalar("SELECT COUNT(*) FROM people WHERE email IN ('a@x', 'b@x')"), 2);
}

TEST_F(BulkTest, ReconnectForIsAcceptedInBulkMode) {
  // The server restarts themselves are in tests/postgresql/restart_test.cpp.
  const std::string file = write_file("keys.txt", numbered_keys(1, 50));
  const ProcessResult result = bulk(file, {"--reconnect-for", "10", "--batch", "8"});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(rows(), 50);
}

}  // namespace
}  // namespace anydb::test
