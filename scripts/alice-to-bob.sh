#!/usr/bin/env bash
# scripts/alice-to-bob.sh - the whole Alice-to-Bob story on one machine.
#
#   mailwalk-send ──(1: submission, STARTTLS, AUTH)──▶ Alice's mailwalk-server
#    (Alice's UA)                                         │ queue (store)
#                                                         ▼ (forward, --routes)
#                            Bob's mailwalk-server ◀──(2: relay, port-25 role)
#                                  │ maildir/bob/new/
#                                  ▼
#                            mailwalk-read (Bob's UA)
#
# Bob's server listens on 127.0.0.2, Alice's on 127.0.0.1 (the whole of
# 127.0.0.0/8 is loopback on Linux), so the two "machines" have different
# addresses. A routes file tells Alice's server where bob.example's mail
# goes: the stand-in for DNS MX records (docs/relay.md).
#
# Usage: scripts/alice-to-bob.sh [--dir DIR] [--keep] [--bob-down]
#   --dir DIR    put everything (mailboxes, queue, logs) in DIR
#                (default: a new /tmp/mailwalk-alice-to-bob-XXXXXX)
#   --keep       leave both servers running at the end and print how to
#                use them (stop them with: kill $(cat DIR/*.pid))
#   --bob-down   start Bob's server only after Alice has sent: watch the
#                message wait in Alice's queue and go out on the next retry
# Expects a built tree (scripts/setup.sh build, or scripts/demo.sh).
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
bin="${MAILWALK_BUILD:-$here/build}" # the build folder (tests point it at theirs)
dir=""
keep=no
bob_down=no
while [ $# -gt 0 ]; do
  case "$1" in
    --dir) dir=$2; shift 2 ;;
    --keep) keep=yes; shift ;;
    --bob-down) bob_down=yes; shift ;;
    -h|--help) sed -n '2,/^set -e/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "alice-to-bob.sh: unknown option $1 (try --help)" >&2; exit 2 ;;
  esac
done
for program in server/mailwalk-server server/mailwalk-queue client/mailwalk-send \
               client/mailwalk-read; do
  [ -x "$bin/$program" ] || {
    echo "alice-to-bob.sh: $bin/$program is missing: run scripts/setup.sh build" >&2
    exit 1
  }
done
[ -n "$dir" ] || dir=$(mktemp -d /tmp/mailwalk-alice-to-bob-XXXXXX)
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)

pids=()
cleanup() {
  if [ "$keep" = no ]; then
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  fi
}
trap cleanup EXIT

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

# Wait (at most 5 s) for "listening on ADDRESS:PORT<suffix>" in a server's
# output and print the port.
port_of() {
  local out=$1 address=$2 suffix=$3 port=""
  for _ in $(seq 50); do
    port=$(sed -n "s/.*listening on ${address//./\\.}:\([0-9]*\)${suffix}\$/\1/p" "$out")
    [ -n "$port" ] && { echo "$port"; return 0; }
    sleep 0.1
  done
  cat "$out" >&2
  echo "alice-to-bob.sh: a server did not start (see above)" >&2
  return 1
}

# Bob's server: the port-25 role, mail for bob.example only, no relaying.
start_bob() {
  "$bin/server/mailwalk-server" --listen "127.0.0.2:${bob_port:-0}" \
    --hostname mx.bob.example --domain bob.example --mailboxes bob \
    --maildir "$dir/bob/maildir" --log "$dir/bob/events.jsonl" \
    >"$dir/bob/server.out" 2>&1 &
  pids+=($!)
  echo $! >"$dir/bob.pid"
  bob_port=$(port_of "$dir/bob/server.out" 127.0.0.2 "")
}

mkdir -p "$dir/alice" "$dir/bob"
# --bob-down: Bob's port is chosen now, but nobody listens there yet.
if [ "$bob_down" = yes ]; then
  bob_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.2",0)); print(s.getsockname()[1])')
else
  step "1. Bob's mail server starts on 127.0.0.2 (mailwalk-server)"
  start_bob
  cat "$dir/bob/server.out"
fi

