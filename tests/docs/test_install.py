"""`meson install` puts everything where a user and a desktop look for it,
and the installed programs work from there.

    test_install.py BUILD_ROOT

Installs the build into a temporary --destdir and checks: the five
programs, a man page for each, the desktop entry, the AppStream metadata,
the icon, the docs and the labs' handouts. Then it runs the installed
programs, far from the build folder: each answers --version, and the
installed visualizer (under xvfb-run, when there is one) runs a scenario
with the installed mailwalk-server and mailwalk-send beside it.
"""

import glob
import json
import os
import shutil
import subprocess
import sys
import tempfile


def main():
    build = sys.argv[1]
    with open(os.path.join(build, "meson-info", "intro-buildoptions.json")) as f:
        options = {o["name"]: o["value"] for o in json.load(f)}
    gui = os.path.exists(os.path.join(build, "gui", "mailwalk"))
    problems = []
    with tempfile.TemporaryDirectory(prefix="mailwalk-install-") as dest:
        r = subprocess.run(["meson", "install", "-C", build, "--no-rebuild",
                            "--destdir", dest, "--quiet"],
                           capture_output=True, text=True, timeout=300)
        if r.returncode != 0:
            sys.exit(f"meson install failed:\n{r.stdout}{r.stderr}")
        root = dest + options["prefix"]
        bindir = os.path.join(root, options["bindir"])
        mandir = os.path.join(root, options["mandir"], "man1")
        datadir = os.path.join(root, options["datadir"])
        programs = ["mailwalk-server", "mailwalk-send", "mailwalk-read", "mailwalk-queue"]
        expected = [os.path.join(bindir, p) for p in programs]
        if shutil.which("scdoc"):
            expected += [os.path.join(mandir, p + ".1") for p in programs]
        doc = os.path.join(datadir, "doc", "mailwalk")
        expected += [os.path.join(doc, "README.md"), os.path.join(doc, "docs", "client.md"),
                     os.path.join(doc, "labs", "03-server", "README.md"),
                     os.path.join(doc, "labs", "03-server", "commands.c")]
        if gui:
            programs.append("mailwalk")
            expected += [os.path.join(bindir, "mailwalk"),
                         os.path.join(datadir, "applications", "org.mailwalk.Mailwalk.desktop"),
                         os.path.join(datadir, "metainfo", "org.mailwalk.Mailwalk.metainfo.xml"),
                         os.path.join(datadir, "icons", "hicolor", "scalable", "apps",
                                      "org.mailwalk.Mailwalk.svg")]
            if shutil.which("scdoc"):
                expected.append(os.path.join(mandir, "mailwalk.1"))
        for path in expected:
            if not os.path.isfile(path):
                problems.append(f"not installed: {os.path.relpath(path, dest)}")
        print(f"installed {len(glob.glob(dest + '/**', recursive=True))} paths")

        # Run from a folder far from the build: nothing may lean on it.
        away = os.path.join(dest, "elsewhere")
        os.mkdir(away)
        for program in programs:
            path = os.path.join(bindir, program)
            if not os.path.exists(path):
                continue
            r = subprocess.run([path, "--version"], capture_output=True, text=True,
                               cwd=away, timeout=30, env=dict(os.environ, GDK_BACKEND="none"))
            if r.returncode != 0 or not r.stdout.startswith(program + " "):
                problems.append(f"installed {program} --version: {r.returncode} "
                                f"{r.stdout}{r.stderr}")
        if gui and shutil.which("xvfb-run"):
            env = {k: v for k, v in os.environ.items() if k != "MAILWALK_BINDIR"}
            env["PATH"] = "/usr/bin:/bin"  # no build folder, no other mailwalk
            r = subprocess.run(["xvfb-run", "-a", os.path.join(bindir, "mailwalk"),
                                "--scenario", "hello", "--autoplay", "--speed", "20",
                                "--exit-when-done"], capture_output=True, text=True,
                               cwd=away, timeout=120, env=env)
            print(r.stdout, r.stderr)
            if r.returncode != 0:
                problems.append(f"installed mailwalk --scenario hello: exit "
                                f"{r.returncode}\n{r.stdout}{r.stderr}")
    if problems:
        print("\n".join(problems), file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
