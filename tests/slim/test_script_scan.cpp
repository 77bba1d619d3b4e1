#include <catch2/catch.hpp>
#include <string>
#include <vector>
#include <whittle/slim/script_scan.hpp>

using namespace whittle::slim;

namespace {

using Names = std::vector<std::string>;

ScriptScan
scan(const std::string& text)
{
  ScriptScan s = scan_script(text);
  INFO(text);
  return s;
}

} // namespace

TEST_CASE("slim::scan_script finds the programs of a retry loop the trace did not finish", "[slim][script]")
{
  ScriptScan s = scan("#!/bin/sh\nuntil client ping; do sleep 0.1; done\nexec server --port 80\n");
  CHECK(s.commands == Names{"client", "server", "sleep"});
  CHECK(s.variable_commands.empty());
  CHECK(s.problems.empty());
}

TEST_CASE("slim::scan_script: command position", "[slim][script]")
{
  // Table: script text -> programs found. Builtins (echo, test, [, cd, set, export, read, printf...)
  // and keywords never appear.
  struct Case
  {
    const char* text;
    Names commands;
  };
  const std::vector<Case> cases = {
      {"a | b | c\n", {"a", "b", "c"}},
      {"a && b || c; d & e\n", {"a", "b", "c", "d", "e"}},
      {"! a\n", {"a"}},
      {"a |\n  b &&\n  c\n", {"a", "b", "c"}},
      {"if a; then b; elif c; then d; else e; fi\n", {"a", "b", "c", "d", "e"}},
      {"while a; do b; done; until c; do d; done\n", {"a", "b", "c", "d"}},
      {"if [ -x /bin/x ] && test -n \"$y\"; then echo yes; cd /; set -e; export A=1; fi\n", {}},
      {"x=$(a | b) y=`c`\n", {"a", "b", "c"}},
      {"echo \"$(a \"$(b)\")\" `c \\`d\\``\n", {"a", "b", "c", "d"}},
      {"(a; b) | { c; d; }\n", {"a", "b", "c", "d"}},
      {"A=1 B=\"x y\" C[k]=1 a arg; D[\"[x]\"]+=1\n", {"a"}},
      {"env -i LANG=\"$LANG\" PATH=$PATH \"$DIR/x\" status; env X=1 a\n", {"a", "env"}},
      {"2>/dev/null a >out <in 3>&1\n", {"a"}},
      {">/tmp/x\nA=1\n", {}},
      {"a # b c\n# d\n e#f\n", {"a", "e#f"}},
      {"'a' x; \"b\"c y; d\\e z\n", {"a", "bc", "de"}}, // quotes removed
      {"for i in a b $(c); do d \"$i\"; done\n", {"c", "d"}},
      {"case \"$1\" in\n  start|run) a ;;\n  (stop) b; c ;;\n  *) d\nesac\n", {"a", "b", "c", "d"}},
      {"a \\\n  --flag; b\n", {"a", "b"}},
      {"a; \\\nb\n", {"a", "b"}},
      {"[[ -f x && $y == z ]] && a\n", {"a"}},
      {"(( i++ )) && a\n", {"a"}},
      {"exec a \"$@\"\n", {"a"}},
      {"exec 3>&1\n", {}},
      {"nohup a & env -i X=1 PATH=/bin b --opt; timeout -s KILL 5 c; xargs -0 -n1 d < list\n",
       {"b", "c", "d", "env", "nohup", "timeout", "xargs", "a"}},
      {"nice -n 5 a; setsid -f b; stdbuf -oL c; gosu app d; su-exec app:app e; setpriv --reuid=1 "
       "--init-groups f; tini -- g\n",
       {"a", "b", "c", "d", "e", "f", "g", "gosu", "nice", "setpriv", "setsid", "stdbuf", "su-exec", "tini"}},
      {"find / -name x -exec a {} \\; -execdir b {} +\n", {"a", "b", "find"}},
      {"sh -c 'a; b' && bash -ec \"c | d\"\n", {"a", "b", "bash", "c", "d", "sh"}},
      {"eval 'a && b'; trap 'c' EXIT; trap - INT\n", {"a", "b", "c"}},
      {"diff <(a) <(b)\n", {"a", "b", "diff"}},
      {"while read -r l; do a \"$l\"; done < <(b)\n", {"a", "b"}},
      {"/usr/local/bin/a; ./b.sh\n", {"./b.sh", "/usr/local/bin/a"}},
      {"time a\n", {"a", "time"}},
      {"arr=(x y z); a\n", {"a"}},
      {"declare -A m=([/]=1 [k]=2); local l=(x); a\n", {"a"}},
      {"echo ${X:-$(a)} \"${Y:=`b`}\"\n", {"a", "b"}},
      {"echo $((1 + 2)) done fi then\n", {}},
      {"busybox sh -c a\n", {"a", "busybox"}},
      {"grep \"x$\" f | a; echo \"$'\"; b\n", {"a", "b", "grep"}}, // "$" before a closing quote
  };
  for (const auto& c : cases) {
    INFO(c.text);
    ScriptScan s = scan_script(c.text);
    Names want = c.commands;
    std::sort(want.begin(), want.end());
    CHECK(s.commands == want);
    CHECK(s.problems.empty());
  }
}

