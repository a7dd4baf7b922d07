#!/usr/bin/env bash
# scripts/demo.sh - Alice writes to Bob, in the terminal.
#
# Installs what is missing, builds, then runs the story with real programs
# on loopback:
#   1. Bob's mail server (mailwalk-server) starts, taking mail for bob.example
#   2. Alice's user agent (mailwalk-send) hands it a letter over SMTP,
#      printing every line of the dialogue
#   3. Bob's user agent (mailwalk-read) lists his mailbox and shows the letter
#   4. on a desktop, the visualizer opens and plays the same story, line by
#      line (scripts/demo.sh --no-gui skips it)
# The server's event log is left in the demo folder for a closer look.
set -euo pipefail

gui=yes
[ "${1:-}" = --no-gui ] && gui=no

here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
scripts/setup.sh build

bin=build
demo=$(mktemp -d /tmp/mailwalk-demo-XXXXXX)
server_pid=""
cleanup() {
  if [ -n "$server_pid" ]; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
}
trap cleanup EXIT

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "1. Bob's mail server starts (mailwalk-server)"
"$bin/server/mailwalk-server" --listen 127.0.0.1:0 --hostname mx.bob.example \
  --domain bob.example --maildir "$demo/maildir" --log "$demo/events.jsonl" \
  >"$demo/server.out" 2>&1 &
server_pid=$!
port=""
for _ in $(seq 50); do
  port=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\)$/\1/p' "$demo/server.out")
  [ -n "$port" ] && break
  sleep 0.1
done
[ -n "$port" ] || { cat "$demo/server.out"; echo "the server did not start" >&2; exit 1; }
cat "$demo/server.out"

step "2. Alice's user agent sends a letter (mailwalk-send)"
echo "   C: lines are Alice's client speaking, S: lines are Bob's server."
"$bin/client/mailwalk-send" --server "127.0.0.1:$port" --helo alice.example \
  --from alice@alice.example --to bob@bob.example \
  --subject "Lunch on Friday?" \
  --body "Hi Bob,

shall we have lunch on Friday? The usual place, at noon.

Alice"

step "3. Bob's user agent lists his mailbox (mailwalk-read)"
"$bin/client/mailwalk-read" --maildir "$demo/maildir" --user bob list

step "4. ...and shows the letter"
"$bin/client/mailwalk-read" --maildir "$demo/maildir" --user bob show 1

if [ "$gui" = yes ] && [ -x "$bin/gui/mailwalk" ] &&
   { [ -n "${DISPLAY:-}" ] || [ -n "${WAYLAND_DISPLAY:-}" ]; }; then
  step "5. The same story in the visualizer (close the window to finish)"
  echo "   Space plays, → steps one line, click a line to read what it means."
  "$bin/gui/mailwalk" --scenario hello
fi

step "Done"
echo "The delivered file, the event log and the server output are in $demo"
echo "  ls $demo/maildir/bob/cur        # Bob has read it: new/ -> cur/"
echo "  less $demo/events.jsonl          # what the server did, line by line"

