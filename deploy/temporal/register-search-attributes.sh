#!/bin/sh
# One-shot run by the `temporal-admin-tools` service: registers whycry's custom
# search attributes on the app's namespace. Safe to run on every `up`: an
# attribute that already exists with the right type is left alone. One that
# exists with another type fails the run, since Temporal cannot change a type.
set -eu

ADDRESS="${TEMPORAL_ADDRESS:-temporal:7233}"
NAMESPACE="${TEMPORAL_NAMESPACE:-default}"

# name type — keep in step with what the workflows upsert.
ATTRIBUTES='
WhycryVerdict Keyword
WhycryTopReason Keyword
WhycryConfidence Double
WhycryModelVersion Keyword
WhycryOutcome Keyword
'

# Like Temporal's own compose scripts, use the server's IPv4 address: the CLI
# may otherwise try an IPv6 address that the server does not listen on.
HOST="${ADDRESS%:*}"
PORT="${ADDRESS##*:}"
IP="$(getent ahosts "$HOST" 2>/dev/null | awk '$2 == "STREAM" && $1 !~ /:/ { print $1; exit }')" || IP=""
if [ -n "$IP" ]; then ADDRESS="$IP:$PORT"; fi
echo "Temporal at $ADDRESS, namespace $NAMESPACE"

# compose starts this once `temporal` is healthy, which already means the
# namespace exists; the loop only covers the namespace cache catching up.
tries=0
until temporal operator search-attribute list --address "$ADDRESS" --namespace "$NAMESPACE" >/dev/null 2>&1 </dev/null; do
  tries=$((tries + 1))
  if [ "$tries" -ge 60 ]; then
    echo "namespace $NAMESPACE not reachable at $ADDRESS after 120 s" >&2
    exit 1
  fi
  sleep 2
done

# Prints the type the attribute is registered with, or nothing.
registered_type() {
  temporal operator search-attribute list --address "$ADDRESS" --namespace "$NAMESPACE" </dev/null \
    | awk -v name="$1" '$1 == name { print $2; exit }'
}

# The loop runs in a subshell (it is fed by a pipe): its `exit 1` ends only the
# loop, hence the `|| exit 1` after it.
echo "$ATTRIBUTES" | while read -r name type; do
  [ -n "$name" ] || continue
  have="$(registered_type "$name")"
  if [ -z "$have" ]; then
    # Fails if someone created it meanwhile with another type; checked below.
    temporal operator search-attribute create --address "$ADDRESS" --namespace "$NAMESPACE" \
      --name "$name" --type "$type" </dev/null || true
    have="$(registered_type "$name")"
    [ -z "$have" ] || echo "$name ($type): registered"
  else
    echo "$name ($type): already registered"
  fi
  if [ "$have" != "$type" ]; then
    # Temporal cannot change an attribute's type; that needs a human decision.
    echo "$name: wanted type $type, namespace has ${have:-nothing}" >&2
    exit 1
  fi
done || exit 1

echo "search attributes on namespace $NAMESPACE:"
temporal operator search-attribute list --address "$ADDRESS" --namespace "$NAMESPACE" </dev/null