TEST_CASE("slim::scan_script reads heredocs as data except their command substitutions", "[slim][script]")
{
  ScriptScan s = scan("cat <<EOF > /etc/x.conf\n"
                      "rm -rf /\n"
                      "host=$(hostname)\n"
                      "EOF\n"
                      "cat <<'EOF'\n"
                      "$(not_run)\n"
                      "EOF\n"
                      "cat <<-\"END\" ; a\n"
                      "\tb c\n"
                      "\tEND\n"
                      "d <<A <<B\n"
                      "x\n"
                      "A\n"
                      "y\n"
                      "B\n"
                      "e\n");
  CHECK(s.commands == Names{"a", "cat", "d", "e", "hostname"});
  CHECK(s.problems.empty());
}

TEST_CASE("slim::scan_script: functions are not programs", "[slim][script]")
{
  ScriptScan s = scan("log() { echo \"$@\" >&2; }\n"
                      "function retry { until \"$@\"; do sleep 1; done; }\n"
                      "main()\n{\n  log start\n  retry client ping\n  helper\n}\n"
                      "helper() ( a )\n"
                      "main\n"
                      "command log x\n"
                      "exec helper\n");
  CHECK(s.functions == Names{"helper", "log", "main", "retry"});
  // retry's arguments are not commands; `command log` and `exec helper` skip functions and look on PATH.
  CHECK(s.commands == Names{"a", "helper", "log", "sleep"});
  CHECK(s.variable_commands == Names{"\"$@\""});
}

TEST_CASE("slim::scan_script: command -v only looks a name up", "[slim][script]")
{
  ScriptScan s = scan("if command -v gosu >/dev/null 2>&1; then exec gosu app \"$0\" \"$@\"; fi\n"
                      "command -v curl || echo no curl\n"
                      "type wget; hash jq\n"
                      "command -p ls\n"
                      "command echo hi\n");
  CHECK(s.lookups == Names{"curl", "gosu", "jq", "wget"});
  CHECK(s.commands == Names{"gosu", "ls"});
  CHECK(s.variable_commands == Names{"\"$0\""});
}

TEST_CASE("slim::scan_script reports variable commands and does not guess them", "[slim][script]")
{
  ScriptScan s = scan("set -- \"$@\"\n"
                      "CMD=${CMD:-server}\n"
                      "$CMD --check\n"
                      "\"${JAVA_HOME}/bin/java\" -version\n"
                      "$(which python3) -V\n"
                      "eval \"$SETUP\"\n"
                      "exec \"$@\"\n");
  CHECK(s.variable_commands ==
        Names{"\"$@\"", "\"${JAVA_HOME}/bin/java\"", "$(which python3)", "$CMD", "$SETUP"});
  CHECK(s.commands == Names{"which"});
}

TEST_CASE("slim::scan_script: sourced files and shell scripts run", "[slim][script]")
{
  ScriptScan s = scan(". /usr/lib/app/lib.sh\n"
                      "source ./env.sh\n"
                      ". \"$DIR/other.sh\"\n"
                      "sh /docker-entrypoint.d/10-setup.sh\n"
                      "bash -x -- run.sh arg\n");
  CHECK(s.scripts == Names{"./env.sh", "/docker-entrypoint.d/10-setup.sh", "/usr/lib/app/lib.sh", "run.sh"});
  CHECK(s.variable_scripts == Names{"\"$DIR/other.sh\""});
  CHECK(s.commands == Names{"bash", "sh"});
}

