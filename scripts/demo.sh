#!/usr/bin/env bash
# scripts/demo.sh - Alice writes to Bob, in the terminal.
#
# Installs what is missing, builds, then runs the story with real programs
# on loopback (scripts/alice-to-bob.sh):
#   1. Bob's mail server (mailwalk-server) starts, taking mail for bob.example
#   2. Alice's mail server starts, with a queue and a route to Bob's
#   3. Alice's user agent (mailwalk-send) hands it a letter: submission,
#      STARTTLS, AUTH, printing every line of the dialogue
#   4. Alice's server queues it and relays it to Bob's (store-and-forward)
#   5. Bob's user agent (mailwalk-read) lists his mailbox and shows the letter
#   6. on a desktop, the visualizer opens on the same story, line by line
#      (scripts/demo.sh --no-gui skips it)
# Other options go to alice-to-bob.sh: --bob-down, --keep, --dir DIR.
set -euo pipefail

gui=yes
if [ "${1:-}" = --no-gui ]; then
  gui=no
  shift
fi

here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
scripts/setup.sh build

# The story itself, with both servers, is scripts/alice-to-bob.sh.
scripts/alice-to-bob.sh "$@"

if [ "$gui" = yes ] && [ -x build/gui/mailwalk ] &&
   { [ -n "${DISPLAY:-}" ] || [ -n "${WAYLAND_DISPLAY:-}" ]; }; then
  scenario=alice-to-bob
  case " $* " in *" --bob-down "*) scenario=bob-is-down ;; esac
  printf '\n\033[1m== The same story in the visualizer (close the window to finish)\033[0m\n'
  echo "   Space plays, → steps one line, click a line to read what it means."
  build/gui/mailwalk --scenario "$scenario"
fi
