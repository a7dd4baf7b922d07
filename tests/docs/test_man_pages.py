"""Each man page (man/*.1.scd) documents exactly the options its program's
--help shows, no more and no fewer.

    test_man_pages.py PROGRAM=MAN.scd ...

A failure names the program and the option missing from one side, e.g.
"mailwalk-server: --max-line in --help but not in man/mailwalk-server.1.scd",
so that whoever adds an option sees at once which page to update.
"""

import os
import re
import subprocess
import sys

# An option line of --help: "  --listen HOST:PORT ..." or "  -s, --scenario=NAME".
HELP_OPTION = re.compile(r"^\s+(?:-\w, )?(--[a-z][a-z0-9-]*)", re.MULTILINE)
# An option term of scdoc: "*--listen* _HOST:PORT_" or "*-s*, *--scenario*=_NAME_".
MAN_OPTION = re.compile(r"^(?:\*-\w\*, )?\*(--[a-z][a-z0-9-]*)\*", re.MULTILINE)


def help_options(program):
    # GLib's option parser hides its GApplication options from --help.
    flag = "--help-all" if os.path.basename(program) == "mailwalk" else "--help"
    r = subprocess.run([program, flag], capture_output=True, text=True,
                       timeout=30, env=dict(os.environ, GDK_BACKEND="none"))
    if r.returncode != 0:
        sys.exit(f"{program} {flag}: exit status {r.returncode}\n{r.stderr}")
    return set(HELP_OPTION.findall(r.stdout))


def main():
    problems = []
    for pair in sys.argv[1:]:
        program, page = pair.split("=", 1)
        name = os.path.basename(program)
        in_help = help_options(program)
        with open(page, encoding="utf-8") as f:
            in_man = set(MAN_OPTION.findall(f.read()))
        page_name = "man/" + os.path.basename(page)
        for option in sorted(in_help - in_man):
            problems.append(f"{name}: {option} in --help but not in {page_name}")
        for option in sorted(in_man - in_help):
            problems.append(f"{name}: {option} in {page_name} but not in --help")
        print(f"{name}: {len(in_help)} options in --help, {len(in_man)} in {page_name}")
    if problems:
        print("\n".join(problems), file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