TEST_CASE("slim::scan_script never throws on garbage and says what it could not read", "[slim][script]")
{
  SECTION("unterminated constructs")
  {
    for (const char* text : {"a 'open\nb\n", "a \"open\n", "a `open\n", "a $(b\n", "if a; then b\n",
                             "case x in a) b\n", "while a; do\n", "a ${x\n", "f() {\n", "done fi )\n",
                             "| && ;; \n", "((", "[[ a", "for", "case", "function", "a <", "$'"}) {
      INFO(text);
      ScriptScan s;
      CHECK_NOTHROW(s = scan_script(text));
      CHECK_FALSE(s.problems.empty());
    }
    ScriptScan s = scan_script("a 'open\nb\n");
    CHECK(s.commands == Names{"a"});
    CHECK(s.problems == Names{"line 1: unterminated single quote"});
  }
  SECTION("nesting past the cap")
  {
    std::string deep;
    for (int i = 0; i < 10000; ++i) {
      deep += "( ";
    }
    ScriptScan s = scan_script(deep + "a");
    REQUIRE_FALSE(s.problems.empty());
    CHECK(s.problems.back().find("nested deeper than") != std::string::npos);
    std::string subst;
    for (int i = 0; i < 200; ++i) {
      subst += "$(a";
    }
    CHECK_FALSE(scan_script(subst).problems.empty());
  }
  SECTION("a chain of evals does not multiply the work")
  {
    std::string text = "a";
    for (int i = 0; i < 14; ++i) {
      text = "eval \"$(" + text + ")\"";
    }
    ScriptScan s = scan_script(text);
    CHECK(s.commands == Names{"a"});
  }
  SECTION("bytes of every value")
  {
    std::string all;
    for (int i = 0; i < 256; ++i) {
      all += static_cast<char>(i);
    }
    CHECK_NOTHROW(scan_script(all + all + all));
  }
}

TEST_CASE("slim::is_shell_script and shell_invocation", "[slim][script]")
{
  CHECK(is_shell_script("#!/bin/sh\necho"));
  CHECK(is_shell_script("#! /bin/bash -e\n"));
  CHECK(is_shell_script("#!/usr/bin/dash"));
  CHECK(is_shell_script("#!/bin/ash"));
  CHECK(is_shell_script("#!/bin/busybox sh\n"));
  CHECK(is_shell_script("#!/usr/bin/env bash\n"));
  CHECK(is_shell_script("#!/usr/bin/env -S sh -e\n"));
  CHECK_FALSE(is_shell_script("#!/usr/bin/env python3\n"));
  CHECK_FALSE(is_shell_script("#!/bin/busybox awk\n"));
  CHECK_FALSE(is_shell_script("#!/usr/bin/zsh\n"));
  CHECK_FALSE(is_shell_script("echo hi\n"));
  CHECK_FALSE(is_shell_script("\x7f"
                              "ELF"));

  CHECK(shell_invocation({"/bin/sh", "-c", "a; b", "x"}).text == "a; b");
  CHECK(shell_invocation({"sh", "-ec", "a"}).text == "a");
  CHECK(shell_invocation({"bash", "-o", "pipefail", "/entry.sh", "x"}).file == "/entry.sh");
  CHECK(shell_invocation({"busybox", "sh", "/e.sh"}).file == "/e.sh");
  ShellInvocation none = shell_invocation({"/usr/bin/python3", "-c", "x"});
  CHECK(none.text.empty());
  CHECK(none.file.empty());
  CHECK(shell_invocation({"sh"}).file.empty());
  CHECK(shell_invocation({}).text.empty());
}

TEST_CASE("slim::scan_script stops after an unconditional top-level exec", "[slim][script]")
{
  CHECK(scan("exec a\nb\n").commands == Names{"a"});
  CHECK(scan("exec >log 2>&1\na\n").commands == Names{"a"});
  CHECK(scan("x && exec a; b\n").commands == Names{"a", "b", "x"});
  CHECK(scan("exec a || b\nc\n").commands == Names{"a", "b", "c"});
  CHECK(scan("if x; then exec a; fi; b\n").commands == Names{"a", "b", "x"});
  CHECK(scan("f() { exec a; }\nf; b\n").commands == Names{"a", "b"});
  CHECK(scan("y=$(exec a); b\n").commands == Names{"a", "b"});
  // A python script's sh trampoline: what follows the exec is python, never read by the shell.
  ScriptScan s = scan("#!/bin/sh\n'''exec' \"$(dirname -- \"$0\")/python3\" \"$0\" \"$@\"\n' '''\n"
                      "import sys\nif __name__ == '__main__':\n    sys.exit(main())\n");
  CHECK(s.problems.empty());
  CHECK(s.commands == Names{"dirname"});
  CHECK(s.variable_commands == Names{"\"$(dirname -- \"$0\")/python3\""});
}

TEST_CASE("slim::scan_script reads arrays and functions named through eval", "[slim][script]")
{
  ScriptScan s = scan("eval \"$name=(\\\"\\${lines[@]}\\\")\"\na\n");
  CHECK(s.problems.empty());
  CHECK(s.commands == Names{"a"});
  // and a function whose name is made at run time
  s = scan("for i in a b; do eval \"f_$i () { c \\\"\\$@\\\"; }\"; done\nf_a\n");
  CHECK(s.problems.empty());
  CHECK(s.commands == Names{"c", "f_a"});
}
