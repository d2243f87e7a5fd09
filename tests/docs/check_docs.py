#!/usr/bin/env python3
"""Runs the commands shown in a Markdown page, so that the documentation cannot drift from the code.

The convention (docs/architecture.md, "Commands in the documentation"):

  ```sh          every command is run; each must exit 0.
  ```console     a transcript: each "$ " line is a command (continued over the next lines while
                 the shell needs more), the lines after it are its output (stdout and stderr
                 together), and an optional "[exit N]" line its exit status (default 0;
                 "[exit 0 or 1]" for a race whose outcome varies). Output
                 lines are compared as a set, in any order (threads race); "..." inside a line
                 matches any text, and a line that is only "..." matches any number of lines.
  not-run        after the language (```sh not-run): shown, not run. Only for commands that
                 install packages, build the project, run a whole test suite or a benchmark, or
                 need a state that a page cannot set up; they are run elsewhere (CI).
  databases      after the language (```sh databases): needs the servers of
                 scripts/with-databases.sh (ANYDB_TEST_* variables); fails without them.

Any other block (```text, ```cpp, a bare ```) is not run, but one with a "$ " line is refused:
commands must be marked as one of the above.

Every block of a page runs in order in one fresh temporary directory, each command in a shell of
its own, with the build's bin/ first on PATH and `build` linked to the build directory, so that
both `anydb ...` and `build/bin/anydb ...` work as they would from a clone.

  check_docs.py <source dir> <build dir> <page.md>
  check_docs.py --links <source dir>      (every page: relative links resolve; architecture.md lists
                                           every page of docs/ and names nothing outside the
                                           repository)
"""
import os
import re
import subprocess
import sys
import tempfile

COMMAND_TIMEOUT = 300
FENCE = re.compile(r"^(\s*)(```+)\s*(.*)$")
EXIT_LINE = re.compile(r"^\[exit (\d+(?: or \d+)*)\]$")
DATABASE_VARIABLES = ("ANYDB_TEST_PG_URI", "ANYDB_TEST_MARIADB_URI")


class Block:
    def __init__(self, path, line, info, lines):
        words = info.split()
        self.path, self.line, self.lines = path, line, lines
        self.language = words[0] if words else ""
        self.flags = set(words[1:])


def blocks_of(path):
    """The fenced code blocks of a page, with the line number of each block's first line."""
    blocks, current, start, info, indent = [], None, 0, "", ""
    with open(path, encoding="utf-8") as page:
        for number, text in enumerate(page, 1):
            text = text.rstrip("\n")
            fence = FENCE.match(text)
            if current is None:
                if fence:
                    current, start, info, indent = [], number + 1, fence.group(3), fence.group(1)
            elif fence and not fence.group(3):
                blocks.append(Block(path, start, info, current))
                current = None
            else:
                current.append(text[len(indent):] if text.startswith(indent) else text.lstrip())
    return blocks


def complete(command):
    """True when bash can parse `command` as it stands (no open quote, no trailing backslash)."""
    if command.endswith("\\"):
        return False
    return subprocess.run(["bash", "-n", "-c", command], capture_output=True).returncode == 0


def commands_of_sh(block):
    """(line number, command) for each command of a sh block; comments and blank lines skipped."""
    commands, pending, first = [], "", 0
    for offset, text in enumerate(block.lines):
        if not pending and (not text.strip() or text.lstrip().startswith("#")):
            continue
        if not pending:
            first = block.line + offset
        pending = pending + "\n" + text if pending else text
        if complete(pending):
            commands.append((first, pending))
            pending = ""
    if pending:
        commands.append((first, pending))
    return commands


def transcript_of(block):
    """(line number, command, expected output lines, expected exit status) per "$ " command."""
    steps, index = [], 0
    lines = block.lines
    while index < len(lines):
        if not lines[index].startswith("$ "):
            raise SystemExit(f"{block.path}:{block.line + index}: a console block must start each "
                             f"command with '$ ', found: {lines[index]}")
        first = block.line + index
        command = lines[index][2:]
        index += 1
        while not complete(command) and index < len(lines):
            command += "\n" + lines[index]
            index += 1
        output, status = [], {0}
        while index < len(lines) and not lines[index].startswith("$ "):
            exit_line = EXIT_LINE.match(lines[index])
            if exit_line:
                status = {int(number) for number in exit_line.group(1).split(" or ")}
            else:
                output.append(lines[index])
            index += 1
        steps.append((first, command, output, status))
    return steps


def line_pattern(expected):
    return re.compile("^" + ".*".join(re.escape(part) for part in expected.split("...")) + "$")


def output_problem(expected, actual):
    """Why `actual` (lines) does not match `expected` (lines, in any order); None when it does."""
    open_ended = "..." in expected
    remaining = list(actual)
    for line in expected:
        if line == "...":
            continue
        pattern = line_pattern(line)
        match = next((i for i, text in enumerate(remaining) if pattern.match(text)), None)
        if match is None:
            return f"no output line matches: {line}"
        del remaining[match]
    if remaining and not open_ended:
        return f"unexpected output line: {remaining[0]}"
    return None