step "2. Alice's mail server starts on 127.0.0.1, with a queue and a route to Bob"
echo "bob.example 127.0.0.2:$bob_port" >"$dir/alice/routes"
echo "   routes file: $(cat "$dir/alice/routes")   (stands in for bob.example's MX record)"
# Alice's password, hashed into the users file (never stored in the clear).
printf 'wonderland\n' >"$dir/alice/password"
chmod 600 "$dir/alice/password"
printf 'alice:' >"$dir/alice/users"
"$bin/server/mailwalk-server" --hash-password <"$dir/alice/password" >>"$dir/alice/users"
# --relay-tls none: the second hop stays plaintext so it can be watched.
"$bin/server/mailwalk-server" --listen 127.0.0.1:0 --submission 127.0.0.1:0 \
  --hostname mail.alice.example --domain alice.example \
  --maildir "$dir/alice/maildir" --users "$dir/alice/users" \
  --queue "$dir/alice/queue" --routes "$dir/alice/routes" --retry 5s,10s,30s \
  --queue-lifetime 10m --relay-tls none --log "$dir/alice/events.jsonl" \
  >"$dir/alice/server.out" 2>&1 &
pids+=($!)
echo $! >"$dir/alice.pid"
submission=$(port_of "$dir/alice/server.out" 127.0.0.1 ' (submission)')
cat "$dir/alice/server.out"

step "3. Alice's user agent hands in the letter (mailwalk-send: submission, STARTTLS, AUTH)"
echo "   C: is Alice's client, S: is Alice's server. Her server answers 250 once"
echo "   the letter is safely in its queue: from then on it is the server's job."
"$bin/client/mailwalk-send" --server "127.0.0.1:$submission" \
  --helo alice-laptop.alice.example --starttls \
  --cafile "$dir/alice/maildir/.state/tls-cert.pem" \
  --user alice --password-file "$dir/alice/password" \
  --from alice@alice.example --to bob@bob.example \
  --subject "Lunch on Friday?" \
  --body "Hi Bob,

shall we have lunch on Friday? The usual place, at noon.

Alice"

queue_events() {
  python3 - "$dir/alice/events.jsonl" <<'EOF'
import json, sys
for line in open(sys.argv[1], encoding="utf-8"):
    e = json.loads(line)
    if e.get("session") != "queue" or e["event"] == "runner_started":
        continue
    detail = {k: v for k, v in e.items() if k not in ("time", "pid", "session", "event", "id")}
    print(f'   {e["time"][11:19]}  {e["event"]:<12} ' +
          "  ".join(f"{k}={v}" for k, v in detail.items()))
EOF
}

# Wait (at most `limit` seconds) until Bob's Maildir holds a letter.
wait_for_bob() {
  local limit=$1
  for _ in $(seq $((limit * 10))); do
    compgen -G "$dir/bob/maildir/bob/new/*" >/dev/null && return 0
    sleep 0.1
  done
  return 1
}

if [ "$bob_down" = yes ]; then
  step "4. Bob's server is down: the letter waits in Alice's queue"
  sleep 1
  "$bin/server/mailwalk-queue" --queue "$dir/alice/queue"
  step "5. Bob's server comes up; Alice's queue runner tries again on its schedule"
  start_bob
  cat "$dir/bob/server.out"
  wait_for_bob 20 || { echo "alice-to-bob.sh: the letter did not reach Bob" >&2; exit 1; }
else
  step "4. Alice's server relays it to Bob's server (its queue runner, as an SMTP client)"
  wait_for_bob 10 || { echo "alice-to-bob.sh: the letter did not reach Bob" >&2; exit 1; }
fi
sleep 0.3 # let the runner write its last events
queue_events
echo "   The relay dialogue itself: grep relay_ $dir/alice/events.jsonl"

step "$([ "$bob_down" = yes ] && echo 6 || echo 5). Bob's user agent lists his mailbox and shows the letter (mailwalk-read)"
echo "   Each server on the way wrote a Received: line on top (RFC 5321 §4.4):"
sed -n '/^Received:/,/^[^[:space:]R]/p' "$dir"/bob/maildir/bob/new/* | sed '$d; s/^/   | /'
echo
"$bin/client/mailwalk-read" --maildir "$dir/bob/maildir" --user bob list
"$bin/client/mailwalk-read" --maildir "$dir/bob/maildir" --user bob show 1

step "Done"
echo "Everything is in $dir:"
echo "  $dir/alice/events.jsonl   what Alice's server did (queued, attempt, relayed)"
echo "  $dir/bob/events.jsonl     what Bob's server did"
echo "  $dir/bob/maildir/bob/cur  Bob's letter, with both Received: headers"
if [ "$keep" = yes ]; then
  echo
  echo "Both servers are still running (--keep):"
  echo "  Alice's submission port: 127.0.0.1:$submission (user alice, password wonderland)"
  echo "  Bob's server:            127.0.0.2:$bob_port"
  echo "  see Alice's queue:       $bin/server/mailwalk-queue --queue $dir/alice/queue"
  echo "  stop them:               kill \$(cat $dir/alice.pid $dir/bob.pid)"
fi
