#!/bin/sh
# The server image, unlike auto-setup, creates no namespace; the worker, the starter and the UI use
# "default". Idempotent: describe first.
set -eu
ns="${DEFAULT_NAMESPACE:-default}"
until temporal operator cluster health >/dev/null 2>&1; do
  echo "waiting for Temporal at $TEMPORAL_ADDRESS"
  sleep 1
done
temporal operator namespace describe --namespace "$ns" >/dev/null 2>&1 ||
  temporal operator namespace create --namespace "$ns" --retention 72h
echo "namespace $ns ready"