class Runner:
    def __init__(self, source_dir, build_dir, workdir):
        self.workdir = workdir
        os.symlink(build_dir, os.path.join(workdir, "build"))
        self.environment = dict(os.environ)
        self.environment["PATH"] = os.path.join(build_dir, "bin") + os.pathsep + os.environ["PATH"]
        self.environment["ANYDB_SOURCE_DIR"] = source_dir
        for name in ("ANYDB_PLUGIN_PATH", "DATABASE_URL", "ANYDB_TRACE"):
            self.environment.pop(name, None)
        self.failures = 0
        self.commands = 0

    def run(self, command):
        try:
            done = subprocess.run(["bash", "-o", "pipefail", "-c", command], cwd=self.workdir,
                                  env=self.environment, stdin=subprocess.DEVNULL,
                                  stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                  timeout=COMMAND_TIMEOUT)
        except subprocess.TimeoutExpired:
            return 124, [f"(killed after {COMMAND_TIMEOUT} s)"]
        self.commands += 1
        return done.returncode, done.stdout.decode("utf-8", "replace").splitlines()

    def fail(self, path, line, command, why, output):
        self.failures += 1
        shown = "".join("\n    | " + text for text in output[-20:])
        print(f"{path}:{line}: `{command}`: {why}{shown}", file=sys.stderr)

    def sh(self, block):
        for line, command in commands_of_sh(block):
            status, output = self.run(command)
            if status != 0:
                self.fail(block.path, line, command, f"exit status {status}, expected 0", output)

    def console(self, block):
        for line, command, expected, expected_status in transcript_of(block):
            status, output = self.run(command)
            if status not in expected_status:
                wanted = " or ".join(str(number) for number in sorted(expected_status))
                self.fail(block.path, line, command, f"exit status {status}, expected {wanted}",
                          output)
                continue
            problem = output_problem(expected, output)
            if problem:
                self.fail(block.path, line, command, problem, output)


def check_page(source_dir, build_dir, page):
    path = os.path.relpath(page, source_dir)
    blocks = blocks_of(page)
    with tempfile.TemporaryDirectory(prefix="anydb-docs-") as workdir:
        runner = Runner(source_dir, build_dir, workdir)
        for block in blocks:
            if block.language not in ("sh", "console"):
                if any(text.startswith("$ ") for text in block.lines):
                    runner.fail(path, block.line, block.lines[0], "a block with '$ ' commands must "
                                "be ```console (or ```console not-run); see docs/architecture.md",
                                [])
                continue
            if "not-run" in block.flags:
                continue
            if "databases" in block.flags and not all(os.environ.get(v) for v in DATABASE_VARIABLES):
                runner.fail(path, block.line, block.lines[0], "this block needs the database "
                            "servers: run the test under scripts/with-databases.sh", [])
                continue
            block.path = path
            (runner.sh if block.language == "sh" else runner.console)(block)
    print(f"{path}: {runner.commands} commands run, {runner.failures} failed")
    return runner.failures == 0


LINK = re.compile(r"\]\(([^)#\s]+)(#[^)]*)?\)")


def check_links(source_dir):
    problems = []
    docs = os.path.join(source_dir, "docs")
    pages = [os.path.join(source_dir, "README.md")] + sorted(
        os.path.join(docs, name) for name in os.listdir(docs) if name.endswith(".md"))
    for page in pages:
        with open(page, encoding="utf-8") as text:
            for number, line in enumerate(text, 1):
                for target, _ in LINK.findall(line):
                    if re.match(r"^[a-z]+:", target):
                        continue
                    if not os.path.exists(os.path.join(os.path.dirname(page), target)):
                        problems.append(f"{os.path.relpath(page, source_dir)}:{number}: the link "
                                        f"{target} leads nowhere")
    architecture = os.path.join(docs, "architecture.md")
    with open(architecture, encoding="utf-8") as text:
        content = text.read()
    for page in pages[1:]:
        name = os.path.basename(page)
        if name != "architecture.md" and f"]({name})" not in content:
            problems.append(f"docs/architecture.md: does not list docs/{name} (add it to the "
                            f"docs/ row of the layout table)")
    for number, line in enumerate(content.splitlines(), 1):
        for outside in re.findall(r"(?<![\w.])(/(?:work|home|tmp/[^ ]*design|usr/src)/[^\s`)]*)", line):
            problems.append(f"docs/architecture.md:{number}: refers to {outside}, which is outside "
                            "the repository")
    for problem in problems:
        print(problem, file=sys.stderr)
    print(f"{len(pages)} pages: {len(problems)} link problems")
    return not problems


def main(argv):
    if len(argv) == 3 and argv[1] == "--links":
        return 0 if check_links(os.path.abspath(argv[2])) else 1
    if len(argv) != 4:
        print(__doc__, file=sys.stderr)
        return 2
    source_dir, build_dir, page = (os.path.abspath(arg) for arg in argv[1:])
    return 0 if check_page(source_dir, build_dir, page) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
