#!/usr/bin/env bash
# Freeze and release real traffic between two network namespaces.
# Needs root and a kernel with sch_plug; elsewhere run it in the lab:
#   npx qplug lab run -- ./examples/freeze-demo.sh
set -euo pipefail
cd "$(dirname "$0")/.."
qplug() { node bin/qplug.js "$@"; }

A="qdemo-a-$$"; B="qdemo-b-$$"
cleanup() { ip netns del "$A" 2>/dev/null || true; ip netns del "$B" 2>/dev/null || true; }
trap cleanup EXIT

ip netns add "$A"; ip netns add "$B"
ip -n "$A" link add v0 type veth peer name v1 netns "$B"
ip -n "$A" addr add 10.77.0.1/24 dev v0; ip -n "$B" addr add 10.77.0.2/24 dev v1
ip -n "$A" link set v0 up; ip -n "$B" link set v1 up
ip netns exec "$A" busybox ping -c 1 -W 5 10.77.0.2 >/dev/null   # resolve neighbours first

echo "== attach a plug to v0 in namespace $A (traffic still flows)"
qplug attach v0 --netns "$A"
echo "== plug: freeze v0, then ping 10.77.0.2 five times"
qplug plug v0 --netns "$A"
ip netns exec "$A" busybox ping -c 5 -i 0.2 -W 120 10.77.0.2 > /tmp/qdemo-ping.$$ 2>&1 &
ping_pid=$!
sleep 2
echo "== status while frozen (no replies yet; the requests wait in the plug)"
qplug status v0 --netns "$A"
echo "== release: the held requests go out, in order, none lost"
qplug release v0 --netns "$A"
wait "$ping_pid" || true
grep -E 'packets transmitted|seq=' /tmp/qdemo-ping.$$ || true
rm -f /tmp/qdemo-ping.$$
qplug status v0 --netns "$A"
qplug detach v0 --netns "$A"
