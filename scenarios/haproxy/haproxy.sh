#!/bin/sh
# HAProxy run and reloaded the way an init script does it, but kept in the
# foreground (-db) so that every HAProxy process stays in this service's
# process group and goes away with it.
#
#   haproxy.sh CONFIG     start HAProxy with CONFIG
#   SIGUSR2               reload: a new process binds beside the old one, then
#                         -sf tells the old one to close its listeners and
#                         finish its connections; with HAPROXY_RELOAD=expose-fd
#                         the new process first takes the listening sockets
#                         over from the old one's stats socket (-x), so they
#                         are never closed
#   SIGTERM               stop every HAProxy process started here
#
# The stats socket is $QPLUG_RUN_DIR/stats.sock (see haproxy.cfg).
set -u
config=$1
socket="${QPLUG_RUN_DIR:?QPLUG_RUN_DIR is not set}/stats.sock"

haproxy -db -f "$config" &
current=$!
pids=$current

reload() {
  old=$current
  case "${HAPROXY_RELOAD:-sf}" in
    expose-fd) haproxy -db -f "$config" -x "$socket" -sf "$old" & ;;
    sf) haproxy -db -f "$config" -sf "$old" & ;;
    *) echo "haproxy.sh: HAPROXY_RELOAD must be sf or expose-fd, not '$HAPROXY_RELOAD'" >&2; return ;;
  esac
  current=$!
  pids="$pids $current"
  echo "reload: haproxy $old -> $current (${HAPROXY_RELOAD:-sf})"
}

stop() {
  # Processes that already finished are gone: kill says so, quietly.
  kill -TERM $pids 2>/dev/null
  wait
  exit 0
}

trap reload USR2
trap stop TERM INT

# A trapped signal interrupts wait (status > 128): then wait for the current
# process again. Any other status means it exited, and so does this script.
while :; do
  wait "$current"
  status=$?
  [ "$status" -gt 128 ] || exit "$status"
done
