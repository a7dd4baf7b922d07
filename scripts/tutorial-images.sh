#!/usr/bin/env bash
# scripts/tutorial-images.sh - retake the six pictures of docs/tutorial.md
# (docs/images/tutorial-*.png) with the visualizer's own --screenshot.
#
# Each picture is one run of build/gui/mailwalk under Xvfb (a screen of
# its own, 1600x1000, so every picture has the same size), with the cairo
# renderer (no GPU needed), playing at the fastest speed:
#   --pause-at N     stop once N lines are on the diagram, and take the
#                    picture then (the window stays open, paused, after it)
#   --screenshot F   the window, pixel for pixel, as a PNG
# The script waits for the PNG to appear, then stops the window with
# SIGTERM (it stops its programs and removes its run's folder, as Ctrl-C
# does); `timeout` ends a run that never gets there. A picture is only
# copied into docs/images/ once it has been taken.
#
# N counts the rows of the diagram, log lines (*inside TLS*, *queued*,
# ...) included: the lines of --transcript after its first. If a change
# to a scenario adds or removes lines, look at the pictures again and
# move N (captions in docs/tutorial.md say what each must show).
#
# Usage: scripts/tutorial-images.sh          (takes about a minute)
# Needs xvfb-run and a built tree (scripts/setup.sh build); MAILWALK_BUILD
# names another build folder.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
bin="${MAILWALK_BUILD:-$here/build}" # the build folder
mailwalk="$bin/gui/mailwalk"
images="$here/docs/images"
[ -x "$mailwalk" ] || {
  echo "tutorial-images.sh: $mailwalk is missing: run scripts/setup.sh build" >&2
  exit 1
}
command -v xvfb-run >/dev/null || {
  echo "tutorial-images.sh: xvfb-run is missing (apt-get install xvfb)" >&2
  exit 1
}

work=$(mktemp -d /tmp/mailwalk-tutorial-images-XXXXXX)
runner=""
cleanup() {
  # A run still going (the script was interrupted): stop it.
  if [ -n "$runner" ] && kill -0 "$runner" 2>/dev/null; then
    if [ -s "$work/pid" ]; then kill "$(cat "$work/pid")" 2>/dev/null || true; fi
    wait "$runner" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

# shoot NAME ARGS...: run mailwalk ARGS --screenshot, save docs/images/NAME.png.
shoot() {
  local name=$1
  shift
  local png="$work/$name.png" log="$work/$name.log"
  rm -f "$work/pid"
  echo "== $name: mailwalk $*"
  # sh writes its own pid (then becomes mailwalk by exec), so that the
  # window itself can be stopped, not xvfb-run around it.
  # shellcheck disable=SC2016 # $$ and $0 are sh's, not this script's
  GSK_RENDERER=cairo timeout 120 \
    xvfb-run -a -s "-screen 0 1600x1000x24" \
    sh -c 'echo $$ >"$0"; exec "$@"' "$work/pid" \
    "$mailwalk" "$@" --autoplay --speed 16 --screenshot "$png" >"$log" 2>&1 &
  runner=$!
  # The PNG appears at once, whole (GTK 4.8 writes it to a temporary file and
  # renames it), 0.4 s after the last line has landed.
  while [ ! -s "$png" ] && kill -0 "$runner" 2>/dev/null; do
    sleep 0.2
  done
  if [ -s "$work/pid" ]; then
    kill "$(cat "$work/pid")" 2>/dev/null || true
  fi
  wait "$runner" || true
  runner=""
  if [ ! -s "$png" ]; then
    grep -v 'Unable to acquire session bus' "$log" >&2 || true
    echo "tutorial-images.sh: no picture for $name (see above)" >&2
    exit 1
  fi
  cp "$png" "$images/$name.png"
  echo "   docs/images/$name.png ($(wc -c <"$images/$name.png") bytes)"
}

# 1. Hop 1 after STARTTLS: sealed records, and beside them what Alice's
#    server decrypted: EHLO again (now with AUTH PLAIN LOGIN), AUTH, and
#    the 235 that logs her in (row 38; row 1 says pausing costs nothing).
shoot tutorial-1-submission --scenario alice-to-bob --pause-at 38

# 2. Both hops at once: the queue runner connects, hop 2's greeting and
#    EHLO interleave with hop 1's QUIT, 221 and closing records, up to the
#    first line of Bob's server's EHLO reply (row 79).
shoot tutorial-2-relay --scenario alice-to-bob --pause-at 79

# 3. The end of the story: Bob's user agent reads the letter (no pause:
#    the picture is taken when the scenario has finished).
shoot tutorial-3-delivered --scenario alice-to-bob

# 4. Bob's server is down: try 1 gets no answer, the letter is deferred,
#    Bob's server starts; try 2 connects and Bob's server greets (row 82).
shoot tutorial-4-bob-is-down --scenario bob-is-down --pause-at 82

# 5. No such user: RCPT TO:<eve@...> gets 550 5.1.1, Alice's server gives
#    up and sends a bounce, and Alice starts reading it (row 98).
shoot tutorial-5-bounce --scenario no-such-user --pause-at 98

# 6. The typed console (--type plays the student): EHLO, MAIL, a RCPT
#    that gets 550 and one that gets 250 (row 17); the hint row then
#    offers DATA, another RCPT TO or RSET.
cat >"$work/typed.txt" <<'EOF'
EHLO student.example
MAIL FROM:<student@example.org>
RCPT TO:<eve@bob.example>
RCPT TO:<bob@bob.example>
EOF
shoot tutorial-6-console --scenario console --type "$work/typed.txt" --pause-at 17

echo "Done: look at each picture before committing it."
